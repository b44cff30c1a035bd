/**
 * Databases of a test file's own, empty at the start of every run.
 *
 * On PostgreSQL (TEST_DATABASE_URL set) a file gets `<test database>_<suffix>`, dropped and
 * created again each time: the PostgreSQL cluster outlives runs (CI drops only the main test
 * database), and a ledger that kept rows from earlier runs once pushed a test user past the
 * 20-pending-invoices limit. Each suffix belongs to one test file, so nothing else is connected
 * to it while it is dropped. Without TEST_DATABASE_URL the callers use embedded PGlite.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, type Database } from '../../subgraphs/shared/db.ts';

/** `<TEST_DATABASE_URL's database>_<suffix>`, empty (dropped and created again); undefined without TEST_DATABASE_URL. */
export async function freshDatabaseUrl(suffix: string): Promise<string | undefined> {
  const base = process.env.TEST_DATABASE_URL;
  if (!base) return undefined;
  if (!/^[a-z0-9_]+$/.test(suffix)) throw new Error(`database suffix must be a lowercase identifier: ${suffix}`);
  const { default: pg } = await import('pg');
  const url = new URL(base);
  const name = `${url.pathname.slice(1)}_${suffix}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  url.pathname = `/${name}`;
  return url.toString();
}

/** A subgraph module's database (ledger, inbox, forwarder) for a test that drives the module directly. */
export interface FreshDatabase {
  db: Database;
  close(): Promise<void>;
}

export async function openFreshDatabase(suffix: string, options: { name: string; migrations: readonly string[] }): Promise<FreshDatabase> {
  const url = await freshDatabaseUrl(suffix);
  // Without PostgreSQL: PGlite in a temporary directory, removed by close().
  const dataDir = url ? undefined : mkdtempSync(join(tmpdir(), `tma-${suffix}-`));
  const db = await openDatabase({ name: options.name, dataDir: dataDir ?? '', databaseUrl: url, migrations: options.migrations });
  return {
    db,
    async close() {
      await db.close();
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
