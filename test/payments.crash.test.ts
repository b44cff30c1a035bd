/**
 * Durability of webhooks: the payments process dies (SIGKILL, via the
 * PAYMENTS_TEST_CRASH_AFTER_STORE test hook) right after a successful_payment
 * was stored and acknowledged, before it was processed. After a restart the
 * stored event is processed and the payment becomes PAID. Then (embedded
 * ledger; the PostgreSQL run is in payments.postgres.test.ts) a Stripe event
 * that could not be checked with Stripe is kept and applied later.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gql, stack } from './helpers/client.ts';
import { startPaymentsStack, type PaymentsStack } from './helpers/paymentsStack.ts';
import { defineStripeOutageFlow } from './helpers/paymentFlows.ts';
import { checkoutInSandbox, createStarsInvoice } from './helpers/starsCheckout.ts';

const USER = 100000047;

describe('payments: crash between acknowledging and processing a webhook', () => {
  let ps: PaymentsStack;
  beforeAll(async () => {
    ps = await startPaymentsStack({ paymentsEnv: { PAYMENTS_TEST_CRASH_AFTER_STORE: '1' } });
  });
  afterAll(async () => {
    await ps?.stop();
  });

  it('finishes the job after restart', async () => {
    const payment = await createStarsInvoice(USER, ps.gatewayUrl);

    const died = ps.paymentsExited();
    const checkout = await checkoutInSandbox(ps.sandboxUrl, payment.link, USER);
    expect(checkout.ok).toBe(true);
    // successful_payment was acknowledged (200) on the first attempt: Telegram will not send it again.
    expect(checkout.updates[1]).toMatchObject({ status: 200, delivered: true, attempts: 1 });
    await died;

    await ps.startPayments({ PAYMENTS_TEST_CRASH_AFTER_STORE: '0' });
    const deadline = Date.now() + 15_000;
    let status: string | undefined;
    while (Date.now() < deadline) {
      const read = await gql<{ payment: { status: string } | null }>(`query ($id: ID!) { payment(id: $id) { status } }`, {
        userId: USER,
        url: ps.gatewayUrl,
        variables: { id: payment.id },
      });
      status = read.body.data?.payment?.status;
      if (status === 'PAID') break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(status).toBe('PAID');
  });

  // Runs after the restart above (tests in a file run in order): this stack has a sandbox of its own.
  defineStripeOutageFlow(
    () => ({ gatewayUrl: ps.gatewayUrl, gatewayBase: ps.gatewayBase, sandboxUrl: ps.sandboxUrl, operatorId: stack().operatorId }),
    USER,
  );
});
