/**
 * One Telegram invoice link per payment, on a real ledger (PostgreSQL in a database of its own when
 * TEST_DATABASE_URL is set, else PGlite) and the real Bot API connector against a local fake Bot API.
 *
 * Reproduced in CI (payments.postgres.test.ts, 50 concurrent createInvoice calls with one key): two
 * createInvoiceLink calls for one payment. A repeat of the key can read the payment row before the
 * first call has stored its link, and reach the provider step after that call has finished and left
 * the in-flight map; it then asked Telegram again. Here that interleaving is forced with gates.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../subgraphs/shared/db.ts';
import { createLedger, LEDGER_MIGRATIONS, type Ledger } from '../subgraphs/payments/ledger.ts';
import { createInvoices } from '../subgraphs/payments/invoices.ts';
import type { Catalog, Product } from '../subgraphs/payments/catalog.ts';
import { createBotApi, type BotApi } from '../subgraphs/shared/connectors/telegramBotApi.ts';
import type { Stripe } from '../subgraphs/shared/connectors/stripe.ts';
import { createLogger } from '../lib/logger.ts';
import { openFreshDatabase, type FreshDatabase } from './helpers/freshDatabase.ts';
import { until } from './helpers/poll.ts';

const log = createLogger('invoice-once-test');
log.level = 'fatal';

const PRODUCT: Product = { id: 'prod_boost_week', title: 'Boost', description: null, priceBy: new Map([['XTR', 50n]]) };

/** A gate: `wait()` resolves once `open()` is called. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  return { wait: () => opened, open };
}

let db: Database;
let fresh: FreshDatabase | undefined;
let bot: BotApi;
let telegram: Server;
let linkCalls = 0;
const telegramReleased = gate();

beforeAll(async () => {
  fresh = await openFreshDatabase('invoices', { name: 'payments', migrations: LEDGER_MIGRATIONS });
  db = fresh.db;
  // The fake Bot API holds createInvoiceLink until the test releases it.
  telegram = createServer((req, res) => {
    req.resume();
    linkCalls++;
    const n = linkCalls;
    void telegramReleased.wait().then(() => {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true, result: `https://t.me/$invoice_${n}` }));
    });
  });
  await new Promise<void>((r) => telegram.listen(0, '127.0.0.1', () => r()));
  bot = createBotApi({ baseUrl: `http://127.0.0.1:${(telegram.address() as AddressInfo).port}`, token: '1:test' });
}, 120_000);

afterAll(async () => {
  await bot?.close();
  telegram?.close();
  await fresh?.close();
});

describe('createInvoice under a repeated idempotency key', () => {
  it('a repeat that read the payment before its link was stored does not ask Telegram again', async () => {
    const ledger = createLedger(db);
    // The second insertOrGet (the repeat) reads the row, then returns only once the first request is done.
    const firstDone = gate();
    let reads = 0;
    const slowRepeat: Ledger = {
      ...ledger,
      async insertOrGet(...args: Parameters<Ledger['insertOrGet']>) {
        const result = await ledger.insertOrGet(...args);
        reads++;
        if (reads === 2) await firstDone.wait();
        return result;
      },
    };
    const invoices = createInvoices({
      ledger: slowRepeat,
      catalog: { get: async () => PRODUCT } as unknown as Catalog,
      bot,
      stripe: {} as Stripe,
      tonWalletAddress: 'UQ-unused',
      maxPendingPerUser: 10,
      log,
    });
    const key = randomUUID();
    const input = { productId: PRODUCT.id, provider: 'STARS' as const, idempotencyKey: key };
    const first = invoices.createInvoice('42', input);
    await until(() => linkCalls === 1, 'the first request is at Telegram');
    const repeat = invoices.createInvoice('42', input);
    await until(() => reads === 2, 'the repeat has read the payment (no link yet)');
    telegramReleased.open();
    const firstView = await first;
    firstDone.open();
    const repeatView = await repeat;
    expect(repeatView.payment.id).toBe(firstView.payment.id);
    expect(repeatView.starsInvoiceLink).toBe(firstView.starsInvoiceLink);
    expect(linkCalls).toBe(1);
  });
});
