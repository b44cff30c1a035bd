/**
 * The webhook inbox under failing events, on a real database (PostgreSQL in a
 * database of its own when TEST_DATABASE_URL is set, else one PGlite):
 * - an event that keeps failing backs off on its own and becomes a dead
 *   letter after maxAttempts (counted for operators and in the metrics);
 * - 150 older failing events do not starve a newer good one;
 * - two inbox replicas sweeping the same events process each exactly once.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../subgraphs/shared/db.ts';
import { LEDGER_MIGRATIONS } from '../subgraphs/payments/ledger.ts';
import { createInbox, type Inbox, type StripeEvent } from '../subgraphs/payments/inbox.ts';
import { createBotApi, type BotApi } from '../subgraphs/shared/connectors/telegramBotApi.ts';
import { createStripe, type Stripe } from '../subgraphs/shared/connectors/stripe.ts';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { subgraphRegistry } from '../subgraphs/shared/metrics.ts';
import { createLogger } from '../lib/logger.ts';
import { openFreshDatabase, type FreshDatabase } from './helpers/freshDatabase.ts';

const log = createLogger('inbox-test');
log.level = 'fatal';

let db: Database;
let fresh: FreshDatabase | undefined;
// Stripe events never call the Bot API; the inbox needs one all the same (an unroutable address).
let bot: BotApi;
/**
 * Stripe as these cases need it: every Stripe event is read back before it counts (issue 7), so a local
 * fake answers the PaymentIntent as paid, or refuses (400) the ones of poisoned events so that processing
 * them keeps failing. A 4xx never opens the connector's circuit breaker, so the good events still get through.
 */
let stripe: Stripe;
let fakeStripe: Server;
const poisonedIntents = new Set<string>();

async function stripePayment(): Promise<{ id: string; intent: string }> {
  const id = `pay_${randomUUID()}`;
  const intent = `pi_${randomUUID().replace(/-/g, '')}`;
  await db.query(
    `INSERT INTO payments (id, user_id, product_id, provider, status, amount, currency, idempotency_key, external_id)
     VALUES ($1, '1', 'prod_coins_100', 'STRIPE', 'PENDING', 499, 'USD', $1, $2)`,
    [id, intent],
  );
  return { id, intent };
}

/** A succeeded event; `poisoned` carries an unreadable amount, which makes processing throw. */
function succeeded(intent: string, poisoned = false): StripeEvent {
  if (poisoned) poisonedIntents.add(intent);
  return {
    id: `evt_${randomUUID()}`,
    type: 'payment_intent.succeeded',
    data: { object: { object: 'payment_intent', id: intent, amount_received: poisoned ? 'not a number' : 499, currency: 'usd' } },
  };
}

async function statusOf(id: string): Promise<string | undefined> {
  const rows = await db.query<{ status: string }>('SELECT status FROM payments WHERE id = $1', [id]);
  return rows[0]?.status;
}

/** Makes every stored event due now (instead of waiting out its backoff). */
const makeDue = () =>
  db.query(
    `UPDATE inbox SET next_attempt_at = clock_timestamp() - interval '1 second', received_at = received_at - interval '2 seconds' WHERE processed_at IS NULL`,
  );

beforeAll(async () => {
  fresh = await openFreshDatabase('inbox', { name: 'payments', migrations: LEDGER_MIGRATIONS });
  db = fresh.db;
  bot = createBotApi({ baseUrl: 'http://127.0.0.1:9', token: '1:unused' });
  fakeStripe = createServer((req, res) => {
    const intent = decodeURIComponent((req.url ?? '').split('?')[0]!.split('/').pop() ?? '');
    if (poisonedIntents.has(intent)) {
      res
        .writeHead(400, { 'content-type': 'application/json' })
        .end(JSON.stringify({ error: { type: 'invalid_request_error', message: 'poisoned' } }));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(
      JSON.stringify({
        id: intent,
        object: 'payment_intent',
        status: 'succeeded',
        amount: 499,
        amount_received: 499,
        currency: 'usd',
        latest_charge: null,
      }),
    );
  });
  await new Promise<void>((r) => fakeStripe.listen(0, '127.0.0.1', () => r()));
  stripe = createStripe({ baseUrl: `http://127.0.0.1:${(fakeStripe.address() as AddressInfo).port}`, secretKey: 'sk_unused' });
}, 120_000);

afterAll(async () => {
  await bot?.close();
  await stripe?.close();
  fakeStripe?.close();
  await fresh?.close();
});

describe('webhook inbox under failures', () => {
  let inbox: Inbox;
  beforeAll(() => {
    inbox = createInbox({ db, bot, stripe, log, maxAttempts: 3, retryDelayMs: 60_000 });
  });
  afterAll(() => inbox.close());

  it('backs a failing event off and makes it a dead letter after maxAttempts', async () => {
    const { intent } = await stripePayment();
    const event = succeeded(intent, true);
    const first = await inbox.stripe(event);
    expect(first).toMatchObject({ status: 200, body: { stored: true, outcome: null } });
    const row = async () =>
      (
        await db.query<{ attempts: number; dead: boolean; waits: boolean }>(
          `SELECT attempts, dead_at IS NOT NULL AS dead, next_attempt_at > clock_timestamp() + interval '30 seconds' AS waits FROM inbox WHERE event_id = $1`,
          [event.id],
        )
      )[0]!;
    expect(await row()).toMatchObject({ attempts: 1, dead: false, waits: true });
    // Not due: a sweep leaves it alone.
    await inbox.sweep();
    expect((await row()).attempts).toBe(1);
    for (let attempt = 2; attempt <= 3; attempt++) {
      await makeDue();
      await inbox.sweep();
      expect((await row()).attempts).toBe(attempt);
    }
    expect((await row()).dead).toBe(true);
    await makeDue();
    await inbox.sweep();
    expect(await row()).toMatchObject({ attempts: 3, dead: true });
    expect((await inbox.counts()).dead).toBeGreaterThanOrEqual(1);
    expect(await subgraphRegistry.metrics()).toMatch(/durable_work_items\{queue="webhook_inbox",state="dead"\} [1-9]/);
  });

  it('does not let 150 older failing events starve a newer good one', async () => {
    const poison = await Promise.all(Array.from({ length: 150 }, () => stripePayment()));
    for (const p of poison)
      await db.query(`INSERT INTO inbox (source, event_id, kind, payload) VALUES ('stripe', $1, 'payment_intent.succeeded', $2::jsonb)`, [
        `evt_${randomUUID()}`,
        JSON.stringify(succeeded(p.intent, true)),
      ]);
    const good = await stripePayment();
    const event = succeeded(good.intent);
    await db.query(`INSERT INTO inbox (source, event_id, kind, payload) VALUES ('stripe', $1, 'payment_intent.succeeded', $2::jsonb)`, [
      event.id,
      JSON.stringify(event),
    ]);
    await db.query(`UPDATE inbox SET received_at = received_at - interval '2 seconds' WHERE processed_at IS NULL AND dead_at IS NULL`);
    // The first sweep takes the 100 oldest (all failing); they back off, so the second reaches the good one.
    await inbox.sweep();
    await inbox.sweep();
    expect(await statusOf(good.id)).toBe('PAID');
  }, 60_000);
});

describe('webhook inbox with two replicas', () => {
  it('processes each stored event exactly once', async () => {
    const replicas = [createInbox({ db, bot, stripe, log }), createInbox({ db, bot, stripe, log })];
    try {
      await db.query(`UPDATE inbox SET dead_at = clock_timestamp() WHERE processed_at IS NULL`); // earlier cases' leftovers
      const payments = await Promise.all(Array.from({ length: 40 }, () => stripePayment()));
      const events = payments.map((p) => succeeded(p.intent));
      for (const e of events) {
        await db.query(
          `INSERT INTO inbox (source, event_id, kind, payload, received_at) VALUES ('stripe', $1, $2, $3::jsonb, clock_timestamp() - interval '2 seconds')`,
          [e.id, e.type, JSON.stringify(e)],
        );
      }
      await Promise.all([replicas[0]!.sweep(), replicas[1]!.sweep(), replicas[0]!.sweep(), replicas[1]!.sweep()]);
      const rows = await db.query<{ attempts: number; outcome: string | null }>(
        'SELECT attempts, outcome FROM inbox WHERE event_id = ANY($1::text[])',
        [events.map((e) => e.id)],
      );
      expect(rows).toHaveLength(40);
      for (const r of rows) expect(r).toMatchObject({ attempts: 1, outcome: expect.stringMatching(/^paid /) });
      for (const p of payments) expect(await statusOf(p.id)).toBe('PAID');
    } finally {
      await Promise.all(replicas.map((r) => r.close()));
    }
  }, 60_000);
});
