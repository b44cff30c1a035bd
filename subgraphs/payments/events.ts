/**
 * Payment changes as they happen, for subscriptions. The ledger's trigger
 * (migration 7) NOTIFYs every visible change on PAYMENT_CHANGES_CHANNEL when
 * the writing transaction commits; this process LISTENs once and fans the
 * notifications out to its subscribers. With DATABASE_URL every replica of the
 * payments subgraph hears every change, whichever replica (or worker) wrote it;
 * with the embedded PGlite the bus is this process.
 */
import type { Logger } from '../../lib/logger.ts';
import type { Database } from '../shared/db.ts';
import { PAYMENT_CHANGES_CHANNEL } from './ledger.ts';

export interface PaymentChange {
  id: string;
  userId: string;
}

export type PaymentChangeListener = (change: PaymentChange) => void;

export function createPaymentEvents(db: Database, log: Logger) {
  const listeners = new Set<PaymentChangeListener>();
  let unlisten: (() => Promise<void>) | undefined;

  function dispatch(payload: string): void {
    let change: PaymentChange;
    try {
      const parsed = JSON.parse(payload) as Partial<PaymentChange>;
      if (typeof parsed.id !== 'string' || typeof parsed.userId !== 'string') throw new Error('bad shape');
      change = { id: parsed.id, userId: parsed.userId };
    } catch {
      log.warn({ channel: PAYMENT_CHANGES_CHANNEL }, 'ignored a malformed payment notification');
      return;
    }
    for (const listener of listeners) {
      try {
        listener(change);
      } catch (error) {
        log.error({ err: error }, 'payment change listener failed');
      }
    }
  }

  return {
    async start(): Promise<void> {
      unlisten = await db.listen(PAYMENT_CHANGES_CHANNEL, dispatch);
    },
    /** Returns the unsubscribe function. */
    subscribe(listener: PaymentChangeListener): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    get subscriberCount(): number {
      return listeners.size;
    },
    async close(): Promise<void> {
      listeners.clear();
      await unlisten?.();
    },
  };
}
export type PaymentEvents = ReturnType<typeof createPaymentEvents>;
