/**
 * `Mutation.refundPayment` (operators only). A refund is claimed in the
 * ledger first (`refund_requested_at`, only on a PAID payment without a live
 * claim), so two concurrent calls cannot both reach the provider; the provider
 * call itself is idempotent (Stripe `Idempotency-Key` from the payment id;
 * Telegram answers CHARGE_ALREADY_REFUNDED to a repeat, which we read as done).
 * Refunding a REFUNDED payment is a CONFLICT, never a second refund.
 */
import { appError, badInput, conflict, ErrorCode, notFound } from '../../lib/errors.ts';
import type { Logger } from '../../lib/logger.ts';
import { BotApiError, type BotApi } from '../shared/connectors/telegramBotApi.ts';
import { StripeApiError, type Stripe } from '../shared/connectors/stripe.ts';
import { PAYMENT_COLUMNS, toPayment, type Ledger, type PaymentRecord, type PaymentRow } from './ledger.ts';

/** A claim older than this is considered abandoned (the process died mid-refund) and may be taken over. */
const CLAIM_TTL = `interval '2 minutes'`;

export function createRefunds(services: { ledger: Ledger; bot: BotApi; stripe: Stripe; log: Logger }) {
  const { ledger, bot, stripe, log } = services;
  const db = ledger.db;

  async function release(id: string): Promise<void> {
    await db.query('UPDATE payments SET refund_requested_at = NULL WHERE id = $1 AND status = $2', [id, 'PAID']);
  }

  /** Records a full refund: Stars are refunded whole, and a Stripe refund without an amount takes all that is left. */
  async function finish(id: string, refundId: string | null): Promise<PaymentRecord> {
    const rows = await db.query<PaymentRow>(
      `UPDATE payments SET status = 'REFUNDED', refunded_at = COALESCE(refunded_at, clock_timestamp()), refund_id = COALESCE(refund_id, $2), refunded_amount = amount
       WHERE id = $1 RETURNING ${PAYMENT_COLUMNS}`,
      [id, refundId],
    );
    return toPayment(rows[0]!);
  }

  return {
    async refund(id: string): Promise<PaymentRecord> {
      const claimed = await db.query<PaymentRow>(
        `UPDATE payments SET refund_requested_at = clock_timestamp()
         WHERE id = $1 AND status = 'PAID' AND (refund_requested_at IS NULL OR refund_requested_at < clock_timestamp() - ${CLAIM_TTL})
         RETURNING ${PAYMENT_COLUMNS}`,
        [id],
      );
      const payment = claimed[0] ? toPayment(claimed[0]) : undefined;
      if (!payment) {
        const [current] = await ledger.byIds([id]);
        if (!current) throw notFound(`No payment ${id}`);
        if (current.status === 'REFUNDED') throw conflict(`Payment ${id} was already refunded`);
        if (current.status !== 'PAID') throw conflict(`Only a PAID payment can be refunded; payment ${id} is ${current.status}`);
        throw conflict(`A refund of payment ${id} is already in progress`);
      }

      try {
        if (payment.provider === 'STARS') {
          if (!payment.telegramChargeId) throw new Error(`paid Stars payment ${id} has no charge id`);
          try {
            await bot.call<boolean>('refundStarPayment', {
              user_id: Number(payment.userId),
              telegram_payment_charge_id: payment.telegramChargeId,
            });
          } catch (error) {
            // A refund that happened before (e.g. we crashed before recording it) is the outcome we want.
            if (!(error instanceof BotApiError && error.description.includes('CHARGE_ALREADY_REFUNDED'))) throw error;
          }
          log.info({ paymentId: id }, 'Stars payment refunded');
          return await finish(id, payment.telegramChargeId);
        }
        if (payment.provider === 'STRIPE') {
          if (!payment.externalId) throw new Error(`paid Stripe payment ${id} has no PaymentIntent id`);
          let refundId: string | null = null;
          try {
            refundId = (await stripe.createRefund(payment.externalId, `tma-refund-${payment.id}`)).id;
          } catch (error) {
            if (!(error instanceof StripeApiError && error.code === 'charge_already_refunded')) throw error;
          }
          log.info({ paymentId: id }, 'Stripe payment refunded');
          return await finish(id, refundId);
        }
        throw badInput('TON payments cannot be refunded automatically: send the TON back from the wallet and record it by hand', 'id');
      } catch (error) {
        await release(id).catch(() => {});
        if (error instanceof BotApiError) {
          throw appError(ErrorCode.UPSTREAM_ERROR, `Telegram refused the refund: ${error.description}`, { service: 'telegram' });
        }
        if (error instanceof StripeApiError) {
          throw appError(ErrorCode.UPSTREAM_ERROR, `Stripe refused the refund: ${error.message}`, { service: 'stripe' });
        }
        throw error;
      }
    },
  };
}
export type Refunds = ReturnType<typeof createRefunds>;
