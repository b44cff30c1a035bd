/**
 * Analytics forwarding under failures, on a real database (PostgreSQL in a
 * database of its own when TEST_DATABASE_URL is set, else one PGlite) and a
 * local fake Mixpanel /import:
 * - entries that keep failing become dead letters after maxAttempts, are
 *   counted, and are not sent again; newer events still go out;
 * - two forwarder replicas on one outbox send every event exactly once.
 */
import { createServer, type Server } from 'node:http';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../subgraphs/shared/db.ts';
import { createEventStore, STORE_MIGRATIONS, type EventStore } from '../subgraphs/analytics/store.ts';
import { startForwarder } from '../subgraphs/analytics/forwarder.ts';
import { createMixpanelSink, type AnalyticsSink } from '../subgraphs/shared/connectors/analyticsSinks.ts';
import { closeServer, readBody } from '../lib/http/io.ts';
import { createLogger } from '../lib/logger.ts';
import { openFreshDatabase, type FreshDatabase } from './helpers/freshDatabase.ts';

const log = createLogger('forwarder-test');
log.level = 'fatal';

let db: Database;
let store: EventStore;
let fresh: FreshDatabase | undefined;
let server: Server;
let sink: AnalyticsSink;
let sinkUrl: string;
/** A sink with a fresh circuit breaker (the failing phase opens the old one's). */
async function freshSink(): Promise<AnalyticsSink> {
  await sink?.close();
  sink = createMixpanelSink({ baseUrl: sinkUrl, token: 't', gdprToken: 'g', deletionUrl: sinkUrl, log });
  return sink;
}
let failing = true;
/** insert id -> how many times Mixpanel received it */
const received = new Map<string, number>();

const events = (n: number) =>
  Array.from({ length: n }, () => ({ insertId: randomUUID(), name: 'open', properties: {}, occurredAt: new Date() }));
const makeDue = () => db.query(`UPDATE outbox SET next_attempt_at = now() - interval '1 second' WHERE dead_at IS NULL`);

beforeAll(async () => {
  fresh = await openFreshDatabase('forwarder', { name: 'analytics', migrations: STORE_MIGRATIONS });
  db = fresh.db;
  store = createEventStore(db, ['mixpanel']);
  server = createServer((req, res) => {
    void readBody(req).then((body) => {
      if (failing) return res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"down"}');
      for (const e of JSON.parse(body) as { properties: { $insert_id: string } }[]) {
        received.set(e.properties.$insert_id, (received.get(e.properties.$insert_id) ?? 0) + 1);
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"code":200,"num_records_imported":1,"status":1}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const address = server.address();
  sinkUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  await freshSink();
}, 120_000);

afterAll(async () => {
  await sink?.close();
  await closeServer(server);
  await fresh?.close();
});

describe('analytics forwarding under failures', () => {
  it('turns entries that keep failing into dead letters and still forwards newer events', async () => {
    failing = true;
    const failingForwarder = startForwarder(store, [sink], log, { intervalMs: 3_600_000, maxAttempts: 2 });
    const old = events(5);
    try {
      expect(await store.append('u1', old)).toBe(5);
      await failingForwarder.flush();
      await makeDue();
      await failingForwarder.flush();
      const counts = (await store.outboxCounts()).find((c) => c.sink === 'mixpanel')!;
      expect(counts).toMatchObject({ dead: 5, retrying: 0 });
    } finally {
      await failingForwarder.stop();
    }
    failing = false;
    const forwarder = startForwarder(store, [await freshSink()], log, { intervalMs: 3_600_000, maxAttempts: 2 });
    try {
      const fresh = events(3);
      await store.append('u1', fresh);
      await makeDue();
      await forwarder.flush();
      for (const e of fresh) expect(received.get(e.insertId)).toBe(1);
      for (const e of old) expect(received.has(e.insertId)).toBe(false);
      expect((await store.outboxCounts()).find((c) => c.sink === 'mixpanel')).toMatchObject({ pending: 0, retrying: 0, dead: 5 });
    } finally {
      await forwarder.stop();
    }
  }, 60_000);

  it('does not send a batch again when the database fails right after the destination took it', async () => {
    failing = false;
    const batch = events(20);
    await store.append('u-done', batch);
    // The destination accepted the batch, then marking it sent fails twice (a database restart in between).
    let doneFailures = 2;
    const flaky: EventStore = {
      ...store,
      async done(sinkName, keys) {
        if (doneFailures-- > 0) throw new Error('Connection terminated unexpectedly');
        return store.done(sinkName, keys);
      },
    };
    const forwarder = startForwarder(flaky, [await freshSink()], log, { intervalMs: 3_600_000 });
    try {
      await forwarder.flush();
      await makeDue(); // were the entries put back, they would be sent again now
      await forwarder.flush();
      for (const e of batch) expect(received.get(e.insertId), e.insertId).toBe(1);
      const left = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM outbox WHERE user_id = 'u-done'`);
      expect(Number(left[0]!.n)).toBe(0);
    } finally {
      await forwarder.stop();
    }
  }, 60_000);

  it('sends every event exactly once with two replicas draining one outbox', async () => {
    failing = false;
    const batch = events(600);
    for (let i = 0; i < 600; i += 100) await store.append(`u${i}`, batch.slice(i, i + 100));
    const a = startForwarder(store, [await freshSink()], log, { intervalMs: 3_600_000 });
    const b = startForwarder(store, [sink], log, { intervalMs: 3_600_000 });
    try {
      await Promise.all([a.flush(), b.flush(), a.flush(), b.flush()]);
      for (const e of batch) expect(received.get(e.insertId), e.insertId).toBe(1);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  }, 60_000);
});
