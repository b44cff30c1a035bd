/**
 * `Subscription.paymentUpdated` / `Subscription.myPayments`: the caller's
 * payments as they change. A notification only says "payment X of user U
 * changed"; every event re-reads the row, so a stream always carries the
 * current state, repeated changes coalesce, and nothing is built from the
 * notification's payload.
 *
 * Reconnecting (a Telegram WebView slept): `paymentUpdated` always starts with
 * the payment's current state; `myPayments(changedSince:)` starts with every
 * payment of the caller changed after that instant (the client passes the
 * last `updatedAt` it saw), oldest first.
 */
import { badInput, notFound } from '../../lib/errors.ts';
import { keyQueueIterator } from '../../lib/asyncIterators.ts';
import { LoaderRegistry, canSeeUser, requireUser, type SubgraphContext } from '../shared/context.ts';
import type { Ledger, PaymentRecord } from './ledger.ts';
import type { PaymentChange, PaymentEvents } from './events.ts';

export interface LiveServices {
  ledger: Ledger;
  events: PaymentEvents;
}
type Ctx = SubgraphContext<LiveServices>;

/** Changes a slow stream may hold before dropping the oldest (each is one payment id: a re-read covers it). */
const MAX_PENDING = 256;
/** Catch-up of `myPayments(changedSince:)`: at most this many payments, oldest change first. */
const CATCH_UP_LIMIT = 100;

function watch(ctx: Ctx, accept: (change: PaymentChange) => boolean, initial: readonly string[]): AsyncIterableIterator<PaymentRecord> {
  const { ledger, events } = ctx.services;
  let unsubscribe: () => void = () => {};
  const { queue, iterator } = keyQueueIterator<string, PaymentRecord>({
    maxPending: MAX_PENDING,
    async load(id) {
      const [payment] = await ledger.byIds([id]);
      // Each event resolves its fields with fresh loaders: a stream's context lives for hours.
      ctx.loaders = new LoaderRegistry();
      return payment && canSeeUser(ctx, payment.userId) ? payment : undefined;
    },
    onDrop: (id) => ctx.log.warn({ paymentId: id }, 'subscription too slow: dropped a queued change'),
    onClose: () => unsubscribe(),
  });
  // Listen first, then read the current state: a change in between is seen twice, never missed.
  unsubscribe = events.subscribe((change) => {
    if (accept(change)) queue.push(change.id);
  });
  for (const id of initial) queue.push(id);
  return iterator;
}

const asPayment = (payment: PaymentRecord) => payment;

export const liveResolvers = {
  Subscription: {
    paymentUpdated: {
      async subscribe(_: unknown, args: { id: string }, ctx: Ctx) {
        requireUser(ctx);
        const [payment] = await ctx.services.ledger.byIds([args.id]);
        // Someone else's payment does not exist for this caller (as with `payment(id)`).
        if (!payment || !canSeeUser(ctx, payment.userId)) throw notFound(`No payment ${args.id}`);
        return watch(ctx, (change) => change.id === args.id, [args.id]);
      },
      resolve: asPayment,
    },
    myPayments: {
      async subscribe(_: unknown, args: { changedSince?: string | null }, ctx: Ctx) {
        const userId = requireUser(ctx);
        const since = args.changedSince ? parseInstant(args.changedSince) : undefined;
        const missed = since ? await ctx.services.ledger.changedSince(userId, since, CATCH_UP_LIMIT) : [];
        return watch(
          ctx,
          (change) => change.userId === userId,
          missed.map((p) => p.id),
        );
      },
      resolve: asPayment,
    },
  },
};

/** An ISO-8601 UTC instant as `updatedAt` prints it (microseconds kept: they order changes). */
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/;

function parseInstant(value: string): string {
  if (!INSTANT.test(value) || Number.isNaN(Date.parse(value))) {
    throw badInput("changedSince must be an ISO-8601 UTC time such as a payment's updatedAt", 'changedSince');
  }
  return value;
}
