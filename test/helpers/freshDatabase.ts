/**
 * A database of its own for a test that drives a subgraph module directly (ledger, inbox,
 * forwarder): on PostgreSQL when TEST_DATABASE_URL is set, in `<test database>_<suffix>` with the
 * module's schema dropped first (a clean slate each run); else an embedded PGlite in a temporary
 * directory. `close()` closes it and removes that directory.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, type Database } from '../../subgraphs/shared/db.ts';
import { ownDatabase } from './faultStack.ts';

export interface FreshDatabase {
  db: Database;
  close(): Promise<void>;
}

export async function openFreshDatabase(suffix: string, options: { name: string; migrations: readonly string[] }): Promise<FreshDatabase> {
  const url = await ownDatabase(suffix);
  let dataDir: string | undefined;
  if (url) {
    const { default: pg } = await import('pg');
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      await admin.query(`DROP SCHEMA IF EXISTS ${options.name} CASCADE`); // name: a lowercase identifier (openDatabase checks it)
    } finally {
      await admin.end();
    }
  } else dataDir = mkdtempSync(join(tmpdir(), `tma-${suffix}-`));
  const db = await openDatabase({ name: options.name, dataDir: dataDir ?? '', databaseUrl: url, migrations: options.migrations });
  return {
    db,
    async close() {
      await db.close();
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
