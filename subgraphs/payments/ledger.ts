/**
 * The payment ledger: one row per payment, in the subgraph's database
 * (PostgreSQL or embedded PGlite). Amounts are bigint minor units (nanotons
 * exceed 32 bits). Reads by user are batched: one query for many users.
 */
import type { Database, Queryable } from '../shared/db.ts';

export type PaymentProvider = 'STARS' | 'TON' | 'STRIPE';
export type PaymentStatus = 'PENDING' | 'PAID' | 'FAILED' | 'REFUNDED';

export interface PaymentRecord {
  id: string;
  userId: string;
  productId: string;
  provider: PaymentProvider;
  status: PaymentStatus;
  amount: bigint;
  currency: string;
  idempotencyKey: string;
  externalId: string | null;
  invoice: Record<string, unknown> | null;
  createdAt: string;
  paidAt: string | null;
}

export const LEDGER_MIGRATIONS = [
  `CREATE TABLE payments (
     id text PRIMARY KEY,
     user_id text NOT NULL,
     product_id text NOT NULL,
     provider text NOT NULL CHECK (provider IN ('STARS', 'TON', 'STRIPE')),
     status text NOT NULL CHECK (status IN ('PENDING', 'PAID', 'FAILED', 'REFUNDED')),
     amount bigint NOT NULL CHECK (amount > 0),
     currency text NOT NULL,
     idempotency_key text NOT NULL,
     external_id text,
     invoice jsonb,
     -- millisecond precision: the API's timestamps and cursors carry milliseconds, so the stored value must too
     created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', clock_timestamp()),
     paid_at timestamptz,
     refunded_at timestamptz,
     UNIQUE (user_id, idempotency_key)
   );
   CREATE INDEX payments_by_user ON payments (user_id, created_at DESC, id DESC)`,
];

const COLUMNS = `id, user_id, product_id, provider, status, amount::text AS amount, currency, idempotency_key, external_id, invoice,
  to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS created_at,
  to_char(paid_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS paid_at`;

interface Row {
  id: string;
  user_id: string;
  product_id: string;
  provider: PaymentProvider;
  status: PaymentStatus;
  amount: string;
  currency: string;
  idempotency_key: string;
  external_id: string | null;
  invoice: Record<string, unknown> | string | null;
  created_at: string;
  paid_at: string | null;
}

export function toPayment(r: Row): PaymentRecord {
  return {
    id: r.id,
    userId: r.user_id,
    productId: r.product_id,
    provider: r.provider,
    status: r.status,
    amount: BigInt(r.amount),
    currency: r.currency,
    idempotencyKey: r.idempotency_key,
    externalId: r.external_id,
    invoice: typeof r.invoice === 'string' ? (JSON.parse(r.invoice) as Record<string, unknown>) : r.invoice,
    createdAt: r.created_at,
    paidAt: r.paid_at,
  };
}

/** The cursor position of a payment in a user's newest-first list. */
export const positionOf = (p: PaymentRecord) => `${p.createdAt}|${p.id}`;

export function createLedger(db: Database) {
  return {
    db,
    async byIds(ids: readonly string[], q: Queryable = db): Promise<PaymentRecord[]> {
      const rows = await q.query<Row>(`SELECT ${COLUMNS} FROM payments WHERE id = ANY($1::text[])`, [ids as string[]]);
      return rows.map(toPayment);
    },
    /** First page (`limit` rows) of each user's payments, newest first, in one query. */
    async firstPages(userIds: readonly string[], limit: number): Promise<Map<string, PaymentRecord[]>> {
      const rows = await db.query<Row>(
        `SELECT ${COLUMNS} FROM (
           SELECT p.*, row_number() OVER (PARTITION BY user_id ORDER BY created_at DESC, id DESC) AS rank
           FROM payments p WHERE user_id = ANY($1::text[])
         ) ranked WHERE rank <= $2 ORDER BY user_id, created_at DESC, id DESC`,
        [userIds as string[], limit],
      );
      const out = new Map<string, PaymentRecord[]>(userIds.map((id) => [id, []]));
      for (const row of rows) out.get(row.user_id)?.push(toPayment(row));
      return out;
    },
    /** A page after a cursor position (`createdAt|id`). */
    async pageAfter(userId: string, position: string, limit: number): Promise<PaymentRecord[]> {
      const sep = position.lastIndexOf('|');
      const createdAt = position.slice(0, sep);
      const id = position.slice(sep + 1);
      const rows = await db.query<Row>(
        `SELECT ${COLUMNS} FROM payments WHERE user_id = $1 AND (created_at, id) < ($2::timestamptz, $3)
         ORDER BY created_at DESC, id DESC LIMIT $4`,
        [userId, createdAt, id, limit],
      );
      return rows.map(toPayment);
    },
  };
}
export type Ledger = ReturnType<typeof createLedger>;
