/**
 * The embedded partner-key store: one SQLite file under DATA_DIR, opened with
 * Node's built-in `node:sqlite`.
 *
 * Why not PGlite like the subgraphs: a PGlite data directory belongs to the
 * one process that opened it, while partner keys are written by the `keys`
 * CLI and read by every gateway process at the same time. SQLite in WAL mode
 * is made for exactly that (many readers, writers queued by a busy timeout),
 * so the CLI works while the stack runs and needs no admin endpoint. The SQL
 * the store runs is the common subset of SQLite and PostgreSQL; `$n`
 * placeholders become SQLite's `?n`.
 *
 * Queries are synchronous (node:sqlite has no async API); the store runs a
 * handful of tiny statements every few seconds, never one per request.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type SQLInputValue } from 'node:sqlite';
import type { Queryable } from '../../../subgraphs/shared/db.ts';

/** How long a writer waits for another process's write lock before failing. */
const BUSY_TIMEOUT_MS = 5_000;

export interface SqliteDatabase extends Queryable {
  close(): Promise<void>;
}

export function openSqlite(file: string): SqliteDatabase {
  mkdirSync(dirname(file), { recursive: true });
  const db = new DatabaseSync(file);
  db.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
  db.exec('PRAGMA journal_mode = WAL');
  return {
    async query<T>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
      const statement = db.prepare(sql.replace(/\$(\d+)/g, '?$1'));
      const args = params.map((p) => (typeof p === 'boolean' ? Number(p) : p)) as SQLInputValue[];
      // Statements without a result (INSERT/UPDATE without RETURNING) must be run, not iterated.
      if (statement.columns().length === 0) {
        statement.run(...args);
        return [];
      }
      return statement.all(...args) as T[];
    },
    async close() {
      db.close();
    },
  };
}
