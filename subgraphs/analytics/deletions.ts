/**
 * Drains the deletion outbox: each user whose analytics data was deleted here
 * is deleted at Mixpanel (GDPR API) and Amplitude (User Privacy API) too, in
 * batches as large as each API takes. A failure backs off (2 s → 10 min) and
 * stays queued: the request survives restarts until the destination accepted it.
 */
import { startPeriodic } from '../shared/periodic.ts';
import type { Logger } from '../../lib/logger.ts';
import type { AnalyticsSink } from '../shared/connectors/analyticsSinks.ts';
import type { EventStore } from './store.ts';

const MAX_BACKOFF_MS = 10 * 60_000;

export function startDeletionWorker(store: EventStore, sinks: readonly AnalyticsSink[], log: Logger, intervalMs = 1_000) {
  async function drain(sink: AnalyticsSink): Promise<void> {
    for (;;) {
      const due = await store.dueDeletions(sink.name, sink.deletionBatchLimit);
      if (due.length === 0) return;
      const userIds = due.map((d) => d.user_id);
      try {
        await sink.deleteUsers(userIds);
        await store.deletionsDone(sink.name, userIds);
        log.info({ sink: sink.name, users: userIds.length }, 'user data deletion requested at destination');
      } catch (error) {
        const attempts = Math.min(...due.map((d) => d.attempts));
        const delay = Math.min(MAX_BACKOFF_MS, 2_000 * 2 ** attempts) + Math.floor(Math.random() * 1_000);
        await store.deletionsLater(sink.name, userIds, delay);
        log.warn(
          { sink: sink.name, users: userIds.length, retryInMs: delay, reason: (error as Error).message },
          'deletion request failed, will retry',
        );
        return;
      }
      if (due.length < sink.deletionBatchLimit) return;
    }
  }

  const tick = async () => {
    for (const sink of sinks)
      await drain(sink).catch((error) => log.error({ err: error, sink: sink.name }, 'deletion outbox drain failed'));
  };
  return startPeriodic(tick, intervalMs);
}
