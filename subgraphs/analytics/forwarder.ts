/**
 * Drains the outbox to Mixpanel and Amplitude in the background, in batches
 * of up to 2000 (both APIs' limit). Failures back off exponentially (2 s → 60 s,
 * EXTERNAL-APIS.md §7) and stay in the outbox; both destinations deduplicate
 * by insert id, so a batch re-sent after a crash is harmless. An entry that
 * failed `maxAttempts` times becomes a dead letter (kept, counted in
 * `durable_work_items{queue="analytics_outbox"}`, no longer retried). Entries
 * are claimed with a lease (store.due), so replicas never send the same batch
 * at once and newer events are never stuck behind failing ones.
 */
import { startPeriodic } from '../shared/periodic.ts';
import type { Logger } from '../../lib/logger.ts';
import { SINK_BATCH_LIMIT, type AnalyticsSink } from '../shared/connectors/analyticsSinks.ts';
import type { EventStore } from './store.ts';
import { durableWork } from '../shared/metrics.ts';

const MARK_SENT_ATTEMPTS = 18;

export interface ForwarderOptions {
  intervalMs?: number;
  /** Attempts before an outbox entry becomes a dead letter (default 200: about 3 h of a sink outage at 60 s). */
  maxAttempts?: number;
}

export function startForwarder(store: EventStore, sinks: readonly AnalyticsSink[], log: Logger, options: ForwarderOptions = {}) {
  const intervalMs = options.intervalMs ?? 500;
  const maxAttempts = options.maxAttempts ?? 200;

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
      let result: Awaited<ReturnType<AnalyticsSink['send']>>;
      try {
        result = await sink.send(events);
      } catch (error) {
        const attempts = Math.min(...rows.map((r) => r.attempts));
        const delay = Math.min(60_000, 2_000 * 2 ** attempts) + Math.floor(Math.random() * 1_000);
        const reason = (error as Error).message;
        const dead = await store.retryLater(sink.name, rows, delay, maxAttempts, reason);
        if (dead > 0) log.error({ sink: sink.name, events: dead, reason }, 'analytics events are dead letters after too many attempts');
        else log.warn({ sink: sink.name, events: rows.length, retryInMs: delay, reason }, 'forwarding failed, will retry');
        return;
      }
      // Sent: from here on a failure is the database's, never the destination's. Marking the batch sent is
      // repeated within the lease instead of backing the entries off, which would send them a second time.
      await markSent(sink, rows);
      log.debug({ sink: sink.name, sent: rows.length, rejected: result.rejected }, 'events forwarded');
      if (rows.length < SINK_BATCH_LIMIT) return;
    }
  }

  /** store.done, retried (0.25 s doubling to 4 s, about a minute in all: well inside the 120 s claim lease). */
  async function markSent(sink: AnalyticsSink, rows: readonly { user_id: string; insert_id: string }[]): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await store.done(sink.name, rows);
      } catch (error) {
        // Given up: the lease runs out and the batch goes again (both destinations deduplicate by insert id).
        if (attempt >= MARK_SENT_ATTEMPTS - 1) throw error;
        log.warn(
          { sink: sink.name, events: rows.length, reason: (error as Error).message },
          'could not mark forwarded events as sent; retrying',
        );
        await new Promise((r) => setTimeout(r, Math.min(4_000, 250 * 2 ** attempt)));
      }
    }
  }

  async function tick(): Promise<void> {
    for (const sink of sinks) await drain(sink).catch((error) => log.error({ err: error, sink: sink.name }, 'outbox drain failed'));
    await refreshGauges().catch(() => {});
  }

  let gaugesAt = 0;
  /** Outbox counts by state into the metrics, at most every 10 s (a count is not free on a big outbox). */
  async function refreshGauges(): Promise<void> {
    if (Date.now() - gaugesAt < 10_000) return;
    gaugesAt = Date.now();
    for (const c of await store.outboxCounts()) {
      for (const state of ['pending', 'retrying', 'dead'] as const)
        durableWork.set({ queue: `analytics_outbox_${c.sink}`, state }, c[state]);
    }
  }

  return startPeriodic(tick, intervalMs);
}
