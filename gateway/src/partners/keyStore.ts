/**
 * Partner API keys in the database (`npm run keys`): PostgreSQL (schema
 * `partners`) with DATABASE_URL, an embedded SQLite file under DATA_DIR
 * otherwise (see sqlite.ts for why not PGlite). Written by the CLI, read by
 * every gateway replica (registry.ts polls it), so a key created or revoked
 * while the stack runs takes effect everywhere within seconds.
 *
 * Only the SHA-256 of a key is stored: the key is printed once, at creation.
 * Times are epoch milliseconds (one representation in both engines).
 *
 * A name is the partner: rate limit, quota and metrics count per name, and
 * at most one key per name is "current". Rotation adds a new current key
 * and gives the old one an expiry (the grace period), so a partner can roll
 * the new key out before the old one stops working.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { openDatabase, type Queryable } from '../../../subgraphs/shared/db.ts';
import { hashApiKey } from './keys.ts';
import { openSqlite } from './sqlite.ts';

/** How long a rotated-out key keeps working unless `--grace-hours` says otherwise. */
export const DEFAULT_ROTATION_GRACE_MS = 24 * 3600_000;

/**
 * Append-only migrations (PostgreSQL records them in schema_migrations; the SQLite file
 * re-runs them, hence IF NOT EXISTS everywhere). Each entry is one or more statements.
 */
const MIGRATIONS: readonly (readonly string[])[] = [
  [
    `CREATE TABLE IF NOT EXISTS partner_keys (
       id text PRIMARY KEY,
       name text NOT NULL,
       key_hash text NOT NULL UNIQUE,
       scopes text NOT NULL,
       rpm integer NOT NULL,
       monthly_quota bigint,
       created_at bigint NOT NULL,
       last_used_at bigint,
       revoked_at bigint,
       expires_at bigint
     )`,
    `CREATE INDEX IF NOT EXISTS partner_keys_by_name ON partner_keys (name)`,
    // Requests per partner name per UTC month: the quota, shared by every replica.
    `CREATE TABLE IF NOT EXISTS partner_usage (
       name text NOT NULL,
       month text NOT NULL,
       requests bigint NOT NULL,
       PRIMARY KEY (name, month)
     )`,
  ],
  // One current key per name, even when two `create`s race (both engines have partial indexes).
  [`CREATE UNIQUE INDEX IF NOT EXISTS partner_keys_one_current ON partner_keys (name) WHERE revoked_at IS NULL AND expires_at IS NULL`],
];

export interface StoredKey {
  id: string;
  name: string;
  /** SHA-256 of the key, hex. */
  hash: string;
  scopes: string[];
  rpm: number;
  /** Requests per UTC calendar month; null = no quota. */
  monthlyQuota: number | null;
  createdAt: number;
  lastUsedAt: number | null;
  revokedAt: number | null;
  /** Set on the old key by rotation: it works until then. */
  expiresAt: number | null;
}

export interface NewKeyInput {
  name: string;
  scopes: readonly string[];
  rpm: number;
  monthlyQuota: number | null;
}

export class KeyStoreError extends Error {
  override name = 'KeyStoreError';
}

interface Row {
  id: string;
  name: string;
  key_hash: string;
  scopes: string;
  rpm: number | string;
  monthly_quota: number | string | null;
  created_at: number | string;
  last_used_at: number | string | null;
  revoked_at: number | string | null;
  expires_at: number | string | null;
}

// PostgreSQL returns bigint as a string (exact); these values are far below 2^53.
const num = (v: number | string | null): number | null => (v === null ? null : Number(v));

function toKey(row: Row): StoredKey {
  return {
    id: row.id,
    name: row.name,
    hash: row.key_hash,
    scopes: row.scopes.split(' ').filter(Boolean),
    rpm: Number(row.rpm),
    monthlyQuota: num(row.monthly_quota),
    createdAt: Number(row.created_at),
    lastUsedAt: num(row.last_used_at),
    revokedAt: num(row.revoked_at),
    expiresAt: num(row.expires_at),
  };
}

/** `2026-12` for a time in December 2026 (UTC): the quota period. */
export function monthOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 7);
}

/** Start of the next UTC month: when the quota resets. */
export function nextMonthStart(ms: number): number {
  const d = new Date(ms);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
}

const newSecret = () => `pk_${randomBytes(32).toString('base64url')}`;
const newId = () => `key_${randomBytes(6).toString('hex')}`;

export interface KeyStore {
  kind: 'postgres' | 'sqlite';
  /** Returns the key itself: the only time it exists outside the partner's hands. */
  create(input: NewKeyInput, now?: number): Promise<{ key: string; record: StoredKey }>;
  list(): Promise<StoredKey[]>;
  /** Revokes the key with this id, or every usable key with this name. */
  revoke(ref: string, now?: number): Promise<StoredKey[]>;
  rotate(ref: string, graceMs?: number, now?: number): Promise<{ key: string; record: StoredKey; previous: StoredKey }>;
  /** Keys that may be used at `now`: not revoked, not past a rotation expiry. */
  usable(now?: number): Promise<StoredKey[]>;
  /** Requests per name in a month. */
  usage(month: string): Promise<Map<string, number>>;
  /** Adds counted requests to the month and moves last-used times forward. */
  recordUsage(month: string, requests: ReadonlyMap<string, number>, lastUsed: ReadonlyMap<string, number>): Promise<void>;
  close(): Promise<void>;
}

export interface KeyStoreOptions {
  databaseUrl?: string | undefined;
  /** DATA_DIR: the embedded store is `<dataDir>/partners/keys.sqlite`. */
  dataDir: string;
}

export function embeddedKeyStorePath(dataDir: string): string {
  return join(dataDir, 'partners', 'keys.sqlite');
}

export async function openKeyStore(options: KeyStoreOptions): Promise<KeyStore> {
  if (options.databaseUrl) {
    const db = await openDatabase({
      name: 'partners',
      dataDir: options.dataDir,
      databaseUrl: options.databaseUrl,
      migrations: MIGRATIONS.map((m) => m.join(';\n')),
    });
    return keyStoreOn(db, 'postgres', () => db.close());
  }
  const db = openSqlite(embeddedKeyStorePath(options.dataDir));
  for (const statement of MIGRATIONS.flat()) await db.query(statement);
  return keyStoreOn(db, 'sqlite', () => db.close());
}

function keyStoreOn(db: Queryable, kind: KeyStore['kind'], close: () => Promise<void>): KeyStore {
  const USABLE = `revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $1)`;

  async function insert(input: NewKeyInput, now: number): Promise<{ key: string; record: StoredKey }> {
    const key = newSecret();
    const rows = await db.query<Row>(
      `INSERT INTO partner_keys (id, name, key_hash, scopes, rpm, monthly_quota, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *`,
      [newId(), input.name, hashApiKey(key), input.scopes.join(' '), input.rpm, input.monthlyQuota, now],
    );
    return { key, record: toKey(rows[0]!) };
  }

  /** The key a name or id designates for rotation: the current (non-expiring, unrevoked) one. */
  async function current(ref: string): Promise<StoredKey | undefined> {
    const rows = await db.query<Row>(
      `SELECT * FROM partner_keys WHERE (id = $1 OR name = $1) AND revoked_at IS NULL AND expires_at IS NULL`,
      [ref],
    );
    return rows.map(toKey)[0];
  }

  return {
    kind,
    async create(input, now = Date.now()) {
      const exists = new KeyStoreError(`a key named "${input.name}" exists already: rotate it, or revoke it first`);
      if (await current(input.name)) throw exists;
      try {
        return await insert(input, now);
      } catch (error) {
        // Lost a race with another create of the same name: the unique index said no.
        if (await current(input.name)) throw exists;
        throw error;
      }
    },
    async list() {
      return (await db.query<Row>('SELECT * FROM partner_keys ORDER BY name, created_at')).map(toKey);
    },
    async revoke(ref, now = Date.now()) {
      const rows = await db.query<Row>(`UPDATE partner_keys SET revoked_at = $1 WHERE (id = $2 OR name = $2) AND ${USABLE} RETURNING *`, [
        now,
        ref,
      ]);
      if (rows.length === 0) throw new KeyStoreError(`no usable key with the name or id "${ref}"`);
      return rows.map(toKey);
    },
    async rotate(ref, graceMs = DEFAULT_ROTATION_GRACE_MS, now = Date.now()) {
      const previous = await current(ref);
      if (!previous) throw new KeyStoreError(`no current key with the name or id "${ref}"`);
      // Expire the old key first: if two rotations race, the second finds no current key and fails.
      const expired = await db.query<Row>(
        `UPDATE partner_keys SET expires_at = $1 WHERE id = $2 AND expires_at IS NULL AND revoked_at IS NULL RETURNING *`,
        [now + graceMs, previous.id],
      );
      if (expired.length === 0) throw new KeyStoreError(`key "${ref}" changed while rotating it; try again`);
      const created = await insert(
        { name: previous.name, scopes: previous.scopes, rpm: previous.rpm, monthlyQuota: previous.monthlyQuota },
        now,
      );
      return { ...created, previous: toKey(expired[0]!) };
    },
    async usable(now = Date.now()) {
      return (await db.query<Row>(`SELECT * FROM partner_keys WHERE ${USABLE}`, [now])).map(toKey);
    },
    async usage(month) {
      const rows = await db.query<{ name: string; requests: number | string }>(
        'SELECT name, requests FROM partner_usage WHERE month = $1',
        [month],
      );
      return new Map(rows.map((r) => [r.name, Number(r.requests)]));
    },
    async recordUsage(month, requests, lastUsed) {
      for (const [name, count] of requests) {
        await db.query(
          `INSERT INTO partner_usage (name, month, requests) VALUES ($1, $2, $3)
           ON CONFLICT (name, month) DO UPDATE SET requests = partner_usage.requests + excluded.requests`,
          [name, month, count],
        );
      }
      for (const [id, at] of lastUsed) {
        await db.query('UPDATE partner_keys SET last_used_at = $1 WHERE id = $2 AND (last_used_at IS NULL OR last_used_at < $1)', [at, id]);
      }
    },
    close,
  };
}
