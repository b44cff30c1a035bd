/**
 * The state store of a subgraph: PostgreSQL when DATABASE_URL is set, an
 * embedded PGlite (the same SQL dialect) under DATA_DIR otherwise. Callers
 * write plain PostgreSQL; which engine runs it is this module's business.
 *
 * Each subgraph owns its tables: in PostgreSQL they live in a schema named
 * after the subgraph, in PGlite in a data directory of its own. PGlite takes
 * seconds to open, so a process opens one instance and keeps it.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../../lib/logger.ts';

export interface Queryable {
  query<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<T[]>;
}

export interface Database extends Queryable {
  readonly kind: 'postgres' | 'pglite';
  /** Runs `work` in one transaction; rolls back if it throws. */
  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T>;
  /**
   * LISTEN on a NOTIFY channel: `onPayload` gets every payload sent after the
   * listener is up (PostgreSQL: from any process on the database; PGlite: from
   * this process). Returns the unlisten function.
   */
  listen(channel: string, onPayload: (payload: string) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** Owner name: the PostgreSQL schema or the PGlite folder. Lowercase identifier. */
  name: string;
  dataDir: string;
  databaseUrl?: string | undefined;
  /** Ordered, append-only list of migrations; each runs once, in its own transaction. */
  migrations: readonly string[];
  log?: Logger;
}

/**
 * Bounds on every PostgreSQL connection, so a stuck database or a forgotten
 * transaction costs one request, never the pool: a connection attempt gives
 * up after `connectTimeoutMs`, a statement after `statementTimeoutMs`, and a
 * transaction left idle (a crashed request holding locks) is ended by the
 * server after `idleInTransactionTimeoutMs`.
 */
export const POSTGRES_LIMITS = {
  maxConnections: 10,
  connectTimeoutMs: 10_000,
  statementTimeoutMs: 15_000,
  idleInTransactionTimeoutMs: 30_000,
  /** Idle pooled connections are closed after this, so a failover does not leave many stale ones. */
  idleTimeoutMs: 30_000,
} as const;

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

export async function openDatabase(options: OpenDatabaseOptions): Promise<Database> {
  if (!IDENTIFIER.test(options.name)) throw new Error(`database name must be a lowercase identifier: ${options.name}`);
  const db = options.databaseUrl
    ? await openPostgres(options.name, options.databaseUrl, options.log)
    : await openPglite(options.name, options.dataDir);
  await migrate(db, options.migrations);
  options.log?.info({ engine: db.kind, migrations: options.migrations.length }, 'database ready');
  return db;
}

async function openPostgres(schema: string, url: string, log?: Logger): Promise<Database> {
  const { default: pg } = await import('pg');
  const limits = POSTGRES_LIMITS;
  // int8 (bigint) as JS number would silently lose precision past 2^53; ids stay strings, counts we cast in SQL.
  const pool = new pg.Pool({
    connectionString: url,
    max: limits.maxConnections,
    // The pid in the name lets an operator (and the fault tests) find this process's backends.
    application_name: `tma-${schema}-${process.pid}`,
    connectionTimeoutMillis: limits.connectTimeoutMs,
    idleTimeoutMillis: limits.idleTimeoutMs,
    statement_timeout: limits.statementTimeoutMs,
    idle_in_transaction_session_timeout: limits.idleInTransactionTimeoutMs,
    options: `-c search_path=${schema}`,
  });
  // An idle pooled connection that dies (server restart, failover, pg_terminate_backend) emits
  // 'error' on the pool; without a listener Node treats it as unhandled and kills the process.
  // pg has already dropped that client, the next query opens a fresh connection.
  pool.on('error', (error: Error & { code?: string }) => {
    log?.warn({ code: error.code, reason: error.message }, 'idle database connection lost; it will be replaced');
  });
  await withRetryOnConnect(() => pool.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`), log);
  return {
    kind: 'postgres',
    async query(sql, params) {
      const result = await pool.query(sql, params as unknown[] | undefined);
      return result.rows;
    },
    async transaction(work) {
      const client = await pool.connect();
      // A checked-out client has no pool listener: a connection lost mid-transaction would emit an
      // unhandled 'error'. The failing query rejects anyway; the client is then destroyed, not reused.
      let broken: Error | undefined;
      const onError = (error: Error) => {
        broken = error;
      };
      client.on('error', onError);
      try {
        await client.query('BEGIN');
        const value = await work({
          async query(sql, params) {
            return (await client.query(sql, params as unknown[] | undefined)).rows;
          },
        });
        await client.query('COMMIT');
        return value;
      } catch (error) {
        if (!broken) await client.query('ROLLBACK').catch((rollbackError: Error) => (broken = rollbackError));
        throw error;
      } finally {
        client.removeListener('error', onError);
        client.release(broken);
      }
    },
    listen: (channel, onPayload) => listenPostgres(url, schema, channel, onPayload),
    close: () => pool.end(),
  };
}

/**
 * At start the database may still be coming up (a restart, a container
 * starting next to us): retry the first statement for a while instead of
 * exiting, so a supervisor does not have to crash-loop us.
 */
async function withRetryOnConnect<T>(work: () => Promise<T>, log?: Logger, attempts = 10): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      const code = (error as { code?: string }).code;
      const transient =
        code === undefined || code === 'ECONNREFUSED' || code === '57P03' /* cannot_connect_now */ || code === '57P01' /* admin_shutdown */;
      if (!transient || attempt >= attempts) throw error;
      const delay = Math.min(5_000, 200 * 2 ** attempt);
      log?.warn({ code, attempt, retryInMs: delay }, 'database not reachable yet');
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

/**
 * A dedicated connection per listened channel (LISTEN holds its connection), re-established after
 * a connection loss with a capped backoff. Notifications sent while it was down are not replayed:
 * consumers treat a notification as "re-read the row", never as the data itself.
 */
async function listenPostgres(
  url: string,
  schema: string,
  channel: string,
  onPayload: (payload: string) => void,
): Promise<() => Promise<void>> {
  if (!IDENTIFIER.test(channel)) throw new Error(`channel must be a lowercase identifier: ${channel}`);
  const { default: pg } = await import('pg');
  let stopped = false;
  let client: InstanceType<typeof pg.Client> | undefined;
  let retryMs = 250;
  const connect = async (): Promise<void> => {
    const c = new pg.Client({ connectionString: url, options: `-c search_path=${schema}`, connectionTimeoutMillis: 5_000 });
    c.on('notification', (msg) => {
      if (msg.channel === channel && msg.payload !== undefined) onPayload(msg.payload);
    });
    c.on('error', () => reconnect(c));
    c.on('end', () => reconnect(c));
    await c.connect();
    await c.query(`LISTEN ${channel}`);
    client = c;
    retryMs = 250;
  };
  const reconnect = (failed: InstanceType<typeof pg.Client>) => {
    if (stopped || client !== failed) return;
    client = undefined;
    failed.end().catch(() => {});
    const attempt = () => {
      if (stopped) return;
      connect().catch(() => {
        retryMs = Math.min(retryMs * 2, 10_000);
        setTimeout(attempt, retryMs).unref();
      });
    };
    setTimeout(attempt, retryMs).unref();
  };
  await connect();
  return async () => {
    stopped = true;
    const c = client;
    client = undefined;
    await c?.end().catch(() => {});
  };
}

async function openPglite(name: string, dataDir: string): Promise<Database> {
  const { PGlite } = await import('@electric-sql/pglite');
  const dir = join(dataDir, name);
  mkdirSync(dir, { recursive: true });
  const lite = await PGlite.create(dir);
  return {
    kind: 'pglite',
    async query(sql, params) {
      const result = await lite.query(sql, params as unknown[] | undefined);
      return result.rows as never[];
    },
    transaction(work) {
      return lite.transaction((tx) =>
        work({
          async query(sql, params) {
            return (await tx.query(sql, params as unknown[] | undefined)).rows as never[];
          },
        }),
      );
    },
    async listen(channel, onPayload) {
      // PGlite delivers NOTIFY (including from triggers) to listeners of the same instance.
      const unlisten = await lite.listen(channel, onPayload);
      return async () => unlisten();
    },
    close: () => lite.close(),
  };
}

async function migrate(db: Database, migrations: readonly string[]): Promise<void> {
  await db.query(
    'CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())',
  );
  const rows = await db.query<{ version: number }>('SELECT version FROM schema_migrations');
  const applied = new Set(rows.map((r) => Number(r.version)));
  for (const [index, sql] of migrations.entries()) {
    const version = index + 1;
    if (applied.has(version)) continue;
    await db.transaction(async (tx) => {
      // Two processes migrating at once: the primary key makes the loser fail and roll back.
      await tx.query('INSERT INTO schema_migrations (version) VALUES ($1)', [version]);
      for (const statement of splitStatements(sql)) await tx.query(statement);
    });
  }
}

/** Migrations are plain SQL files without functions or quoted semicolons; split on `;` line ends. */
function splitStatements(sql: string): string[] {
  return sql
    .split(/;\s*(?:\n|$)/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}
