/**
 * The PostgreSQL cluster outlives test runs (CI drops and creates only the main test database).
 * A database a test file takes for itself must start empty every run: rows the fault suite left
 * behind once pushed its test user past the 20-pending-invoices limit on the eighth run.
 */
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { freshDatabaseUrl } from './helpers/freshDatabase.ts';

describe.skipIf(!process.env.TEST_DATABASE_URL)('test databases of their own', () => {
  it('are empty again when the next run takes them, whatever the last run left', async () => {
    const earlierRun = await freshDatabaseUrl('reuse');
    const left = new pg.Client({ connectionString: earlierRun });
    left.on('error', () => {}); // the drop below terminates it: expected
    await left.connect();
    await left.query('CREATE TABLE leftover (id int); INSERT INTO leftover VALUES (1)');
    // A connection the earlier run never closed does not keep the database alive.
    const nextRun = await freshDatabaseUrl('reuse');
    await left.end().catch(() => {});
    expect(nextRun).toBe(earlierRun);
    const db = new pg.Client({ connectionString: nextRun });
    await db.connect();
    try {
      const tables = await db.query(
        "SELECT count(*)::int AS n FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')",
      );
      expect(tables.rows[0].n).toBe(0);
    } finally {
      await db.end();
    }
  });

  it('refuses a suffix that is not a plain identifier', async () => {
    await expect(freshDatabaseUrl('x; DROP DATABASE tma')).rejects.toThrow(/lowercase identifier/);
  });
});
