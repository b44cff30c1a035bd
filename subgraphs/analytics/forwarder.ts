/**
 * Drains the outbox to Mixpanel and Amplitude in the background, in batches
 * of up to 2000 (both APIs' limit). Failures back off exponentially (2 s → 60 s,
 * EXTERNAL-APIS.md §7) and stay in the outbox; both destinations deduplicate
 * by insert id, so a batch re-sent after a crash is harmless.
 */
import type { Logger } from '../../lib/logger.ts';
import { SINK_BATCH_LIMIT, type AnalyticsSink } from '../shared/connectors/analyticsSinks.ts';
import type { EventStore } from './store.ts';

export function startForwarder(store: EventStore, sinks: readonly AnalyticsSink[], log: Logger, intervalMs = 500) {
  let stopped = false;
  let running: Promise<void> | undefined;

  async function drain(sink: AnalyticsSink): Promise<void> {
    for (;;) {
      const rows = await store.due(sink.name, SINK_BATCH_LIMIT);
      if (rows.length === 0) return;
      const events = rows.map((r) => ({
        name: r.name,
        userId: r.user_id,
        insertId: r.insert_id,
        time: Number(r.occurred_ms),
        properties: typeof r.properties === 'string' ? (JSON.parse(r.properties) as Record<string, unknown>) : r.properties,
      }));
      try {
        const result = await sink.send(events);
        await store.done(sink.name, rows);
        log.debug({ sink: sink.name, sent: rows.length, rejected: result.rejected }, 'events forwarded');
      } catch (error) {
        const attempts = Math.min(...rows.map((r) => r.attempts));
        const delay = Math.min(60_000, 2_000 * 2 ** attempts) + Math.floor(Math.random() * 1_000);
        await store.retryLater(sink.name, rows, delay);
        log.warn({ sink: sink.name, events: rows.length, retryInMs: delay, reason: (error as Error).message }, 'forwarding failed, will retry');
        return;
      }
      if (rows.length < SINK_BATCH_LIMIT) return;
    }
  }

  async function tick(): Promise<void> {
    for (const sink of sinks) await drain(sink).catch((error) => log.error({ err: error, sink: sink.name }, 'outbox drain failed'));
  }

  const timer = setInterval(() => {
    if (stopped || running) return;
    running = tick().finally(() => {
      running = undefined;
    });
  }, intervalMs);
  timer.unref();

  return {
    /** Runs one drain now (tests, shutdown). */
    flush: () => tick(),
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
