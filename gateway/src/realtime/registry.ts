/**
 * Open streams of this gateway replica: the per-user cap
 * (SUBSCRIPTIONS_PER_USER), the metrics (`gateway_open_streams`,
 * `gateway_stream_events_total`, `gateway_deferred_responses_total`) and a
 * clean end for every stream at shutdown.
 */
import { Counter, Gauge, type Registry } from 'prom-client';

export type Transport = 'sse' | 'ws' | 'multipart';

export interface StreamLease {
  /** Count one event delivered on this stream. */
  delivered(): void;
  /** Idempotent. */
  release(): void;
}

export function createStreamRegistry(options: { perUserLimit: number; metrics: Registry }) {
  const open = new Gauge({
    name: 'gateway_open_streams',
    help: 'Open subscription streams by transport',
    labelNames: ['transport'] as const,
    registers: [options.metrics],
  });
  const events = new Counter({
    name: 'gateway_stream_events_total',
    help: 'Results delivered on streams (subscription events, deferred parts) by transport',
    labelNames: ['transport'] as const,
    registers: [options.metrics],
  });
  const deferred = new Counter({
    name: 'gateway_deferred_responses_total',
    help: 'Responses answered with incremental delivery (@defer)',
    registers: [options.metrics],
  });
  const perUser = new Map<string, number>();
  /** How to end each open stream cleanly (a `complete` to the client), for shutdown. */
  const enders = new Set<() => void>();
  let closing = false;

  return {
    /** A stream slot for `userId`, or undefined when the user is at the cap (or the gateway is stopping). */
    acquire(userId: string, transport: Transport, end: () => void): StreamLease | undefined {
      const count = perUser.get(userId) ?? 0;
      if (closing || count >= options.perUserLimit) return undefined;
      perUser.set(userId, count + 1);
      open.inc({ transport });
      enders.add(end);
      let released = false;
      return {
        delivered: () => events.inc({ transport }),
        release() {
          if (released) return;
          released = true;
          enders.delete(end);
          open.dec({ transport });
          const left = (perUser.get(userId) ?? 1) - 1;
          if (left <= 0) perUser.delete(userId);
          else perUser.set(userId, left);
        },
      };
    },
    deferredResponse(parts: number) {
      deferred.inc();
      events.inc({ transport: 'multipart' }, parts);
    },
    openCount(userId: string): number {
      return perUser.get(userId) ?? 0;
    },
    /** Ends every open stream (each sends its `complete`); new streams are refused from now on. */
    closeAll(): void {
      closing = true;
      for (const end of [...enders]) end();
    },
  };
}
export type StreamRegistry = ReturnType<typeof createStreamRegistry>;
