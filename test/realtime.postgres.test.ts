/**
 * Subscriptions across replicas on PostgreSQL: two payments replicas and two
 * gateways on one database. The sandbox's `successful_payment` webhook goes to
 * gateway 1 and is processed by payments replica 1; the subscriber is on
 * gateway 2, whose subscription stream is served by payments replica 2: the
 * change can only reach it through the ledger's NOTIFY (LISTEN on replica 2).
 * Runs when TEST_DATABASE_URL is set (CI sets it), in a database of its own.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, ROOT, waitForHttp } from '../scripts/lib/stack.ts';
import { stack } from './helpers/client.ts';
import { startExtraGateway, type ExtraGateway } from './helpers/gateway.ts';
import { startPaymentsStack, type PaymentsStack } from './helpers/paymentsStack.ts';
import { freshDatabaseUrl } from './helpers/freshDatabase.ts';
import { checkoutInSandbox, createStarsInvoice } from './helpers/starsCheckout.ts';
import { openSse, wsClient, wsSubscribe } from './helpers/streams.ts';

const baseUrl = process.env.TEST_DATABASE_URL;
const USER = 100000074;
const OTHER = 100000075;

describe.skipIf(!baseUrl)('subscriptions across replicas (PostgreSQL LISTEN/NOTIFY)', { timeout: 120_000 }, () => {
  let ps: PaymentsStack;
  let replica2: ChildProcess | undefined;
  let gateway2: ExtraGateway;
  let dataDir: string;

  beforeAll(async () => {
    // A database of this file's own: the PostgreSQL payment suite resets the shared one's `payments`.
    const databaseUrl = (await freshDatabaseUrl('realtime'))!; // defined: the suite runs only with TEST_DATABASE_URL
    ps = await startPaymentsStack({ env: { DATABASE_URL: databaseUrl } });
    const port = await freePort();
    dataDir = mkdtempSync(join(tmpdir(), 'tma-replica-'));
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
    Object.assign(env, {
      DATABASE_URL: databaseUrl,
      INTERNAL_JWT_SECRET: stack().internalJwtSecret,
      SANDBOX_URL: ps.sandboxUrl,
      DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      NODE_ENV: 'test',
      TON_POLL_INTERVAL_MS: '0',
      SUBGRAPH_PORT: String(port),
    });
    replica2 = spawn(process.execPath, ['subgraphs/shared/main.ts', 'payments'], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    await waitForHttp(`http://127.0.0.1:${port}/healthz`, 120_000, () => replica2!.exitCode === null);
    gateway2 = await startExtraGateway({ SUBGRAPH_URL_PAYMENTS: `http://127.0.0.1:${port}/graphql`, SANDBOX_URL: ps.sandboxUrl });
  }, 600_000); // five processes, two of them opening PostgreSQL ledgers
  afterAll(async () => {
    await gateway2?.stop();
    if (replica2 && replica2.exitCode === null) {
      const exited = new Promise((r) => replica2!.once('exit', r));
      replica2.kill('SIGTERM');
      await exited;
    }
    await ps?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('a webhook processed by replica 1 reaches SSE and WebSocket subscribers on gateway 2 (replica 2); other users get nothing', async () => {
    const payment = await createStarsInvoice(USER, ps.gatewayUrl);
    const query = `subscription ($id: ID!) { paymentUpdated(id: $id) { id status user { id firstName } } }`;
    const sse = await openSse(gateway2.url, { query, variables: { id: payment.id } }, { userId: USER });
    const client = wsClient(gateway2.url, USER);
    const ws = wsSubscribe(client, { query, variables: { id: payment.id } });
    const other = await openSse(gateway2.url, { query: 'subscription { myPayments { id status } }' }, { userId: OTHER });
    try {
      expect(((await sse.next()).data as { data: { paymentUpdated: { status: string } } }).data.paymentUpdated.status).toBe('PENDING');
      expect((await ws.next()).data).toMatchObject({ paymentUpdated: { status: 'PENDING' } });

      const started = performance.now();
      expect((await checkoutInSandbox(ps.sandboxUrl, payment.link, USER)).ok).toBe(true);
      expect((await sse.next()).data).toMatchObject({
        data: { paymentUpdated: { id: payment.id, status: 'PAID', user: { id: String(USER) } } },
      });
      expect((await ws.next()).data).toMatchObject({ paymentUpdated: { id: payment.id, status: 'PAID' } });
      console.log(
        `[realtime/postgres] PAID on gateway 2 ${Math.round(performance.now() - started)} ms after the checkout started on gateway 1`,
      );

      // The other user's stream: its first event is its own new invoice, nothing of USER's before it.
      const own = await createStarsInvoice(OTHER, ps.gatewayUrl);
      expect((await other.next()).data).toMatchObject({
        data: { myPayments: { id: own.id, status: 'PENDING' } },
      });
    } finally {
      sse.close();
      ws.close();
      other.close();
      await client.dispose();
    }
  });
});
