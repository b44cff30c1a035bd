/**
 * Funnel, retention and daily active users against hand-computed answers, on
 * the real event store (rollups maintained as events arrive, late events that
 * move a cohort, deletion), on the embedded PGlite and on PostgreSQL
 * (TEST_DATABASE_URL; skipped when unset). Also: the incremental rollups equal
 * a rebuild from scratch, and a user's deletion request survives a restart
 * and a failing destination until both destinations accepted it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../subgraphs/shared/db.ts';
import { createEventStore, STORE_MIGRATIONS, type EventStore } from '../subgraphs/analytics/store.ts';
import { dailyActiveUsers, funnel, retention } from '../subgraphs/analytics/reports.ts';
import { REBUILD_ROLLUPS } from '../subgraphs/analytics/rollups.ts';
import { startDeletionWorker } from '../subgraphs/analytics/deletions.ts';
import { createAmplitudeSink, createMixpanelSink } from '../subgraphs/shared/connectors/analyticsSinks.ts';
import { startSandbox, type SandboxHandle } from '../sandbox/src/server.ts';
import { SANDBOX_CREDENTIALS } from '../sandbox/src/credentials.ts';
import { createLogger } from '../lib/logger.ts';

const SCHEMA = 'analytics_reports_test';
const at = (day: number, hhmm: string) => new Date(`2026-03-0${day}T${hhmm}:00Z`);
let seq = 0;
const ev = (name: string, when: Date) => ({ insertId: `t-${++seq}`, name, properties: {}, occurredAt: when });
const W = { from: at(1, '00:00'), to: new Date('2026-03-03T23:59:59Z') };
const STEPS = ['app_open', 'view_product', 'purchase'];

async function retentionCounts(db: Database) {
  return db.query<{ cohort: string; day_offset: number; users: number }>(
    `SELECT to_char(cohort, 'YYYY-MM-DD') AS cohort, day_offset, users FROM retention_counts WHERE users <> 0 ORDER BY 1, 2`,
  );
}

function defineReportSuite(open: () => Promise<Database>, close: () => Promise<void>) {
  let db: Database;
  let store: EventStore;
  beforeAll(async () => {
    db = await open();
    store = createEventStore(db, ['mixpanel', 'amplitude']);
    // a: open → view → purchase on day 1.            b: view before open, purchase on day 2 (no view after open).
    // c: open day 2, view + open day 3, purchase day 4 (outside the window).   d: purchase only, day 2.
    await store.append('a', [ev('app_open', at(1, '10:00')), ev('view_product', at(1, '10:05')), ev('purchase', at(1, '10:10'))]);
    await store.append('b', [ev('view_product', at(1, '09:00')), ev('app_open', at(1, '10:00')), ev('purchase', at(2, '08:00'))]);
    await store.append('c', [ev('app_open', at(2, '12:00'))]);
    await store.append('c', [ev('view_product', at(3, '12:00')), ev('app_open', at(3, '13:00'))]);
    await store.append('c', [ev('purchase', at(4, '12:00'))]);
    await store.append('d', [ev('purchase', at(2, '15:00'))]);
  }, 300_000); // opening PGlite takes seconds, minutes on a loaded machine
  afterAll(close);

  it('funnel: users reaching each step in order within the window', async () => {
    expect(await funnel(db, STEPS, W)).toEqual([
      { name: 'app_open', users: 3, conversion: 1 },
      { name: 'view_product', users: 2, conversion: 2 / 3 },
      { name: 'purchase', users: 1, conversion: 1 / 3 },
    ]);
    // Whole history: c's purchase on day 4 counts now.
    expect((await funnel(db, STEPS, { from: W.from, to: at(5, '00:00') })).map((s) => s.users)).toEqual([3, 2, 2]);
    // A step repeated needs a second, later event: only c opened twice.
    expect((await funnel(db, ['app_open', 'app_open'], W)).map((s) => s.users)).toEqual([3, 1]);
    // An event nobody did ends the funnel there.
    expect((await funnel(db, ['app_open', 'never_happened', 'purchase'], W)).map((s) => s.users)).toEqual([3, 0, 0]);
    // The window's start cuts earlier events: from day 2 on, a's and b's opens are gone.
    expect((await funnel(db, ['app_open', 'view_product'], { from: at(2, '00:00'), to: W.to })).map((s) => s.users)).toEqual([1, 1]);
  });

  it('retention and daily active users', async () => {
    expect(await retention(db, 3, { from: at(1, '00:00'), to: at(3, '00:00') })).toEqual([
      { cohort: '2026-03-01', size: 2, retained: [1, 0.5, 0] }, // a, b; b back on day 2
      { cohort: '2026-03-02', size: 2, retained: [1, 0.5, 0.5] }, // c, d; c back on days 3 and 4
    ]);
    expect(await dailyActiveUsers(db, { from: at(1, '00:00'), to: at(5, '12:00') })).toEqual([
      { day: '2026-03-01', users: 2 },
      { day: '2026-03-02', users: 3 },
      { day: '2026-03-03', users: 1 },
      { day: '2026-03-04', users: 1 },
      { day: '2026-03-05', users: 0 },
    ]);
  });

  it('a late event moves the user to an earlier cohort; deleting a user takes them out; rollups equal a rebuild', async () => {
    await store.append('c', [ev('view_product', at(1, '23:00'))]);
    expect(await retention(db, 4, { from: at(1, '00:00'), to: at(3, '00:00') })).toEqual([
      { cohort: '2026-03-01', size: 3, retained: [1, 2 / 3, 1 / 3, 1 / 3] },
      { cohort: '2026-03-02', size: 1, retained: [1, 0, 0, 0] },
    ]);
    const deleted = await store.deleteUser('b');
    expect(deleted).toEqual({ deletedEvents: 3, sinks: ['mixpanel', 'amplitude'] });
    expect((await dailyActiveUsers(db, { from: at(1, '00:00'), to: at(2, '00:00') })).map((d) => d.users)).toEqual([2, 2]);
    // a; and c, whose early view (before any open) does not count but day 3's does.
    expect((await funnel(db, STEPS, W)).map((s) => s.users)).toEqual([2, 2, 1]);
    expect((await store.activity(['b'])).size).toBe(0);

    const incremental = await retentionCounts(db);
    const timelines = await db.query('SELECT user_id, keys::text AS keys FROM user_timelines ORDER BY 1');
    await db.transaction(async (tx) => {
      for (const statement of REBUILD_ROLLUPS) await tx.query(statement);
    });
    expect(await retentionCounts(db)).toEqual(incremental);
    expect(await db.query('SELECT user_id, keys::text AS keys FROM user_timelines ORDER BY 1')).toEqual(timelines);
  });
}

const log = createLogger('test', 'silent');

describe('analytics reports (PGlite)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tma-reports-'));
  let db: Database | undefined;
  defineReportSuite(
    async () => (db = await openDatabase({ name: 'analytics', dataDir: dir, migrations: STORE_MIGRATIONS })),
    async () => {
      await db?.close();
      rmSync(dir, { recursive: true, force: true });
    },
  );
});

const pgUrl = process.env.TEST_DATABASE_URL;

async function resetSchema() {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: pgUrl });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
  await client.end();
}
const openPg = () => openDatabase({ name: SCHEMA, dataDir: tmpdir(), databaseUrl: pgUrl, migrations: STORE_MIGRATIONS });

describe.skipIf(!pgUrl)('analytics reports (PostgreSQL)', () => {
  let db: Database | undefined;
  defineReportSuite(
    async () => {
      await resetSchema();
      return (db = await openPg());
    },
    async () => {
      await db?.close();
    },
  );
});

describe.skipIf(!pgUrl)('analytics deletion requests are durable', () => {
  let sandbox: SandboxHandle;
  beforeAll(async () => {
    sandbox = await startSandbox({ port: 0 });
  });
  afterAll(async () => {
    await sandbox?.close();
  });

  it('survive a restart and a failing destination until Mixpanel and Amplitude accepted them', async () => {
    const sinks = () => [
      createMixpanelSink({
        baseUrl: `${sandbox.url}/mixpanel`,
        token: SANDBOX_CREDENTIALS.mixpanelToken,
        gdprToken: SANDBOX_CREDENTIALS.mixpanelGdprToken,
        deletionUrl: `${sandbox.url}/mixpanel`,
      }),
      createAmplitudeSink({
        baseUrl: `${sandbox.url}/amplitude`,
        apiKey: SANDBOX_CREDENTIALS.amplitudeApiKey,
        secretKey: SANDBOX_CREDENTIALS.amplitudeSecretKey,
        deletionUrl: `${sandbox.url}/amplitude`,
      }),
    ];
    await resetSchema();
    let db = await openPg();
    let store = createEventStore(db, ['mixpanel', 'amplitude']);
    await store.append('gone-1', [ev('app_open', at(1, '10:00'))]);
    await store.deleteUser('gone-1');
    await db.close(); // "crash" before anything was sent

    db = await openPg();
    store = createEventStore(db, ['mixpanel', 'amplitude']);
    expect(await store.pendingDeletions()).toBe(2);
    // Mixpanel is down (503 for every attempt the connector makes); Amplitude works.
    sandbox.faults.set({ service: 'mixpanel', status: 503, count: 3 });
    const first = sinks();
    const worker = startDeletionWorker(store, first, log, 3_600_000);
    await worker.flush();
    expect(await store.dueDeletions('amplitude', 10)).toEqual([]);
    expect(await store.pendingDeletions()).toBe(1); // mixpanel, backing off
    expect(sandbox.state.amplitude.deletionJobs.map((j) => j.userIds)).toEqual([['gone-1']]);
    await worker.stop();
    await Promise.all(first.map((s) => s.close()));

    // Due again (as after the backoff): the next drain gets it through.
    await db.query(`UPDATE deletion_outbox SET next_attempt_at = now()`);
    const second = sinks();
    const again = startDeletionWorker(store, second, log, 3_600_000);
    await again.flush();
    expect(await store.pendingDeletions()).toBe(0);
    expect([...sandbox.state.mixpanel.deletionTasks.values()].map((t) => t.distinctIds)).toEqual([['gone-1']]);
    await again.stop();
    await Promise.all(second.map((s) => s.close()));
    await db.close();
  });
});
