/**
 * Faults injected into a stack of its own (test/helpers/faultStack.ts):
 * - every idle PostgreSQL connection of the subgraphs is terminated
 *   (what a database restart or failover does to them): no process dies and
 *   the next queries through the gateway answer;
 * - each subgraph is stopped in turn: the response keeps everything that does
 *   not depend on it, and the missing fields carry SERVICE_UNAVAILABLE with
 *   their path and the subgraph's name, never its address;
 * - Telegram answers createInvoiceLink with 429 + retry_after: the user's
 *   createInvoice still succeeds, and the gateway's /metrics shows it;
 * - TON: a payment followed by 1,100 dust transfers while the payments
 *   subgraph is down is still found (the watcher walks back to its cursor
 *   over several polls); a transfer behind a cursor that was moved past it is
 *   settled by the reconcile pass;
 * - SIGTERM lets an in-flight request finish (gateway and subgraph drain);
 * - a subgraph killed outright is restarted by the supervisor while the
 *   others keep serving;
 * - tracing: the stack exports to a local OTLP receiver; one request is one
 *   trace from the gateway through a span per subgraph fetch and the
 *   subgraph to the connector (W3C traceparent), and the response names its
 *   request id;
 * - operators read the dead letters (webhook inbox, analytics forwarding)
 *   through GraphQL, with addresses and credentials cut from the errors.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { closeServer, readBody } from '../lib/http/io.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gql, initDataFor, type GqlResponse } from './helpers/client.ts';
import { startFaultStack, type FaultStack } from './helpers/faultStack.ts';
import { waitFor } from './helpers/poll.ts';

const USER = 100000071;
const OPERATOR = 100000079;
/** The sandbox's demo user, who has a private chat with the bot (sendMessage works for them). */
const SANDBOX_CHAT_USER = 279058397;
const QUERY = `{
  me { id firstName payments(first: 1) { edges { node { id } } } customer { id } activity { eventCount } }
  products { id }
}`;

interface Answer {
  me: { id: string; firstName: string; payments: unknown; customer: unknown; activity: unknown } | null;
  products: { id: string }[] | null;
}

interface ReceivedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
}

/** A local OTLP/HTTP (JSON) trace receiver: what a collector would get. */
async function startOtlpReceiver(): Promise<{ url: string; spans: ReceivedSpan[]; server: Server }> {
  const spans: ReceivedSpan[] = [];
  const server = createServer((req, res) => {
    void readBody(req, 50_000_000).then((body) => {
      const doc = JSON.parse(body) as {
        resourceSpans: {
          resource: { attributes: { key: string; value: { stringValue?: string } }[] };
          scopeSpans: { spans: Omit<ReceivedSpan, 'service'>[] }[];
        }[];
      };
      for (const rs of doc.resourceSpans ?? []) {
        const service = rs.resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue ?? '';
        for (const ss of rs.scopeSpans) for (const span of ss.spans) spans.push({ ...span, service });
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const address = server.address();
  return { url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`, spans, server };
}

describe('faults', () => {
  let fs: FaultStack;
  let otlp: Awaited<ReturnType<typeof startOtlpReceiver>>;
  const ask = (): Promise<GqlResponse<Answer>> => gql<Answer>(QUERY, { userId: USER, url: fs.stack.gatewayUrl });

  beforeAll(async () => {
    otlp = await startOtlpReceiver();
    fs = await startFaultStack({
      databaseSuffix: 'faults',
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url, OTEL_BSP_SCHEDULE_DELAY: '200', OPERATOR_USER_IDS: String(OPERATOR) },
    });
  }, 400_000);
  afterAll(async () => {
    await fs?.stop();
    if (otlp) await closeServer(otlp.server);
  });

  it('answers fully while everything is up', async () => {
    const res = await ask();
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data?.me?.activity).not.toBeNull();
    expect(res.body.data?.products?.length).toBeGreaterThan(0);
  });

  it.skipIf(!process.env.TEST_DATABASE_URL)(
    'survives PostgreSQL terminating every idle connection of the subgraphs',
    async () => {
      const { default: pg } = await import('pg');
      const admin = new pg.Client({ connectionString: fs.databaseUrl });
      await admin.connect();
      try {
        const dbProcesses = ['telegram', 'payments', 'analytics'].map((name) => ({ name, pid: fs.stack.processes.get(name)!.pid! }));
        const names = dbProcesses.map(({ name, pid }) => `tma-${name}-${pid}`);
        // Warm the pools, so there are idle pooled connections to cut.
        expect((await ask()).body.errors).toBeUndefined();
        const idle = await admin.query<{ count: string }>(
          `SELECT count(*) FROM pg_stat_activity WHERE application_name = ANY($1) AND state = 'idle'`,
          [names],
        );
        expect(Number(idle.rows[0]!.count)).toBeGreaterThanOrEqual(3);
        // Pick the backends first, terminate them in a second statement: in one WHERE the planner may
        // call pg_terminate_backend before the name filter, on every connection of the server.
        const picked = await admin.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE application_name = ANY($1)', [names]);
        const cutPids = picked.rows.map((r) => r.pid);
        await admin.query('SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid', [cutPids]);
        expect(cutPids.length).toBeGreaterThanOrEqual(3);
        // The terminated backends are gone ...
        await waitFor(async () => {
          const left = await admin.query('SELECT 1 FROM pg_stat_activity WHERE pid = ANY($1)', [cutPids]);
          return left.rowCount === 0 ? true : undefined;
        }, 'terminated backends');
        // ... and answers again, in the same process (no crash, no restart).
        const res = await waitFor(async () => {
          const r = await ask();
          return r.body.errors === undefined ? r : undefined;
        }, 'a full answer after the connections were cut');
        expect(res.body.data?.me?.id).toBe(String(USER));
        for (const { name, pid } of dbProcesses) {
          const child = fs.stack.processes.get(name)!;
          expect(child.pid, name).toBe(pid);
          expect(child.exitCode, name).toBeNull();
          expect(child.signalCode, name).toBeNull();
        }
      } finally {
        await admin.end();
      }
    },
    60_000,
  );

  it.skipIf(!process.env.TEST_DATABASE_URL)(
    'shows operators the dead letters of the webhook inbox and of analytics forwarding, without addresses',
    async () => {
      const { default: pg } = await import('pg');
      const admin = new pg.Client({ connectionString: fs.databaseUrl });
      await admin.connect();
      const eventId = `evt_dead_${randomUUID()}`;
      const insertId = randomUUID();
      try {
        // What the inbox and the forwarder leave behind after their last attempt (the transitions are tested in
        // test/inbox.resilience.test.ts and test/forwarder.resilience.test.ts).
        await admin.query(
          `INSERT INTO payments.inbox (source, event_id, kind, payload, attempts, last_error, dead_at)
         VALUES ('stripe', $1, 'payment_intent.succeeded', '{}'::jsonb, 10, 'stripe is unreachable (connect ECONNREFUSED 10.1.2.3:443)', clock_timestamp())`,
          [eventId],
        );
        await admin.query(`INSERT INTO analytics.events (user_id, insert_id, name, occurred_at) VALUES ($1, $2, 'open', now())`, [
          String(USER),
          insertId,
        ]);
        await admin.query(
          `INSERT INTO analytics.outbox (sink, user_id, insert_id, attempts, last_error, dead_at)
         VALUES ('mixpanel', $1, $2, 200, 'POST https://api.mixpanel.com/import?strict=1 answered 500 (Bearer abc.def)', clock_timestamp())`,
          [String(USER), insertId],
        );
      } finally {
        await admin.end();
      }
      const DEAD_LETTERS = `{
      webhookDeadLetters(first: 100) { source eventId kind attempts lastError receivedAt deadLetteredAt }
      analyticsDeadLetters(first: 100) { sink userId insertId attempts lastError deadLetteredAt }
    }`;
      const res = await gql<{
        webhookDeadLetters: { eventId: string; lastError: string }[];
        analyticsDeadLetters: { insertId: string; lastError: string }[];
      }>(DEAD_LETTERS, { userId: OPERATOR, url: fs.stack.gatewayUrl });
      expect(res.body.errors).toBeUndefined();
      const webhook = res.body.data!.webhookDeadLetters.find((d) => d.eventId === eventId);
      expect(webhook).toMatchObject({
        source: 'STRIPE',
        kind: 'payment_intent.succeeded',
        attempts: 10,
        lastError: 'stripe is unreachable (connect ECONNREFUSED <address>)',
      });
      const forward = res.body.data!.analyticsDeadLetters.find((d) => d.insertId === insertId);
      expect(forward).toMatchObject({
        sink: 'mixpanel',
        userId: String(USER),
        attempts: 200,
        lastError: 'POST <url> answered 500 (Bearer <token>)',
      });
      expect(JSON.stringify(res.body)).not.toMatch(/10\.1\.2\.3|mixpanel\.com|abc\.def/);

      const refused = await gql(DEAD_LETTERS, { userId: USER, url: fs.stack.gatewayUrl });
      expect(refused.body.data ?? null).toBeNull();
      expect(refused.body.errors?.map((e) => [e.path?.[0], e.extensions?.code]).sort()).toEqual([
        ['analyticsDeadLetters', 'FORBIDDEN'],
        ['webhookDeadLetters', 'FORBIDDEN'],
      ]);
    },
    60_000,
  );

  it('waits out a Telegram 429 on createInvoiceLink (a write) and shows it in /metrics', async () => {
    const sandboxUrl = fs.stack.sandboxUrl;
    const fault = await fetch(`${sandboxUrl}/__sandbox/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ service: 'telegram', status: 429, count: 1, retryAfter: 1 }),
    });
    expect(fault.status).toBeLessThan(300);
    const created = await gql<{ createInvoice: { starsInvoiceLink: string | null } }>(
      `mutation ($input: CreateInvoiceInput!) { createInvoice(input: $input) { starsInvoiceLink } }`,
      {
        userId: USER,
        url: fs.stack.gatewayUrl,
        variables: { input: { productId: 'prod_coins_100', provider: 'STARS', idempotencyKey: randomUUID() } },
      },
    );
    expect(created.body.errors).toBeUndefined();
    expect(created.body.data?.createInvoice.starsInvoiceLink).toMatch(/^https:/);
    const journal = (await (await fetch(`${sandboxUrl}/__sandbox/requests?service=telegram`)).json()) as { path: string; status: number }[];
    const calls = journal.filter((e) => e.path.endsWith('/createInvoiceLink')).map((e) => e.status);
    expect(calls.slice(-2)).toEqual([429, 200]);

    const metrics = await (await fetch(fs.stack.gatewayUrl.replace('/graphql', '/metrics'))).text();
    expect(metrics).toMatch(/upstream_retries_total\{[^}]*service="telegram"[^}]*reason="429"[^}]*subgraph="payments"[^}]*\} 1/);
    expect(metrics).toMatch(/upstream_calls_total\{[^}]*service="telegram"[^}]*outcome="429"[^}]*subgraph="payments"[^}]*\} 1/);
    expect(metrics).toMatch(/upstream_circuit_state\{[^}]*service="stripe"[^}]*subgraph="payments"[^}]*\} 0/);
    // Against the sandbox no outbound budget applies, so no queue wait is observed; the series exists.
    expect(metrics).toContain('# TYPE upstream_queue_wait_seconds histogram');
    expect(metrics).toMatch(/upstream_call_duration_seconds_bucket\{/);
  }, 60_000);

  const outages: { subgraph: string; paths: (string | number)[][]; check: (data: Answer) => void }[] = [
    {
      subgraph: 'analytics',
      paths: [['me', 'activity']],
      check: (data) => {
        expect(data.me).toMatchObject({ id: String(USER), activity: null });
        expect(data.me!.payments).not.toBeNull();
        expect(data.products!.length).toBeGreaterThan(0);
      },
    },
    {
      subgraph: 'crm',
      paths: [['me', 'customer']],
      check: (data) => {
        expect(data.me).toMatchObject({ id: String(USER), customer: null });
        expect(data.me!.activity).not.toBeNull();
        expect(data.products!.length).toBeGreaterThan(0);
      },
    },
    {
      subgraph: 'payments',
      paths: [['products'], ['me', 'payments']],
      check: (data) => {
        expect(data.products).toBeNull();
        expect(data.me).toMatchObject({ id: String(USER), payments: null });
        expect(data.me!.activity).not.toBeNull();
      },
    },
    {
      subgraph: 'telegram',
      paths: [['me']],
      check: (data) => {
        expect(data.me).toBeNull();
        expect(data.products!.length).toBeGreaterThan(0);
      },
    },
  ];

  for (const outage of outages) {
    it(`keeps everything but the ${outage.subgraph} fields when ${outage.subgraph} is down`, async () => {
      await fs.stack.kill(outage.subgraph);
      try {
        const res = await ask();
        expect(res.status).toBe(200);
        outage.check(res.body.data!);
        const errors = res.body.errors ?? [];
        expect(errors.map((e) => e.path).sort()).toEqual([...outage.paths].sort());
        for (const error of errors) {
          expect(error.extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE', service: outage.subgraph });
          expect(error.message).toBe(`Service "${outage.subgraph}" is unavailable`);
          expect(JSON.stringify(error)).not.toMatch(/127\.0\.0\.1|http:|ECONNREFUSED/);
        }
      } finally {
        await fs.stack.restart(outage.subgraph);
      }
      expect((await ask()).body.errors).toBeUndefined();
    }, 300_000);
  }

  async function tonInvoice(): Promise<{ id: string; amount: string; comment: string }> {
    const res = await gql<{ createInvoice: { payment: { id: string }; tonTransfer: { amount: string; comment: string } } }>(
      `mutation ($input: CreateInvoiceInput!) { createInvoice(input: $input) { payment { id } tonTransfer { amount comment } } }`,
      {
        userId: USER,
        url: fs.stack.gatewayUrl,
        variables: { input: { productId: 'prod_coins_100', provider: 'TON', idempotencyKey: randomUUID() } },
      },
    );
    expect(res.body.errors).toBeUndefined();
    return { id: res.body.data!.createInvoice.payment.id, ...res.body.data!.createInvoice.tonTransfer };
  }

  async function transfer(body: Record<string, unknown>): Promise<{ transaction_id: { lt: string; hash: string } }> {
    const res = await fetch(`${fs.stack.sandboxUrl}/toncenter/__sandbox/transfers`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(200);
    return (await res.json()) as { transaction_id: { lt: string; hash: string } };
  }

  async function waitPaid(id: string): Promise<void> {
    await waitFor(
      async () => {
        const res = await gql<{ payment: { status: string } | null }>(`query ($id: ID!) { payment(id: $id) { status } }`, {
          userId: USER,
          url: fs.stack.gatewayUrl,
          variables: { id },
        });
        return res.body.data?.payment?.status === 'PAID' ? true : undefined;
      },
      `payment ${id} PAID`,
      180_000,
    );
  }

  it('TON: finds a payment buried under 1,100 dust transfers sent while payments was down', async () => {
    const invoice = await tonInvoice();
    await fs.stack.kill('payments');
    try {
      await transfer({ value: invoice.amount, comment: invoice.comment });
      await transfer({ value: '1', comment: '', count: 1100 });
    } finally {
      await fs.stack.restart('payments');
    }
    await waitPaid(invoice.id);
  }, 300_000);

  it.skipIf(!process.env.TEST_DATABASE_URL)(
    'TON: the reconcile pass settles a transfer the cursor was already moved past',
    async () => {
      const invoice = await tonInvoice();
      await fs.stack.kill('payments');
      try {
        await transfer({ value: invoice.amount, comment: invoice.comment });
        const newest = await transfer({ value: '1', comment: '' });
        // What the old watcher did after reading only the newest page: the cursor jumps past the payment.
        const { default: pg } = await import('pg');
        const admin = new pg.Client({ connectionString: fs.databaseUrl });
        await admin.connect();
        try {
          await admin.query(
            'UPDATE payments.ton_cursor SET last_lt = $1, last_hash = $2, scan_head_lt = NULL, scan_head_hash = NULL, scan_next_lt = NULL, scan_next_hash = NULL',
            [newest.transaction_id.lt, newest.transaction_id.hash],
          );
        } finally {
          await admin.end();
        }
      } finally {
        await fs.stack.restart('payments');
      }
      await waitPaid(invoice.id);
    },
    300_000,
  );

  it('drains an in-flight request on SIGTERM (gateway and subgraph) before stopping', async () => {
    const sandboxUrl = fs.stack.sandboxUrl;
    await fetch(`${sandboxUrl}/__sandbox/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ service: 'telegram', delayMs: 3_000, count: 1 }),
    });
    const pending = gql<{ sendMessage: { messageId: string } }>('mutation { sendMessage(text: "drain") { messageId } }', {
      userId: SANDBOX_CHAT_USER,
      url: fs.stack.gatewayUrl,
    });
    // The sandbox takes the fault rule when the call arrives: from then on the request is in flight.
    await waitFor(async () => {
      const rules = (await (await fetch(`${sandboxUrl}/__sandbox/faults`)).json()) as unknown[];
      return rules.length === 0 ? true : undefined;
    }, 'the request in flight');
    const stopped = Promise.all([fs.stack.kill('gateway'), fs.stack.kill('telegram')]);
    try {
      const res = await pending;
      expect(res.status).toBe(200);
      expect(res.body.errors).toBeUndefined();
      expect(res.body.data?.sendMessage.messageId).toBeTruthy();
    } finally {
      await stopped;
      await fs.stack.restart('telegram');
      await fs.stack.restart('gateway');
    }
    expect((await ask()).body.errors).toBeUndefined();
  }, 300_000);

  it('restarts a subgraph that crashed, with backoff, while the others keep serving', async () => {
    const crashed = fs.stack.processes.get('crm')!;
    const exited = new Promise((resolve) => crashed.once('exit', resolve));
    process.kill(crashed.pid!, 'SIGKILL');
    await exited;
    const during = await ask();
    expect(during.body.data?.products?.length).toBeGreaterThan(0);
    expect(during.body.data?.me?.id).toBe(String(USER));
    await waitFor(
      async () => {
        const current = fs.stack.processes.get('crm');
        if (!current || current === crashed) return undefined;
        const res = await ask();
        return res.body.errors === undefined ? true : undefined;
      },
      'crm restarted by the supervisor',
      180_000,
    );
  }, 300_000);

  it('traces one request from the gateway through the subgraph to the connector', async () => {
    const res = await fetch(fs.stack.gatewayUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-request-id': 'trace-test-1',
        authorization: `tma ${initDataFor(SANDBOX_CHAT_USER)}`,
      },
      body: JSON.stringify({ query: 'mutation { sendMessage(text: "traced") { messageId } }' }),
    });
    expect(res.headers.get('x-request-id')).toBe('trace-test-1');
    expect(((await res.json()) as { errors?: unknown }).errors).toBeUndefined();
    const trace = await waitFor(
      async () => {
        const root = otlp.spans.find(
          (s) =>
            s.service === 'gateway' &&
            s.name === 'POST /graphql' &&
            !s.parentSpanId &&
            otlp.spans.some((c) => c.traceId === s.traceId && c.service === 'subgraph-telegram' && c.name.startsWith('telegram POST')),
        );
        return root ? otlp.spans.filter((s) => s.traceId === root.traceId) : undefined;
      },
      'the spans of the request',
      30_000,
    );
    const gateway = trace.find((s) => s.service === 'gateway' && !s.parentSpanId)!;
    const fetchSpan = trace.find((s) => s.service === 'gateway' && s.name === 'fetch telegram');
    const subgraph = trace.find((s) => s.service === 'subgraph-telegram' && s.name.startsWith('subgraph telegram'))!;
    const connector = trace.find((s) => s.service === 'subgraph-telegram' && s.name === 'telegram POST')!;
    // gateway request -> the engine's fetch of the telegram subgraph -> the subgraph's request -> the Bot API call
    expect(fetchSpan?.parentSpanId).toBe(gateway.spanId);
    expect(subgraph.parentSpanId).toBe(fetchSpan!.spanId);
    expect(connector.parentSpanId).toBe(subgraph.spanId);
  }, 60_000);
});
