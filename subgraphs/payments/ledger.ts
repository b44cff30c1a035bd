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
  refundedAt: string | null;
  /** Telegram Stars: the charge id from `successful_payment` (what a refund needs). */
  telegramChargeId: string | null;
  /** TON: the comment the transfer must carry. */
  tonComment: string | null;
  /** Stars subscription: billing period in seconds (Telegram allows 30 days), null for one-off payments. */
  subscriptionPeriod: number | null;
  /** Stars subscription: end of the period this charge paid for. */
  subscriptionExpiresAt: string | null;
  /** A renewal charge: the payment of the subscription it renews. */
  renewalOf: string | null;
  /** Stars subscription: when the user stopped it from renewing. */
  subscriptionCanceledAt: string | null;
  /** Refunded so far (minor units, cumulative); equals `amount` once REFUNDED, less after a partial refund. */
  refundedAmount: bigint;
  /** Last visible change (status, subscription cancellation); see migration 7. */
  updatedAt: string;
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
  // Payment flows (webhooks, refunds, TON). A charge, a provider object, a TON comment and a TON
  // transaction can each settle at most one payment: the unique constraints are the last line of
  // de-duplication, whatever the application code does.
  `ALTER TABLE payments ADD COLUMN telegram_payment_charge_id text UNIQUE;
   ALTER TABLE payments ADD COLUMN ton_comment text UNIQUE;
   ALTER TABLE payments ADD COLUMN ton_tx_hash text UNIQUE;
   ALTER TABLE payments ADD COLUMN failure_reason text;
   ALTER TABLE payments ADD COLUMN refund_requested_at timestamptz;
   ALTER TABLE payments ADD COLUMN refund_id text;
   CREATE UNIQUE INDEX payments_external_id ON payments (provider, external_id) WHERE external_id IS NOT NULL;
   CREATE TABLE inbox (
     source text NOT NULL,
     event_id text NOT NULL,
     kind text NOT NULL,
     payload jsonb NOT NULL,
     received_at timestamptz NOT NULL DEFAULT clock_timestamp(),
     processed_at timestamptz,
     outcome text,
     attempts integer NOT NULL DEFAULT 0,
     last_error text,
     PRIMARY KEY (source, event_id)
   );
   CREATE INDEX inbox_pending ON inbox (received_at) WHERE processed_at IS NULL;
   CREATE TABLE ton_cursor (
     wallet text PRIMARY KEY,
     last_lt text NOT NULL,
     last_hash text NOT NULL,
     updated_at timestamptz NOT NULL DEFAULT clock_timestamp()
   )`,
  // Stars subscriptions: the first charge pays the subscription's own payment; every renewal is a
  // payment of its own (a charge = a ledger row), pointing at the subscription's first payment.
  `ALTER TABLE payments ADD COLUMN subscription_period integer;
   ALTER TABLE payments ADD COLUMN subscription_expires_at timestamptz;
   ALTER TABLE payments ADD COLUMN renewal_of text REFERENCES payments (id)`,
  `ALTER TABLE payments ADD COLUMN subscription_canceled_at timestamptz`,
  // Partial refunds (Stripe): the amount refunded so far; the status becomes REFUNDED only when all
  // of it is. Refunds recorded before this column were full ones. The partial index serves the
  // per-user count of PENDING invoices that createInvoice checks.
  `ALTER TABLE payments ADD COLUMN refunded_amount bigint NOT NULL DEFAULT 0 CHECK (refunded_amount >= 0);
   UPDATE payments SET refunded_amount = amount WHERE status = 'REFUNDED';
   CREATE INDEX payments_pending_by_user ON payments (user_id) WHERE status = 'PENDING'`,
  // Resilience (issue 8): webhook events back off per event and become dead letters after a bounded
  // number of attempts; the TON watcher saves an unfinished walk-back and leases its cursor row.
  `ALTER TABLE inbox ADD COLUMN next_attempt_at timestamptz NOT NULL DEFAULT clock_timestamp();
   ALTER TABLE inbox ADD COLUMN dead_at timestamptz;
   CREATE INDEX inbox_due ON inbox (next_attempt_at) WHERE processed_at IS NULL AND dead_at IS NULL;
   ALTER TABLE ton_cursor ADD COLUMN scan_head_lt text;
   ALTER TABLE ton_cursor ADD COLUMN scan_head_hash text;
   ALTER TABLE ton_cursor ADD COLUMN scan_next_lt text;
   ALTER TABLE ton_cursor ADD COLUMN scan_next_hash text;
   ALTER TABLE ton_cursor ADD COLUMN lease_owner text;
   ALTER TABLE ton_cursor ADD COLUMN lease_until timestamptz`,
  // Live updates (subscriptions): the database announces every change a client can see (a new
  // payment, a status change, a cancelled subscription) on PAYMENT_CHANGES_CHANNEL. A trigger, not
  // application code, so every writer (webhooks, refunds, the TON watcher, any replica) is covered,
  // and NOTIFY is delivered only when the transaction commits. `updated_at` lets a reconnecting
  // client ask for what changed while it was away. (Function bodies stay on one line: see splitStatements.)
  `ALTER TABLE payments ADD COLUMN updated_at timestamptz NOT NULL DEFAULT clock_timestamp();
   CREATE INDEX payments_changed ON payments (user_id, updated_at);
   CREATE FUNCTION payments_touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.updated_at := clock_timestamp(); RETURN NEW; END $$;
   CREATE FUNCTION payments_announce() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_notify('payment_changes', json_build_object('id', NEW.id, 'userId', NEW.user_id)::text); RETURN NULL; END $$;
   CREATE TRIGGER payments_touch BEFORE UPDATE ON payments FOR EACH ROW
     WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.subscription_canceled_at IS DISTINCT FROM NEW.subscription_canceled_at)
     EXECUTE FUNCTION payments_touch();
   CREATE TRIGGER payments_announce_insert AFTER INSERT ON payments FOR EACH ROW EXECUTE FUNCTION payments_announce();
   CREATE TRIGGER payments_announce_update AFTER UPDATE ON payments FOR EACH ROW
     WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.subscription_canceled_at IS DISTINCT FROM NEW.subscription_canceled_at)
     EXECUTE FUNCTION payments_announce()`,
];

/** The NOTIFY channel of migration 7: payload `{"id": "...", "userId": "..."}`. */
export const PAYMENT_CHANGES_CHANNEL = 'payment_changes';

const COLUMNS = `id, user_id, product_id, provider, status, amount::text AS amount, currency, idempotency_key, external_id, invoice,
  to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS created_at,
  to_char(paid_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS paid_at,
  to_char(refunded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS refunded_at,
  telegram_payment_charge_id, ton_comment, subscription_period,
  to_char(subscription_expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS subscription_expires_at, renewal_of,
  to_char(subscription_canceled_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS subscription_canceled_at,
  refunded_amount::text AS refunded_amount,
  to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS updated_at`;
export const PAYMENT_COLUMNS = COLUMNS;

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
  refunded_at: string | null;
  telegram_payment_charge_id: string | null;
  ton_comment: string | null;
  subscription_period: number | null;
  subscription_expires_at: string | null;
  renewal_of: string | null;
  subscription_canceled_at: string | null;
  refunded_amount: string;
  updated_at: string;
}
export type PaymentRow = Row;

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
    refundedAt: r.refunded_at,
    telegramChargeId: r.telegram_payment_charge_id,
    tonComment: r.ton_comment,
    subscriptionPeriod: r.subscription_period === null ? null : Number(r.subscription_period),
    subscriptionExpiresAt: r.subscription_expires_at,
    renewalOf: r.renewal_of,
    subscriptionCanceledAt: r.subscription_canceled_at,
    refundedAmount: BigInt(r.refunded_amount),
    updatedAt: r.updated_at,
  };
}

/** Reads one payment and locks its row until the transaction ends. */
export async function lockPayment(tx: Queryable, where: string, params: unknown[]): Promise<PaymentRecord | undefined> {
  const rows = await tx.query<Row>(`SELECT ${COLUMNS} FROM payments WHERE ${where} FOR UPDATE`, params);
  return rows[0] ? toPayment(rows[0]) : undefined;
}

/** The cursor position of a payment in a user's newest-first list. */
export const positionOf = (p: PaymentRecord) => `${p.createdAt}|${p.id}`;

export interface NewPayment {
  id: string;
  userId: string;
  productId: string;
  provider: PaymentProvider;
  amount: bigint;
  currency: string;
  idempotencyKey: string;
  tonComment?: string | null;
  invoice?: Record<string, unknown> | null;
  subscriptionPeriod?: number | null;
}

export function createLedger(db: Database) {
  return {
    db,
    /**
     * Insert-first idempotency: the row is created only if this user has not used the key yet.
     * Returns the row and whether this call created it; concurrent callers with one key get one row.
     * A new row is refused (`limited`) when the user already holds `maxPending` PENDING payments; a
     * repeat of a key already used is answered whatever the count.
     */
    async insertOrGet(p: NewPayment, maxPending: number): Promise<{ payment: PaymentRecord; created: boolean } | { limited: true }> {
      const byKey = async (q: Queryable) => {
        const rows = await q.query<Row>(`SELECT ${COLUMNS} FROM payments WHERE user_id = $1 AND idempotency_key = $2`, [
          p.userId,
          p.idempotencyKey,
        ]);
        return rows[0] ? toPayment(rows[0]) : undefined;
      };
      const repeated = await byKey(db);
      if (repeated) return { payment: repeated, created: false };
      return db.transaction(async (tx) => {
        // One new invoice per user at a time (released at commit), so parallel requests cannot
        // all count the same total and overshoot the cap together.
        await tx.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`payments.pending:${p.userId}`]);
        const raced = await byKey(tx);
        if (raced) return { payment: raced, created: false };
        const [count] = await tx.query<{ pending: number }>(
          `SELECT count(*)::int AS pending FROM payments WHERE user_id = $1 AND status = 'PENDING'`,
          [p.userId],
        );
        if ((count?.pending ?? 0) >= maxPending) return { limited: true as const };
        const inserted = await tx.query<Row>(
          `INSERT INTO payments (id, user_id, product_id, provider, status, amount, currency, idempotency_key, ton_comment, invoice, subscription_period)
           VALUES ($1, $2, $3, $4, 'PENDING', $5::bigint, $6, $7, $8, $9::jsonb, $10)
           ON CONFLICT (user_id, idempotency_key) DO NOTHING
           RETURNING ${COLUMNS}`,
          [
            p.id,
            p.userId,
            p.productId,
            p.provider,
            p.amount.toString(),
            p.currency,
            p.idempotencyKey,
            p.tonComment ?? null,
            p.invoice ? JSON.stringify(p.invoice) : null,
            p.subscriptionPeriod ?? null,
          ],
        );
        if (inserted[0]) return { payment: toPayment(inserted[0]), created: true };
        const existing = await byKey(tx);
        if (!existing) throw new Error('idempotent insert found neither a new nor an existing row');
        return { payment: existing, created: false };
      });
    },
    /** Stores the provider's invoice once; a concurrent writer that lost keeps the first one. */
    async setInvoice(id: string, invoice: Record<string, unknown>, externalId: string | null): Promise<PaymentRecord> {
      const rows = await db.query<Row>(
        `UPDATE payments SET invoice = $2::jsonb, external_id = COALESCE(external_id, $3) WHERE id = $1 AND invoice IS NULL RETURNING ${COLUMNS}`,
        [id, JSON.stringify(invoice), externalId],
      );
      if (rows[0]) return toPayment(rows[0]);
      const [current] = await this.byIds([id]);
      if (!current) throw new Error(`payment ${id} vanished`);
      return current;
    },
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
    /** The user's payments changed after `since` (oldest change first): what a reconnecting client missed. */
    async changedSince(userId: string, since: string, limit: number): Promise<PaymentRecord[]> {
      const rows = await db.query<Row>(
        `SELECT ${COLUMNS} FROM payments WHERE user_id = $1 AND updated_at > $2::timestamptz ORDER BY updated_at, id LIMIT $3`,
        [userId, since, limit],
      );
      return rows.map(toPayment);
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
