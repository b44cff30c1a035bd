/**
 * `Mutation.cancelSubscription`: stops a Stars subscription from renewing
 * (Bot API `editUserStarSubscription`, is_canceled = true). The subscription
 * stays paid to the end of its period; cancelling twice is harmless (the
 * first cancellation time is kept).
 */
import { appError, badInput, ErrorCode, notFound } from '../../lib/errors.ts';
import { BotApiError, type BotApi } from '../shared/connectors/telegramBotApi.ts';
import { PAYMENT_COLUMNS, toPayment, type Ledger, type PaymentRecord, type PaymentRow } from './ledger.ts';

export function createSubscriptions(services: { ledger: Ledger; bot: BotApi }) {
  const { ledger, bot } = services;
  return {
    async cancel(userId: string, paymentId: string): Promise<PaymentRecord> {
      const [payment] = await ledger.byIds([paymentId]);
      // Someone else's payment does not exist for this caller (as with `payment(id)`).
      if (!payment || payment.userId !== userId) throw notFound(`No payment ${paymentId}`);
      const first = payment.renewalOf ? (await ledger.byIds([payment.renewalOf]))[0] : payment;
      if (!first || first.subscriptionPeriod === null) throw badInput(`Payment ${paymentId} is not a subscription`, 'id');
      if (!first.telegramChargeId) throw badInput('The subscription has not been paid yet: nothing to cancel', 'id');
      try {
        await bot.call<boolean>(
          'editUserStarSubscription',
          { user_id: Number(userId), telegram_payment_charge_id: first.telegramChargeId, is_canceled: true },
          { idempotent: true }, // setting the same flag twice is the same as once
        );
      } catch (error) {
        if (error instanceof BotApiError)
          throw appError(ErrorCode.UPSTREAM_ERROR, `Telegram refused: ${error.description}`, { service: 'telegram' });
        throw error;
      }
      const rows = await ledger.db.query<PaymentRow>(
        `UPDATE payments SET subscription_canceled_at = COALESCE(subscription_canceled_at, clock_timestamp()) WHERE id = $1 RETURNING ${PAYMENT_COLUMNS}`,
        [first.id],
      );
      return toPayment(rows[0]!);
    },
  };
}
export type Subscriptions = ReturnType<typeof createSubscriptions>;
