/**
 * Subscriptions end to end: a Stars invoice created through the shared
 * stack's gateway, paid by the sandbox playing Telegram (its
 * `successful_payment` webhook goes to that gateway), reaches subscribers on
 * a SECOND gateway process over SSE and over WebSocket; other users' streams
 * get nothing; a reconnect starts with the current state; the per-user cap,
 * metrics and a clean end on shutdown.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gql, initDataFor, stack } from './helpers/client.ts';
import { startExtraGateway, type ExtraGateway } from './helpers/gateway.ts';
import { checkoutInSandbox, createStarsInvoice } from './helpers/starsCheckout.ts';
import { openSse, sseRefusal, wsClient, wsSubscribe } from './helpers/streams.ts';
import { waitFor as until } from './helpers/poll.ts';

const A = 100000071;
const B = 100000072;
const C = 100000073;
const D = 100000074;

const PAYMENT_UPDATED = `subscription PaymentUpdated($id: ID!) {
  paymentUpdated(id: $id) { id status updatedAt amount { amount currency } user { id firstName } product { id title } }
}`;
const MY_PAYMENTS = `subscription ($since: String) { myPayments(changedSince: $since) { id status updatedAt user { id } } }`;

interface LivePayment {
  id: string;
  status: string;
  updatedAt: string;
  user: { id: string; firstName?: string };
  product?: { id: string; title: string };
}

/** The sandbox plays Telegram's checkout to the shared gateway's webhook. */
async function pay(link: string, userId: number): Promise<void> {
  expect((await checkoutInSandbox(stack().sandboxUrl, link, userId)).ok).toBe(true);
}

async function statusOf(userId: number, id: string): Promise<string | undefined> {
  const res = await gql<{ payment: { status: string } | null }>(`query ($id: ID!) { payment(id: $id) { status } }`, {
    userId,
    variables: { id },
  });
  return res.body.data?.payment?.status;
}

// Each case runs whole payment flows through several processes: generous timeouts for a loaded machine.
describe('subscriptions through a second gateway', { timeout: 120_000 }, () => {
  let second: ExtraGateway;
  beforeAll(async () => {
    second = await startExtraGateway({ SUBSCRIPTIONS_PER_USER: '3' });
  });
  afterAll(async () => {
    await second?.stop();
  });

  it('SSE: createInvoice + successful_payment delivers PAID, with user and product from other subgraphs', async () => {
    const invoice = await createStarsInvoice(A);
    const stream = await openSse(second.url, { query: PAYMENT_UPDATED, variables: { id: invoice.id } }, { userId: A });
    expect(stream.status).toBe(200);
    expect(stream.headers.get('content-type')).toMatch(/^text\/event-stream/);
    // The current state first.
    const first = await stream.next();
    expect(first.event).toBe('next');
    const current = (first.data as { data: { paymentUpdated: LivePayment } }).data.paymentUpdated;
    expect(current).toMatchObject({ id: invoice.id, status: 'PENDING', user: { id: String(A) }, product: { id: 'prod_coins_100' } });
    expect(typeof current.user.firstName).toBe('string'); // telegram subgraph, through the plan's entity fetch
    expect(typeof current.product!.title).toBe('string'); // payments' Product, but a separate field set

    const started = performance.now();
    await pay(invoice.link, A);
    const paid = await stream.next();
    const ms = performance.now() - started;
    expect((paid.data as { data: { paymentUpdated: LivePayment } }).data.paymentUpdated).toMatchObject({
      id: invoice.id,
      status: 'PAID',
      user: { id: String(A) },
    });
    console.log(`[realtime] SSE: PAID delivered ${Math.round(ms)} ms after the checkout started`);
    stream.close();
  });

  it('WebSocket (graphql-transport-ws): the same payment flow delivers PAID', async () => {
    const invoice = await createStarsInvoice(A);
    const client = wsClient(second.url, A);
    try {
      const sub = wsSubscribe(client, { query: PAYMENT_UPDATED, variables: { id: invoice.id } });
      expect((await sub.next()).data).toMatchObject({ paymentUpdated: { id: invoice.id, status: 'PENDING', user: { id: String(A) } } });
      await pay(invoice.link, A);
      expect((await sub.next()).data).toMatchObject({
        paymentUpdated: { id: invoice.id, status: 'PAID', product: { id: 'prod_coins_100' } },
      });
      sub.close();
    } finally {
      await client.dispose();
    }
  });

  it("another user's streams receive nothing of it; someone else's payment id is NOT_FOUND", async () => {
    // B listens to every change of their own payments, on SSE and on WebSocket.
    const sse = await openSse(second.url, { query: MY_PAYMENTS }, { userId: B });
    const client = wsClient(second.url, B);
    const ws = wsSubscribe(client, { query: MY_PAYMENTS });
    try {
      const invoiceOfA = await createStarsInvoice(A);
      await pay(invoiceOfA.link, A);
      await until(async () => ((await statusOf(A, invoiceOfA.id)) === 'PAID' ? true : undefined), "A's payment PAID");
      // Events are delivered in order: had A's invoice or payment leaked, it would come before B's own.
      const invoiceOfB = await createStarsInvoice(B);
      const sseFirst = (await sse.next()).data as { data: { myPayments: LivePayment } };
      expect(sseFirst.data.myPayments).toMatchObject({ id: invoiceOfB.id, status: 'PENDING', user: { id: String(B) } });
      expect((await ws.next()).data).toMatchObject({ myPayments: { id: invoiceOfB.id, user: { id: String(B) } } });

      // paymentUpdated on A's payment id: B learns nothing, not even that it exists.
      const probe = await openSse(second.url, { query: PAYMENT_UPDATED, variables: { id: invoiceOfA.id } }, { userId: B });
      const refused = (await probe.next()).data as { data: unknown; errors: { extensions: { code: string } }[] };
      expect(refused.errors[0]!.extensions.code).toBe('NOT_FOUND');
      expect(JSON.stringify(refused)).not.toContain('PAID');
      expect((await probe.next()).event).toBe('complete');
    } finally {
      sse.close();
      ws.close();
      await client.dispose();
    }
  });

  it('a client that missed an event while asleep gets the current state first on reconnect', async () => {
    const invoice = await createStarsInvoice(A);
    const before = await openSse(second.url, { query: PAYMENT_UPDATED, variables: { id: invoice.id } }, { userId: A });
    const pending = ((await before.next()).data as { data: { paymentUpdated: LivePayment } }).data.paymentUpdated;
    expect(pending.status).toBe('PENDING');
    before.close(); // the WebView went to sleep
    await pay(invoice.link, A);
    await until(async () => ((await statusOf(A, invoice.id)) === 'PAID' ? true : undefined), 'PAID');

    // paymentUpdated: the payment's current state comes first (re-opened with GET this time, as EventSource-like clients do).
    const again = await openSse(second.url, { query: PAYMENT_UPDATED, variables: { id: invoice.id } }, { userId: A, method: 'GET' });
    expect(((await again.next()).data as { data: { paymentUpdated: LivePayment } }).data.paymentUpdated).toMatchObject({
      id: invoice.id,
      status: 'PAID',
    });
    again.close();

    // myPayments(changedSince: last updatedAt seen): what changed meanwhile comes first (over WebSocket here).
    const client = wsClient(second.url, A);
    try {
      const sub = wsSubscribe(client, { query: MY_PAYMENTS, variables: { since: pending.updatedAt } });
      const missed = (await sub.next()).data as { myPayments: LivePayment };
      expect(missed.myPayments).toMatchObject({ id: invoice.id, status: 'PAID' });
      expect(missed.myPayments.updatedAt > pending.updatedAt).toBe(true);
      sub.close();
    } finally {
      await client.dispose();
    }
  });

  it('refuses streams without a verified user, over the per-user cap, and with invalid operations', async () => {
    const anonymous = await sseRefusal(second.url, { query: MY_PAYMENTS });
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.errors![0]!.extensions!.code).toBe('UNAUTHENTICATED');
    const forged = await sseRefusal(
      second.url,
      { query: MY_PAYMENTS },
      { authorization: 'tma user=%7B%22id%22%3A1%7D&auth_date=1&hash=00' },
    );
    expect(forged.status).toBe(401);
    const invalid = await sseRefusal(second.url, { query: 'subscription { nope }' }, { authorization: `tma ${initDataFor(C)}` });
    expect(invalid.status).toBe(400);
    expect(invalid.body.errors![0]!.extensions!.code).toBe('GRAPHQL_VALIDATION_FAILED');

    // WebSocket: a connection_init without valid initData is closed with 4403.
    const rejected = wsSubscribe(wsClient(second.url, undefined, 'tma nonsense'), { query: MY_PAYMENTS });
    const closed = await rejected.next();
    expect(JSON.stringify(closed)).toMatch(/Forbidden|4403/);

    // SUBSCRIPTIONS_PER_USER=3 on this gateway: the 4th stream of C is refused until one closes.
    const open = await Promise.all([0, 1, 2].map(() => openSse(second.url, { query: MY_PAYMENTS }, { userId: C })));
    expect(open.map((s) => s.status)).toEqual([200, 200, 200]);
    const fourth = await openSse(second.url, { query: MY_PAYMENTS }, { userId: C });
    const refusal = await fourth.next();
    expect(refusal.event).toBe('next');
    expect((refusal.data as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe('TOO_MANY_STREAMS');
    open[0]!.close();
    await until(async () => {
      const retry = await openSse(second.url, { query: MY_PAYMENTS }, { userId: C });
      const metrics = await (await fetch(second.url.replace('/graphql', '/metrics'))).text();
      // A refused stream answers at once (next + complete); an admitted one stays open without events.
      const outcome = await Promise.race([retry.next(), new Promise<undefined>((r) => setTimeout(() => r(undefined), 300))]);
      if (outcome === undefined) {
        expect(metrics).toMatch(/gateway_open_streams\{transport="sse"\} \d+/);
        retry.close();
        return true;
      }
      retry.close();
      return undefined;
    }, 'a free stream slot');
    for (const s of open) s.close();
  });

  it('an idle SSE stream gets heartbeat comments (every 12 s)', async () => {
    // A user of its own: C's slots of the cap test above are released asynchronously (server-side close).
    const stream = await openSse(second.url, { query: MY_PAYMENTS }, { userId: D });
    expect(stream.status).toBe(200);
    // The first `:` is sent when the stream opens; the next one is the heartbeat.
    await until(async () => (stream.comments() >= 2 ? true : undefined), 'a heartbeat', 60_000);
    stream.close();
  });

  it('/metrics shows open streams and delivered events', async () => {
    const invoice = await createStarsInvoice(A);
    const stream = await openSse(second.url, { query: PAYMENT_UPDATED, variables: { id: invoice.id } }, { userId: A });
    await stream.next();
    const metrics = await (await fetch(second.url.replace('/graphql', '/metrics'))).text();
    expect(Number(/gateway_open_streams\{transport="sse"\} (\d+)/.exec(metrics)?.[1])).toBeGreaterThanOrEqual(1);
    expect(Number(/gateway_stream_events_total\{transport="sse"\} (\d+)/.exec(metrics)?.[1])).toBeGreaterThanOrEqual(1);
    expect(metrics).toMatch(/gateway_stream_events_total\{transport="ws"\} \d+/);
    stream.close();
  });
});

describe('shutdown', { timeout: 120_000 }, () => {
  it('a stopping gateway ends its SSE streams with `complete` and its WebSockets with 1001', async () => {
    const gateway = await startExtraGateway({});
    const invoice = await createStarsInvoice(A);
    const stream = await openSse(gateway.url, { query: PAYMENT_UPDATED, variables: { id: invoice.id } }, { userId: A });
    await stream.next();
    const client = wsClient(gateway.url, A);
    const sub = wsSubscribe(client, { query: PAYMENT_UPDATED, variables: { id: invoice.id } });
    await sub.next();
    await gateway.stop();
    expect((await stream.next()).event).toBe('complete');
    await stream.ended;
    const last = await sub.next();
    expect(JSON.stringify(last)).toMatch(/1001|Going away/);
    await client.dispose();
  });
});

describe('stream operations count toward the query limits and rate limits', { timeout: 120_000 }, () => {
  let limited: ExtraGateway;
  // Rate-limit counters live in the shared Redis for a minute: users of their own per run.
  const U1 = 200_000_000 + (process.pid % 100_000) * 2;
  const U2 = U1 + 1;
  beforeAll(async () => {
    limited = await startExtraGateway({ MAX_QUERY_ALIASES: '1', RATE_LIMIT_USER_PER_MINUTE: '3' });
  });
  afterAll(async () => {
    await limited?.stop();
  });

  it('a subscription over the query limits is refused before its stream opens (SSE and WebSocket)', async () => {
    const aliased = 'subscription { myPayments { a: id b: status } }';
    const refused = await sseRefusal(limited.url, { query: aliased }, { authorization: `tma ${initDataFor(U1)}` });
    expect(refused.status).toBe(400);
    expect(refused.body.errors![0]!.extensions!.code).toBe('TOO_MANY_ALIASES');
    const client = wsClient(limited.url, U1);
    const sub = wsSubscribe(client, { query: aliased });
    expect(JSON.stringify(await sub.next())).toContain('TOO_MANY_ALIASES');
    await client.dispose();
  });

  it('each subscription counts toward the per-user rate limit; one over it is RATE_LIMITED', async () => {
    const open = [];
    for (let i = 0; i < 3; i++) {
      const stream = await openSse(limited.url, { query: MY_PAYMENTS }, { userId: U2 });
      expect(stream.status).toBe(200);
      open.push(stream);
    }
    const over = await sseRefusal(limited.url, { query: MY_PAYMENTS }, { authorization: `tma ${initDataFor(U2)}` });
    expect(over.status).toBe(429);
    expect(over.body.errors![0]!.extensions!.code).toBe('RATE_LIMITED');
    for (const s of open) s.close();
  });
});
