/**
 * Stripe events, believed only as far as Stripe itself confirms them. A
 * correctly signed event is a hint ("look at PaymentIntent X"), not a fact: a
 * leaked webhook secret, a replay or an out-of-order delivery must not move
 * money in the ledger. So before an event changes a payment, the PaymentIntent
 * (and, for refunds, the charge) is read back from Stripe, and the ledger
 * follows Stripe's object (its status, amount and currency), never the
 * event's copy. An event that Stripe's object contradicts changes nothing.
 *
 * Reading is split from applying: `readBack` makes the network calls outside
 * any database transaction (no row lock is held across a slow provider), and
 * `apply` runs inside the inbox's transaction with what was read. When Stripe
 * cannot be reached, `readBack` throws and the inbox keeps the event for its
 * retry sweep.
 */
import type { Logger } from '../../lib/logger.ts';
import type { Queryable } from '../shared/db.ts';
import { StripeApiError, type Stripe, type StripeCharge, type StripePaymentIntent } from '../shared/connectors/stripe.ts';
import { lockPayment, type PaymentRecord } from './ledger.ts';

export interface StripeEvent {
  id: string;
  type: string;
  data: { object: Record<string, unknown> };
}

/** What an event claims happened to one of our PaymentIntents. */
export type StripeClaim =
  | { kind: 'succeeded'; intentId: string }
  | { kind: 'failed'; intentId: string; canceled: boolean }
  | { kind: 'refunded'; intentId: string; chargeId: string };

/** Stripe's own objects behind a claim, as read back; `null` = Stripe does not know the object. */
export interface StripeTruth {
  intent: StripePaymentIntent | null;
  charge: StripeCharge | null;
}

const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

/** The claim of an event we act on, or undefined for every other event (stored as `ignored`). */
export function claimOf(event: StripeEvent): StripeClaim | undefined {
  const object = event.data?.object ?? {};
  const intentOfObject = object.object === 'payment_intent' ? text(object.id) : undefined;
  switch (event.type) {
    case 'payment_intent.succeeded':
      return intentOfObject ? { kind: 'succeeded', intentId: intentOfObject } : undefined;
    case 'payment_intent.payment_failed':
    case 'payment_intent.canceled':
      return intentOfObject ? { kind: 'failed', intentId: intentOfObject, canceled: event.type === 'payment_intent.canceled' } : undefined;
    case 'charge.refunded': {
      const intentId = text(object.payment_intent);
      const chargeId = object.object === 'charge' ? text(object.id) : undefined;
      return intentId && chargeId ? { kind: 'refunded', intentId, chargeId } : undefined;
    }
    case 'refund.created':
    case 'refund.updated':
    case 'charge.refund.updated': {
      const intentId = text(object.payment_intent);
      const chargeId = object.object === 'refund' ? text(object.charge) : undefined;
      return intentId && chargeId ? { kind: 'refunded', intentId, chargeId } : undefined;
    }
    default:
      return undefined;
  }
}

/** A 404 from Stripe is an answer (no such object); anything else (unreachable, 5xx, 401) is not. */
async function orMissing<T>(read: Promise<T>): Promise<T | null> {
  try {
    return await read;
  } catch (error) {
    if (error instanceof StripeApiError && error.status === 404) return null;
    throw error;
  }
}

export function createStripeEvents(options: { stripe: Stripe; log: Logger }) {
  const { stripe, log } = options;

  /** Why the ledger does not move: logged loudly, since a contradicted event is forged, stale or a bug. */
  function contradicted(payment: PaymentRecord, claim: StripeClaim, detail: string): string {
    log.warn({ paymentId: payment.id, claim: claim.kind, detail }, 'Stripe event contradicted by Stripe: ledger unchanged');
    return `contradicted by Stripe: ${detail}`;
  }

  async function markPaid(tx: Queryable, payment: PaymentRecord): Promise<void> {
    await tx.query(
      `UPDATE payments SET status = 'PAID', paid_at = COALESCE(paid_at, clock_timestamp()), failure_reason = NULL WHERE id = $1`,
      [payment.id],
    );
  }

  return {
    /** Reads the objects an event names back from Stripe. Throws when Stripe cannot answer (retry later). */
    async readBack(claim: StripeClaim): Promise<StripeTruth> {
      const [intent, charge] = await Promise.all([
        orMissing(stripe.retrievePaymentIntent(claim.intentId)),
        claim.kind === 'refunded' ? orMissing(stripe.retrieveCharge(claim.chargeId)) : Promise.resolve(null),
      ]);
      return { intent, charge };
    },

    /**
     * Applies a claim to the payment of its PaymentIntent, as far as Stripe's objects (`truth`,
     * read by `readBack` for this claim) confirm it. Returns the outcome stored with the event.
     */
    async apply(tx: Queryable, claim: StripeClaim, truth: StripeTruth | undefined): Promise<string> {
      const payment = await lockPayment(tx, `provider = 'STRIPE' AND external_id = $1`, [claim.intentId]);
      if (!payment) {
        log.warn({ intentId: claim.intentId, claim: claim.kind }, 'Stripe event for an unknown PaymentIntent');
        return 'unknown payment';
      }
      // The payment appeared after the read-back was skipped (invoice written meanwhile): read again later.
      if (!truth) throw new Error(`Stripe state of ${claim.intentId} was not read`);
      const intent = truth.intent;
      if (!intent || intent.id !== claim.intentId) return contradicted(payment, claim, 'Stripe does not know this PaymentIntent');
      // What Stripe actually holds for this payment: the currency must match and the amount cover the price.
      const covers = intent.currency.toUpperCase() === payment.currency && BigInt(intent.amount_received ?? 0) >= payment.amount;

      switch (claim.kind) {
        case 'succeeded': {
          if (intent.status !== 'succeeded') return contradicted(payment, claim, `the PaymentIntent is ${intent.status}`);
          if (!covers) {
            log.error({ paymentId: payment.id }, 'Stripe success does not cover the payment: reconcile by hand');
            return 'mismatch';
          }
          if (payment.status === 'PAID' || payment.status === 'REFUNDED') return `already ${payment.status.toLowerCase()} ${payment.id}`;
          await markPaid(tx, payment);
          return `paid ${payment.id}`;
        }
        case 'failed': {
          // Stripe leaves a declined PaymentIntent in requires_payment_method with the decline attached.
          const confirmed = claim.canceled
            ? intent.status === 'canceled'
            : intent.status === 'requires_payment_method' && intent.last_payment_error != null;
          if (!confirmed) return contradicted(payment, claim, `the PaymentIntent is ${intent.status}`);
          if (payment.status !== 'PENDING') return `ignored failure of ${payment.status.toLowerCase()} ${payment.id}`;
          const reason = claim.canceled ? 'canceled' : (intent.last_payment_error?.message ?? 'payment failed');
          await tx.query(`UPDATE payments SET status = 'FAILED', failure_reason = $2 WHERE id = $1`, [payment.id, reason]);
          return `failed ${payment.id}`;
        }
        case 'refunded': {
          const charge = truth.charge;
          if (!charge || charge.payment_intent !== intent.id)
            return contradicted(payment, claim, 'Stripe does not know this charge of the PaymentIntent');
          if (charge.currency.toUpperCase() !== payment.currency) {
            log.error({ paymentId: payment.id }, 'Stripe refund in another currency than the payment: reconcile by hand');
            return 'mismatch';
          }
          const refunded = BigInt(charge.amount_refunded);
          if (refunded <= 0n) return contradicted(payment, claim, 'nothing was refunded on the charge');
          if (payment.status === 'REFUNDED') return `already refunded ${payment.id}`;
          if (payment.status !== 'PAID') {
            // Events arrive in any order: a refund can be seen before the success it refunds.
            if (intent.status !== 'succeeded' || !covers)
              return contradicted(payment, claim, `refund of a PaymentIntent that is ${intent.status}`);
            await markPaid(tx, payment);
          }
          // `refunded` is Stripe's "fully refunded"; amount_refunded is cumulative, so a stale read never lowers it.
          const full = charge.refunded === true;
          if (!full && refunded <= payment.refundedAmount) return `no new refund on ${payment.id}`;
          await tx.query(
            `UPDATE payments SET refunded_amount = GREATEST(refunded_amount, $2::bigint),
               status = CASE WHEN $3::boolean THEN 'REFUNDED' ELSE status END,
               refunded_at = CASE WHEN $3::boolean THEN COALESCE(refunded_at, clock_timestamp()) ELSE refunded_at END
             WHERE id = $1`,
            [payment.id, refunded.toString(), full],
          );
          return full ? `refunded ${payment.id}` : `partially refunded ${payment.id}: ${refunded} of ${payment.amount}`;
        }
      }
    },
  };
}
export type StripeEvents = ReturnType<typeof createStripeEvents>;
