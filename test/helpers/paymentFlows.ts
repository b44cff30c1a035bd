/**
 * The payment flow suite, driven through the real HTTP surface (gateway
 * GraphQL + webhooks) against the sandbox. Shared by the embedded-database run
 * (test/payments.test.ts) and the PostgreSQL run (test/payments.postgres.test.ts).
 */
import { randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import { SANDBOX_CREDENTIALS } from '../../sandbox/src/credentials.ts';
import { stripeSignature } from '../../sandbox/src/services/stripe.ts';
import { gql } from './client.ts';
import { until } from './poll.ts';
import { checkoutInSandbox } from './starsCheckout.ts';

export interface PaymentsTarget {
  gatewayUrl: string;
  /** `http://host:port` of the gateway (webhooks live there). */
  gatewayBase: string;
  sandboxUrl: string;
  operatorId: string;
}

const INVOICE = `mutation ($input: CreateInvoiceInput!) {
  createInvoice(input: $input) {
    payment { id status provider amount { amount currency } product { id } createdAt paidAt }
    starsInvoiceLink stripeClientSecret tonTransfer { address amount comment }
  }
}`;
const PAYMENT = `query ($id: ID!) { payment(id: $id) { id status provider paidAt refundedAt amount { amount currency } } }`;
const REFUND = `mutation ($id: ID!) { refundPayment(id: $id) { id status refundedAt refundedAmount { amount currency } } }`;
const REFUNDED_AMOUNT = `query ($id: ID!) { payment(id: $id) { id status refundedAt refundedAmount { amount currency } } }`;
const MY_PAYMENTS = `{ me { id payments(first: 50) { edges { node { id status createdAt } } } } }`;

interface Invoice {
  payment: {
    id: string;
    status: string;
    provider: string;
    amount: { amount: number; currency: string };
    product: { id: string };
    createdAt: string;
    paidAt: string | null;
  };
  starsInvoiceLink: string | null;
  stripeClientSecret: string | null;
  tonTransfer: { address: string; amount: string; comment: string } | null;
}

export function definePaymentFlows(target: () => PaymentsTarget, users: { a: number; b: number; c: number; d: number }) {
  const ask = <T = Record<string, unknown>>(query: string, userId: number | string, variables?: Record<string, unknown>) =>
    gql<T>(query, { userId, variables, url: target().gatewayUrl });

  async function createInvoice(userId: number, productId: string, provider: string, idempotencyKey: string = randomUUID()) {
    return ask<{ createInvoice: Invoice }>(INVOICE, userId, { input: { productId, provider, idempotencyKey } });
  }
  async function createInvoiceWith(userId: number, input: Record<string, unknown>) {
    return ask<{ createInvoice: Invoice }>(INVOICE, userId, { input });
  }
  async function invoiceOk(userId: number, productId: string, provider: string, key?: string): Promise<Invoice> {
    const res = await createInvoice(userId, productId, provider, key);
    expect(res.body.errors).toBeUndefined();
    return res.body.data!.createInvoice;
  }
  async function paymentOf(userId: number | string, id: string) {
    const res = await ask<{ payment: { id: string; status: string; paidAt: string | null; refundedAt: string | null } | null }>(
      PAYMENT,
      userId,
      { id },
    );
    expect(res.body.errors).toBeUndefined();
    return res.body.data!.payment;
  }
  async function waitForStatus(userId: number, id: string, status: string, timeoutMs = 10_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const p = await paymentOf(userId, id);
      if (p?.status === status) return p;
      if (Date.now() > deadline) throw new Error(`payment ${id} is ${p?.status}, expected ${status}`);
      await new Promise((r) => setTimeout(r, 150));
    }
  }
  const pay = (invoiceLink: string, userId: number) => checkoutInSandbox(target().sandboxUrl, invoiceLink, userId);
  /** `secret: null` sends no secret header at all. */
  async function telegramWebhook(body: unknown, secret: string | null = SANDBOX_CREDENTIALS.telegramWebhookSecret) {
    return fetch(`${target().gatewayBase}/webhooks/telegram`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(secret !== null ? { 'x-telegram-bot-api-secret-token': secret } : {}) },
      body: JSON.stringify(body),
    });
  }
  async function stripeWebhook(event: unknown, options: { secret?: string; timestamp?: number; signature?: string } = {}) {
    const body = JSON.stringify(event);
    const signature =
      options.signature ??
      stripeSignature(body, options.secret ?? SANDBOX_CREDENTIALS.stripeWebhookSecret, options.timestamp ?? Math.floor(Date.now() / 1000));
    return fetch(`${target().gatewayBase}/webhooks/stripe`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'stripe-signature': signature },
      body,
    });
  }
  async function journal(service: string) {
    const res = await fetch(`${target().sandboxUrl}/__sandbox/requests?service=${service}`);
    return (await res.json()) as { operation?: string; method: string; path: string; body: Record<string, unknown>; status: number }[];
  }
  /** The Stripe API of the sandbox, called as the shop owner would (Dashboard, scripts): form-encoded, secret key. */
  async function stripeApi(method: 'GET' | 'POST', path: string, params: Record<string, string> = {}) {
    const form = new URLSearchParams(params).toString();
    const res = await fetch(`${target().sandboxUrl}/stripe${path}${method === 'GET' && form ? `?${form}` : ''}`, {
      method,
      headers: { authorization: `Bearer ${SANDBOX_CREDENTIALS.stripeSecretKey}`, 'content-type': 'application/x-www-form-urlencoded' },
      ...(method === 'POST' ? { body: form } : {}),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }
  const intentOf = (invoice: Invoice) => invoice.stripeClientSecret!.split('_secret_')[0]!;
  /** Stripe settles a PaymentIntent (sandbox helper) and delivers payment_intent.succeeded to the gateway. */
  async function stripeSucceeds(intentId: string) {
    const res = await fetch(`${target().sandboxUrl}/stripe/__sandbox/payment_intents/${intentId}/succeed`, { method: 'POST' });
    expect(res.status).toBe(200);
    return (await res.json()) as { delivery: { status: number | null }; paymentIntent: Record<string, unknown> };
  }
  async function refundedAmountOf(userId: number, id: string) {
    const res = await ask<{
      payment: { status: string; refundedAt: string | null; refundedAmount: { amount: number; currency: string } } | null;
    }>(REFUNDED_AMOUNT, userId, { id });
    expect(res.body.errors).toBeUndefined();
    return res.body.data!.payment!;
  }
  async function waitForRefundedAmount(userId: number, id: string, amount: number, timeoutMs = 10_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const p = await refundedAmountOf(userId, id);
      if (p.refundedAmount.amount === amount) return p;
      if (Date.now() > deadline) throw new Error(`payment ${id} has ${p.refundedAmount.amount} refunded, expected ${amount}`);
      await new Promise((r) => setTimeout(r, 150));
    }
  }
  /** A `charge.refunded` event as Stripe sends it (the charge object), signed with the webhook secret. */
  const chargeRefunded = (charge: {
    id: string;
    payment_intent: string;
    amount: number;
    amount_refunded: number;
    refunded: boolean;
    currency: string;
  }) => ({
    id: `evt_${randomUUID()}`,
    object: 'event',
    type: 'charge.refunded',
    data: { object: { object: 'charge', status: 'succeeded', paid: true, captured: true, amount_captured: charge.amount, ...charge } },
  });
  /** The watcher's reads of the wallet's transactions, from the sandbox's journal. */
  const tonReads = async (): Promise<{ seq: number }[]> =>
    (await (await fetch(`${target().sandboxUrl}/__sandbox/requests?service=toncenter&path=/api/v2/getTransactions`)).json()) as {
      seq: number;
    }[];
  const tonTransfer = (value: string, comment: string, extra: Record<string, unknown> = {}) =>
    fetch(`${target().sandboxUrl}/toncenter/__sandbox/transfers`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ value, comment, ...extra }),
    });
  const successfulPayment = (updateId: number, userId: number, paymentId: string, amount: number, chargeId: string) => ({
    update_id: updateId,
    message: {
      message_id: 1,
      from: { id: userId, is_bot: false, first_name: 'T' },
      chat: { id: userId, type: 'private' },
      date: Math.floor(Date.now() / 1000),
      successful_payment: {
        currency: 'XTR',
        total_amount: amount,
        invoice_payload: paymentId,
        telegram_payment_charge_id: chargeId,
        provider_payment_charge_id: `${userId}_x`,
      },
    },
  });

  it('Stars: invoice -> pre-checkout -> successful_payment -> PAID, with the price from the catalog', async () => {
    const { a } = users;
    const invoice = await invoiceOk(a, 'prod_coins_100', 'STARS');
    expect(invoice.payment).toMatchObject({
      status: 'PENDING',
      provider: 'STARS',
      amount: { amount: 100, currency: 'XTR' },
      product: { id: 'prod_coins_100' },
    });
    expect(invoice.starsInvoiceLink).toMatch(/^https:\/\/t\.me\/\$/);
    expect(invoice.stripeClientSecret).toBeNull();
    const created = (await journal('telegram')).filter((e) => e.operation === 'createInvoiceLink' && e.body.payload === invoice.payment.id);
    expect(created).toHaveLength(1);
    // (The journal redacts provider_token; the sandbox itself refuses a non-empty one for XTR.)
    expect(created[0]!.body).toMatchObject({ currency: 'XTR', prices: [{ amount: 100 }] });

    const started = performance.now();
    const checkout = await pay(invoice.starsInvoiceLink!, a);
    const ms = Math.round(performance.now() - started);
    expect(checkout.ok).toBe(true);
    expect(checkout.updates.map((u) => u.status)).toEqual([200, 200]);
    console.log(`[payments] Stars checkout (pre-checkout answered + successful_payment stored) took ${ms} ms`);
    const paid = await waitForStatus(a, invoice.payment.id, 'PAID');
    expect(paid.paidAt).toBeTruthy();

    // A second checkout of the same invoice is refused at pre-checkout: it was already paid.
    const again = await pay(invoice.starsInvoiceLink!, a);
    expect(again.ok).toBe(false);
    expect(again.errorMessage).toMatch(/already been paid/);
  });

  it('pre-checkout is refused for a payment of another user', async () => {
    const { a, b } = users;
    const invoice = await invoiceOk(a, 'prod_boost_week', 'STARS');
    const res = await pay(invoice.starsInvoiceLink!, b);
    expect(res.ok).toBe(false);
    expect(res.errorMessage).toMatch(/does not exist/);
    expect((await paymentOf(a, invoice.payment.id))!.status).toBe('PENDING');
  });

  it('a redelivered update and the same charge under a new update id leave one PAID payment', async () => {
    const { b } = users;
    const invoice = await invoiceOk(b, 'prod_sticker_pack', 'STARS');
    const updateId = 900_000_000 + Math.floor(Math.random() * 1_000_000);
    const charge = `stx_test_${randomUUID()}`;
    const update = successfulPayment(updateId, b, invoice.payment.id, 150, charge);
    expect((await telegramWebhook(update)).status).toBe(200);
    const first = await waitForStatus(b, invoice.payment.id, 'PAID');
    expect((await telegramWebhook(update)).status).toBe(200); // same update_id
    expect((await telegramWebhook({ ...update, update_id: updateId + 1 })).status).toBe(200); // same charge, new update
    const after = await paymentOf(b, invoice.payment.id);
    expect(after).toMatchObject({ status: 'PAID', paidAt: first.paidAt });

    // The charge can settle no other payment either.
    const other = await invoiceOk(b, 'prod_sticker_pack', 'STARS');
    // 200 means stored and processed: the payments subgraph applies an update before it answers, and the gateway
    // answers 200 only after it did (a failure there is a 503), so the state read next is final, with no wait.
    expect((await telegramWebhook(successfulPayment(updateId + 2, b, other.payment.id, 150, charge))).status).toBe(200);
    expect((await paymentOf(b, other.payment.id))!.status).toBe('PENDING');
  });

  it('refuses a forged or missing Telegram secret token and a forged or stale Stripe signature', async () => {
    const { b } = users;
    const invoice = await invoiceOk(b, 'prod_coins_100', 'STARS');
    const forged = successfulPayment(
      800_000_000 + Math.floor(Math.random() * 1e6),
      b,
      invoice.payment.id,
      100,
      `stx_forged_${randomUUID()}`,
    );
    expect((await telegramWebhook(forged, 'not-the-secret')).status).toBe(401);
    expect((await telegramWebhook(forged, null)).status).toBe(401);
    expect((await telegramWebhook(forged, '')).status).toBe(401);
    const event = {
      id: `evt_forged_${randomUUID()}`,
      object: 'event',
      type: 'payment_intent.succeeded',
      data: { object: { id: 'pi_x', object: 'payment_intent' } },
    };
    expect((await stripeWebhook(event, { secret: 'whsec_wrong' })).status).toBe(400);
    expect((await stripeWebhook(event, { timestamp: Math.floor(Date.now() / 1000) - 301 })).status).toBe(400);
    expect((await stripeWebhook(event, { signature: 't=1,v1=00' })).status).toBe(400);
    expect((await paymentOf(b, invoice.payment.id))!.status).toBe('PENDING');
  });

  it('idempotency: the same key returns the same invoice; another product under that key is a CONFLICT', async () => {
    const { c } = users;
    const key = randomUUID();
    const first = await invoiceOk(c, 'prod_premium_month', 'STRIPE', key);
    const second = await invoiceOk(c, 'prod_premium_month', 'STRIPE', key);
    expect(second.payment.id).toBe(first.payment.id);
    expect(second.stripeClientSecret).toBe(first.stripeClientSecret);
    const clash = await createInvoice(c, 'prod_coins_100', 'STRIPE', key);
    expect(clash.body.errors?.[0]?.extensions?.code).toBe('CONFLICT');
    const unknown = await createInvoice(c, 'prod_nope', 'STARS');
    expect(unknown.body.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const notSold = await createInvoice(c, 'prod_hoodie', 'STARS');
    expect(notSold.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('50 concurrent createInvoice calls with one idempotency key create exactly one payment', async () => {
    const { c } = users;
    const key = randomUUID();
    const results = await Promise.all(Array.from({ length: 50 }, () => createInvoice(c, 'prod_boost_week', 'STARS', key)));
    for (const r of results) expect(r.body.errors).toBeUndefined();
    const ids = new Set(results.map((r) => r.body.data!.createInvoice.payment.id));
    const links = new Set(results.map((r) => r.body.data!.createInvoice.starsInvoiceLink));
    expect(ids.size).toBe(1);
    expect(links.size).toBe(1);
    const [id] = [...ids];
    const mine = await ask<{ me: { payments: { edges: { node: { id: string } }[] } } }>(MY_PAYMENTS, c);
    expect(mine.body.data!.me.payments.edges.filter((e) => e.node.id === id)).toHaveLength(1);
    const calls = (await journal('telegram')).filter((e) => e.operation === 'createInvoiceLink' && e.body.payload === id);
    expect(calls).toHaveLength(1);
  });

  it('Stripe: PaymentIntent with an Idempotency-Key, succeeded -> PAID, failed -> FAILED, replays change nothing', async () => {
    const { c } = users;
    const invoice = await invoiceOk(c, 'prod_premium_month', 'STRIPE');
    expect(invoice.payment.amount).toEqual({ amount: 499, currency: 'USD' });
    const intentId = invoice.stripeClientSecret!.split('_secret_')[0]!;
    const created = (await journal('stripe')).find(
      (e) => e.path === '/v1/payment_intents' && (e.body.metadata as Record<string, string> | undefined)?.payment_id === invoice.payment.id,
    );
    expect(created).toBeDefined();
    const succeed = await fetch(`${target().sandboxUrl}/stripe/__sandbox/payment_intents/${intentId}/succeed`, { method: 'POST' });
    const settled = (await succeed.json()) as { delivery: { status: number }; paymentIntent: Record<string, unknown> };
    expect(settled.delivery.status).toBe(200);
    const paid = await waitForStatus(c, invoice.payment.id, 'PAID');

    // Replay of a (validly signed) event with a new id, and the same event id twice: no change.
    const replay = {
      id: `evt_replay_${randomUUID()}`,
      object: 'event',
      type: 'payment_intent.succeeded',
      data: { object: settled.paymentIntent },
    };
    expect((await stripeWebhook(replay)).status).toBe(200);
    expect((await stripeWebhook(replay)).status).toBe(200);
    const failedLate = {
      id: `evt_late_${randomUUID()}`,
      object: 'event',
      type: 'payment_intent.payment_failed',
      data: { object: { ...settled.paymentIntent, status: 'requires_payment_method' } },
    };
    expect((await stripeWebhook(failedLate)).status).toBe(200);
    expect(await paymentOf(c, invoice.payment.id)).toMatchObject({ status: 'PAID', paidAt: paid.paidAt });

    const declined = await invoiceOk(c, 'prod_coins_100', 'STRIPE');
    const fail = await fetch(
      `${target().sandboxUrl}/stripe/__sandbox/payment_intents/${declined.stripeClientSecret!.split('_secret_')[0]}/fail`,
      { method: 'POST' },
    );
    expect(fail.status).toBe(200);
    await waitForStatus(c, declined.payment.id, 'FAILED');
  });

  it('TON: a transfer with the comment and at least the amount marks the payment PAID; less does not', async () => {
    const { a } = users;
    const invoice = await invoiceOk(a, 'prod_coins_100', 'TON');
    expect(invoice.tonTransfer).toEqual({
      address: SANDBOX_CREDENTIALS.tonWalletAddress,
      amount: '500000000',
      comment: expect.any(String),
    });
    const under = await invoiceOk(a, 'prod_sticker_pack', 'TON');
    const send = tonTransfer;
    expect((await send('799999999', under.tonTransfer!.comment)).status).toBe(200);
    expect((await send('800000000', under.tonTransfer!.comment, { bounced: true })).status).toBe(200);
    expect((await send('500000000', invoice.tonTransfer!.comment)).status).toBe(200);
    await waitForStatus(a, invoice.payment.id, 'PAID');
    // The walk that settled the last transfer also judged the two before it. Polls never overlap (one lease), so once
    // two more toncenter reads have started after PAID was seen, that walk is over: the under-payment's state is final.
    const lastReadAtPaid = Math.max(0, ...(await tonReads()).map((r) => r.seq));
    await until(async () => (await tonReads()).filter((r) => r.seq > lastReadAtPaid).length >= 2, 'the TON watcher to poll again', 30_000);
    expect((await paymentOf(a, under.payment.id))!.status).toBe('PENDING');
  });

  it('refunds: operators only, once (Stars and Stripe)', async () => {
    const { a, c } = users;
    const stars = await invoiceOk(a, 'prod_premium_month', 'STARS');
    expect((await pay(stars.starsInvoiceLink!, a)).ok).toBe(true);
    await waitForStatus(a, stars.payment.id, 'PAID');
    const notOperator = await ask(REFUND, a, { id: stars.payment.id });
    expect(notOperator.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const refunded = await ask<{
      refundPayment: { status: string; refundedAt: string; refundedAmount: { amount: number; currency: string } };
    }>(REFUND, target().operatorId, { id: stars.payment.id });
    expect(refunded.body.errors).toBeUndefined();
    expect(refunded.body.data!.refundPayment.status).toBe('REFUNDED');
    // Stars refunds are always of the whole charge.
    expect(refunded.body.data!.refundPayment.refundedAmount).toEqual(stars.payment.amount);
    const twice = await ask(REFUND, target().operatorId, { id: stars.payment.id });
    expect(twice.body.errors?.[0]?.extensions?.code).toBe('CONFLICT');
    const starRefunds = (await journal('telegram')).filter((e) => e.operation === 'refundStarPayment' && e.status === 200);
    expect(starRefunds.filter((e) => Number(e.body.user_id) === a)).toHaveLength(1);

    const stripe = await invoiceOk(c, 'prod_sticker_pack', 'STRIPE');
    await fetch(`${target().sandboxUrl}/stripe/__sandbox/payment_intents/${stripe.stripeClientSecret!.split('_secret_')[0]}/succeed`, {
      method: 'POST',
    });
    await waitForStatus(c, stripe.payment.id, 'PAID');
    const r1 = await ask<{ refundPayment: { status: string; refundedAmount: { amount: number; currency: string } } }>(
      REFUND,
      target().operatorId,
      { id: stripe.payment.id },
    );
    expect(r1.body.data?.refundPayment.status).toBe('REFUNDED');
    expect(r1.body.data?.refundPayment.refundedAmount).toEqual(stripe.payment.amount);
    const r2 = await ask(REFUND, target().operatorId, { id: stripe.payment.id });
    expect(r2.body.errors?.[0]?.extensions?.code).toBe('CONFLICT');
    expect((await paymentOf(c, stripe.payment.id))!.status).toBe('REFUNDED');

    const pending = await invoiceOk(c, 'prod_coins_100', 'STARS');
    const notPaid = await ask(REFUND, target().operatorId, { id: pending.payment.id });
    expect(notPaid.body.errors?.[0]?.extensions?.code).toBe('CONFLICT');
  });

  it("User.payments lists the caller's payments newest first; another user's payment reads as null", async () => {
    const { b, c } = users;
    const one = await invoiceOk(b, 'prod_coins_100', 'STARS');
    const two = await invoiceOk(b, 'prod_boost_week', 'TON');
    const mine = await ask<{ me: { payments: { edges: { node: { id: string; createdAt: string } }[] } } }>(MY_PAYMENTS, b);
    expect(mine.body.errors).toBeUndefined();
    const ids = mine.body.data!.me.payments.edges.map((e) => e.node.id);
    expect(ids.indexOf(two.payment.id)).toBeLessThan(ids.indexOf(one.payment.id));
    expect(ids.indexOf(one.payment.id)).toBeGreaterThanOrEqual(0);
    const dates = mine.body.data!.me.payments.edges.map((e) => e.node.createdAt);
    expect([...dates].sort().reverse()).toEqual(dates);
    expect(await paymentOf(c, one.payment.id)).toBeNull();
    const theirs = await ask<{ me: { payments: { edges: { node: { id: string } }[] } } }>(MY_PAYMENTS, c);
    expect(theirs.body.data!.me.payments.edges.map((e) => e.node.id)).not.toContain(one.payment.id);
  });

  it('Stars subscription: a 30-day subscription invoice, its first charge, and each renewal as a PAID payment of its own', async () => {
    const { a } = users;
    const res = await ask<{ createInvoice: Invoice }>(INVOICE, a, {
      input: { productId: 'prod_premium_month', provider: 'STARS', idempotencyKey: randomUUID(), subscription: true },
    });
    expect(res.body.errors).toBeUndefined();
    const invoice = res.body.data!.createInvoice;
    const created = (await journal('telegram')).filter((e) => e.operation === 'createInvoiceLink' && e.body.payload === invoice.payment.id);
    expect(created[0]!.body).toMatchObject({ currency: 'XTR', subscription_period: 2_592_000 });

    expect((await pay(invoice.starsInvoiceLink!, a)).ok).toBe(true);
    await waitForStatus(a, invoice.payment.id, 'PAID');
    const SUB = `query ($id: ID!) { payment(id: $id) { id status subscriptionExpiresAt renewalOf { id } } }`;
    const first = (await ask<{ payment: { subscriptionExpiresAt: string; renewalOf: null } }>(SUB, a, { id: invoice.payment.id })).body
      .data!.payment;
    expect(Date.parse(first.subscriptionExpiresAt) - Date.now()).toBeGreaterThan(29 * 86_400_000);
    expect(first.renewalOf).toBeNull();

    // A month later Telegram charges again and sends a recurring successful_payment for the same payload.
    const chargeId = `renew-${randomUUID()}`;
    const renewal = successfulPayment(Math.floor(Date.now() / 10) + 7, a, invoice.payment.id, 250, chargeId);
    Object.assign(renewal.message.successful_payment, {
      is_recurring: true,
      subscription_expiration_date: Math.floor(Date.now() / 1000) + 2 * 2_592_000,
    });
    expect((await telegramWebhook(renewal)).status).toBe(200);
    // Redelivered under a new update id: the same charge counts once.
    expect((await telegramWebhook({ ...renewal, update_id: renewal.update_id + 1 })).status).toBe(200);
    const LIST = `{ me { payments(first: 50) { edges { node { id status amount { amount currency } renewalOf { id } subscriptionExpiresAt } } } } }`;
    const deadline = Date.now() + 10_000;
    let renewals: { id: string; status: string; amount: { amount: number }; subscriptionExpiresAt: string }[] = [];
    while (Date.now() < deadline) {
      const list = await ask<{
        me: {
          payments: {
            edges: {
              node: {
                id: string;
                status: string;
                amount: { amount: number };
                renewalOf: { id: string } | null;
                subscriptionExpiresAt: string;
              };
            }[];
          };
        };
      }>(LIST, a);
      renewals = list.body.data!.me.payments.edges.map((e) => e.node).filter((n) => n.renewalOf?.id === invoice.payment.id);
      if (renewals.length > 0) break;
      await new Promise((r) => setTimeout(r, 150));
    }
    expect(renewals).toHaveLength(1);
    expect(renewals[0]).toMatchObject({ status: 'PAID', amount: { amount: 250 } });
    expect(Date.parse(renewals[0]!.subscriptionExpiresAt) - Date.now()).toBeGreaterThan(59 * 86_400_000);

    const notStars = await createInvoiceWith(a, {
      productId: 'prod_premium_month',
      provider: 'TON',
      idempotencyKey: randomUUID(),
      subscription: true,
    });
    expect(notStars.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');

    // Cancelling: only the subscriber, through any of its payments; idempotent; Telegram is told once per call.
    const CANCEL = `mutation ($id: ID!) { cancelSubscription(id: $id) { id subscriptionCanceledAt } }`;
    const stranger = await ask(CANCEL, users.c, { id: invoice.payment.id });
    expect(stranger.body.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const canceled = await ask<{ cancelSubscription: { id: string; subscriptionCanceledAt: string } }>(CANCEL, a, { id: renewals[0]!.id });
    expect(canceled.body.errors).toBeUndefined();
    expect(canceled.body.data!.cancelSubscription.id).toBe(invoice.payment.id);
    const edits = (await journal('telegram')).filter((e) => e.operation === 'editUserStarSubscription' && Number(e.body.user_id) === a);
    expect(edits.at(-1)!.body).toMatchObject({ is_canceled: true });
    const again = await ask<{ cancelSubscription: { subscriptionCanceledAt: string } }>(CANCEL, a, { id: invoice.payment.id });
    expect(again.body.data!.cancelSubscription.subscriptionCanceledAt).toBe(canceled.body.data!.cancelSubscription.subscriptionCanceledAt);
    const oneOff = await invoiceOk(a, 'prod_coins_100', 'STARS');
    const notSubscription = await ask(CANCEL, a, { id: oneOff.payment.id });
    expect(notSubscription.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it("Stripe: a correctly signed event that Stripe's own PaymentIntent contradicts changes nothing", async () => {
    const { c } = users;
    const invoice = await invoiceOk(c, 'prod_premium_month', 'STRIPE');
    const intentId = intentOf(invoice);
    // Signed with the real webhook secret (what a leaked secret allows), about a PaymentIntent nobody paid.
    const claimed = {
      id: intentId,
      object: 'payment_intent',
      amount: 499,
      amount_received: 499,
      currency: 'usd',
      status: 'succeeded',
      latest_charge: 'ch_forged',
    };
    const forged = (type: string, object: Record<string, unknown>) => ({
      id: `evt_${randomUUID()}`,
      object: 'event',
      type,
      data: { object },
    });
    for (const event of [
      forged('payment_intent.succeeded', claimed),
      forged('payment_intent.payment_failed', {
        ...claimed,
        status: 'requires_payment_method',
        last_payment_error: { message: 'Your card was declined.' },
      }),
      forged('payment_intent.canceled', { ...claimed, status: 'canceled' }),
    ]) {
      // The gateway acknowledges after the payments subgraph processed the event: its effect is final here.
      expect((await stripeWebhook(event)).status).toBe(200);
      expect((await paymentOf(c, invoice.payment.id))!.status).toBe('PENDING');
    }
    // Not merely dropped: the payments subgraph asked Stripe, and Stripe said requires_payment_method.
    const reads = (await journal('stripe')).filter(
      (e) => e.method === 'GET' && e.path === `/v1/payment_intents/${intentId}` && e.status === 200,
    );
    expect(reads.length).toBeGreaterThanOrEqual(3);

    // Stripe really takes the money: the same kind of event is now believed.
    const settled = await stripeSucceeds(intentId);
    expect(settled.delivery.status).toBe(200);
    const paid = await waitForStatus(c, invoice.payment.id, 'PAID');
    // A refund Stripe never made: the charge read back says nothing was refunded.
    const chargeId = String(settled.paymentIntent.latest_charge);
    const fakeRefund = chargeRefunded({
      id: chargeId,
      payment_intent: intentId,
      amount: 499,
      amount_refunded: 499,
      refunded: true,
      currency: 'usd',
    });
    expect((await stripeWebhook(fakeRefund)).status).toBe(200);
    expect(await refundedAmountOf(c, invoice.payment.id)).toMatchObject({
      status: 'PAID',
      refundedAt: null,
      refundedAmount: { amount: 0, currency: 'USD' },
    });
    expect((await paymentOf(c, invoice.payment.id))!.paidAt).toBe(paid.paidAt);
  });

  it('Stripe: a partial refund is recorded as partial; the payment is REFUNDED only once fully refunded', async () => {
    const { c } = users;
    const invoice = await invoiceOk(c, 'prod_premium_month', 'STRIPE');
    const intentId = intentOf(invoice);
    const settled = await stripeSucceeds(intentId);
    await waitForStatus(c, invoice.payment.id, 'PAID');
    const chargeId = String(settled.paymentIntent.latest_charge);

    // The shop refunds 2.00 of 4.99 in Stripe (Dashboard or API); Stripe sends charge.refunded for partial refunds too.
    const partial = await stripeApi('POST', '/v1/refunds', { payment_intent: intentId, amount: '200' });
    expect(partial.status).toBe(200);
    const event = chargeRefunded({
      id: chargeId,
      payment_intent: intentId,
      amount: 499,
      amount_refunded: 200,
      refunded: false,
      currency: 'usd',
    });
    expect((await stripeWebhook(event)).status).toBe(200);
    expect((await paymentOf(c, invoice.payment.id))!.status).toBe('PAID');
    expect(await waitForRefundedAmount(c, invoice.payment.id, 200)).toMatchObject({
      status: 'PAID',
      refundedAt: null,
      refundedAmount: { amount: 200, currency: 'USD' },
    });

    // The rest is refunded: now it is REFUNDED, with the whole amount.
    const rest = await stripeApi('POST', '/v1/refunds', { payment_intent: intentId });
    expect(rest.body).toMatchObject({ amount: 299 });
    expect(
      (
        await stripeWebhook(
          chargeRefunded({ id: chargeId, payment_intent: intentId, amount: 499, amount_refunded: 499, refunded: true, currency: 'usd' }),
        )
      ).status,
    ).toBe(200);
    const full = await refundedAmountOf(c, invoice.payment.id);
    expect(full).toMatchObject({ status: 'REFUNDED', refundedAmount: { amount: 499, currency: 'USD' } });
    expect(full.refundedAt).toBeTruthy();
    expect((await ask(REFUND, target().operatorId, { id: invoice.payment.id })).body.errors?.[0]?.extensions?.code).toBe('CONFLICT');

    // Partially refunded, then refunded by an operator: the operator's refund takes the rest.
    const other = await invoiceOk(c, 'prod_premium_month', 'STRIPE');
    await stripeSucceeds(intentOf(other));
    await waitForStatus(c, other.payment.id, 'PAID');
    expect((await stripeApi('POST', '/v1/refunds', { payment_intent: intentOf(other), amount: '100' })).status).toBe(200);
    await waitForRefundedAmount(c, other.payment.id, 100);
    const byOperator = await ask<{ refundPayment: { status: string; refundedAmount: { amount: number } } }>(REFUND, target().operatorId, {
      id: other.payment.id,
    });
    expect(byOperator.body.errors).toBeUndefined();
    expect(byOperator.body.data!.refundPayment).toMatchObject({ status: 'REFUNDED', refundedAmount: { amount: 499 } });
    const charge = await stripeApi(
      'GET',
      `/v1/charges/${(await stripeApi('GET', `/v1/payment_intents/${intentOf(other)}`)).body.latest_charge}`,
    );
    expect(charge.body).toMatchObject({ object: 'charge', amount_refunded: 499, refunded: true, payment_intent: intentOf(other) });
  });

  it('Stars: a refunded_payment update records the whole charge as refunded', async () => {
    const { b } = users;
    const invoice = await invoiceOk(b, 'prod_coins_100', 'STARS');
    const charge = `stx_test_${randomUUID()}`;
    const updateId = 700_000_000 + Math.floor(Math.random() * 1_000_000);
    const paid = successfulPayment(updateId, b, invoice.payment.id, 100, charge);
    paid.message.successful_payment.provider_payment_charge_id = `${charge}_provider`; // unique, as Telegram's are
    expect((await telegramWebhook(paid)).status).toBe(200);
    await waitForStatus(b, invoice.payment.id, 'PAID');
    // Refunded outside this API (e.g. by the bot owner): Telegram tells the bot with a refunded_payment message.
    const refundedPayment = { currency: 'XTR', total_amount: 100, invoice_payload: invoice.payment.id, telegram_payment_charge_id: charge };
    const update = {
      update_id: updateId + 1,
      message: {
        message_id: 2,
        from: { id: b, is_bot: false, first_name: 'T' },
        chat: { id: b, type: 'private' },
        date: Math.floor(Date.now() / 1000),
        refunded_payment: refundedPayment,
      },
    };
    expect((await telegramWebhook(update)).status).toBe(200);
    expect(await refundedAmountOf(b, invoice.payment.id)).toMatchObject({
      status: 'REFUNDED',
      refundedAmount: { amount: 100, currency: 'XTR' },
    });
  });

  it('a user holds at most 20 PENDING invoices, also under concurrent requests; a replay still answers', async () => {
    const { d } = users;
    const keys = Array.from({ length: 30 }, () => randomUUID());
    const results = await Promise.all(keys.map((key) => createInvoice(d, 'prod_coins_100', 'TON', key)));
    const accepted = results.flatMap((r, i) => (r.body.errors ? [] : [{ key: keys[i]!, invoice: r.body.data!.createInvoice }]));
    const refused = results.filter((r) => r.body.errors);
    expect(accepted).toHaveLength(20);
    expect(refused).toHaveLength(10);
    for (const r of refused) expect(r.body.errors![0]!.extensions!.code).toBe('TOO_MANY_PENDING_INVOICES');
    const mine = await ask<{ me: { payments: { edges: { node: { id: string; status: string } }[] } } }>(MY_PAYMENTS, d);
    expect(mine.body.data!.me.payments.edges.filter((e) => e.node.status === 'PENDING')).toHaveLength(20);

    // The same key again is the same invoice, not a new one, so it still answers at the cap.
    const [first] = accepted;
    const replay = await invoiceOk(d, 'prod_coins_100', 'TON', first!.key);
    expect(replay.payment.id).toBe(first!.invoice.payment.id);
    expect((await createInvoice(d, 'prod_boost_week', 'STARS')).body.errors?.[0]?.extensions?.code).toBe('TOO_MANY_PENDING_INVOICES');

    // Paying one frees one place.
    expect((await tonTransfer(first!.invoice.tonTransfer!.amount, first!.invoice.tonTransfer!.comment)).status).toBe(200);
    await waitForStatus(d, first!.invoice.payment.id, 'PAID');
    await invoiceOk(d, 'prod_boost_week', 'STARS');
    expect((await createInvoice(d, 'prod_boost_week', 'STARS')).body.errors?.[0]?.extensions?.code).toBe('TOO_MANY_PENDING_INVOICES');
  });
}

/**
 * Stripe unreachable while an event is processed: the event stays stored and the inbox sweep applies
 * it once Stripe answers. Needs a sandbox of its own (it injects faults into the Stripe emulation).
 */
export function defineStripeOutageFlow(target: () => PaymentsTarget, userId: number) {
  it('a Stripe event that cannot be checked with Stripe stays stored and is applied by the sweep once Stripe answers', async () => {
    const sandbox = target().sandboxUrl;
    const created = await gql<{ createInvoice: { payment: { id: string }; stripeClientSecret: string } }>(INVOICE, {
      userId,
      url: target().gatewayUrl,
      variables: { input: { productId: 'prod_premium_month', provider: 'STRIPE', idempotencyKey: randomUUID() } },
    });
    expect(created.body.errors).toBeUndefined();
    const { payment, stripeClientSecret } = created.body.data!.createInvoice;
    const intentId = stripeClientSecret.split('_secret_')[0]!;
    const read = async () =>
      (await gql<{ payment: { status: string } }>(PAYMENT, { userId, url: target().gatewayUrl, variables: { id: payment.id } })).body.data!
        .payment.status;

    // Every attempt of the read-back (the connector tries 3 times) gets a 503.
    const fault = await fetch(`${sandbox}/__sandbox/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ service: 'stripe', status: 503, count: 3 }),
    });
    expect(fault.status).toBe(200);
    try {
      const succeed = await fetch(`${sandbox}/stripe/__sandbox/payment_intents/${intentId}/succeed`, { method: 'POST' });
      const settled = (await succeed.json()) as { delivery: { status: number | null } };
      // Stored (so acknowledged: Stripe will not send it again) but not applied: Stripe could not confirm it.
      expect(settled.delivery.status).toBe(200);
      expect(await read()).toBe('PENDING');
      const journal = (await (await fetch(`${sandbox}/__sandbox/requests?service=stripe`)).json()) as {
        method: string;
        path: string;
        status: number;
      }[];
      expect(journal.filter((e) => e.method === 'GET' && e.path === `/v1/payment_intents/${intentId}` && e.status === 503)).toHaveLength(3);
    } finally {
      await fetch(`${sandbox}/__sandbox/faults?service=stripe`, { method: 'DELETE' });
    }

    // No new delivery: the periodic sweep retries the stored event, and now Stripe confirms it.
    const deadline = Date.now() + 20_000;
    let status = await read();
    while (status !== 'PAID' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      status = await read();
    }
    expect(status).toBe('PAID');
  });
}
