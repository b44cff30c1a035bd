/**
 * TON confirmation: a poller that reads the shop wallet's transactions from
 * toncenter (v2 `getTransactions`, newest first, paged by lt + hash) and marks
 * a TON payment PAID when an incoming internal, non-bounced transfer to the
 * wallet carries the payment's comment and at least its amount
 * (EXTERNAL-APIS.md §4.4). The last processed lt + hash is persisted
 * (`ton_cursor`), so a restart resumes where it stopped; a transaction hash can
 * settle at most one payment (unique `ton_tx_hash`).
 *
 * Never a gap: a poll walks back page by page from the newest transaction to
 * the cursor (or to the creation of the oldest open TON payment, older
 * transfers cannot pay anything) and only then moves the cursor to the
 * newest. A walk longer than one poll allows is saved (`scan_head`,
 * `scan_next`) and continued by the next poll. With several replicas, one
 * holds a short lease on the cursor row at a time; settling is idempotent
 * anyway. A reconcile pass (on start and hourly) walks back to the oldest open
 * payment regardless of the cursor, so a transfer missed while the watcher was
 * down or behind is still settled.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from '../../lib/logger.ts';
import type { Database } from '../shared/db.ts';
import type { Toncenter, TonTransaction } from '../shared/connectors/toncenter.ts';
import { PAYMENT_COLUMNS, toPayment, type PaymentRow } from './ledger.ts';

const PAGE = 50;
/** Pages per poll; a longer walk continues at the next poll (saved in ton_cursor). */
const MAX_PAGES = 20;
/** Pages per reconcile pass (10 000 transactions). */
const MAX_RECONCILE_PAGES = 200;
const RECONCILE_INTERVAL_MS = 60 * 60_000;
/** A transfer's chain time vs our clock: look this much further back than the oldest open payment. */
const CLOCK_MARGIN_SECONDS = 3600;
/** The reconcile pass looks at most this far back (an invoice left open for weeks is not worth a deep walk every hour). */
const RECONCILE_MAX_AGE_SECONDS = 7 * 24 * 3600;
const LEASE_SECONDS = 120;

interface TxId {
  lt: string;
  hash: string;
}

/** Raw `wc:hex` form of a raw or user-friendly address; undefined when it is neither. */
export function normalizeTonAddress(input: string | undefined): string | undefined {
  if (!input) return undefined;
  const raw = /^(-?\d+):([0-9a-fA-F]{64})$/.exec(input.trim());
  if (raw) return `${Number(raw[1])}:${raw[2]!.toLowerCase()}`;
  if (!/^[A-Za-z0-9+/_-]{48}$/.test(input)) return undefined;
  const bytes = Buffer.from(input.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  if (bytes.length !== 36) return undefined;
  return `${bytes.readInt8(1)}:${bytes.subarray(2, 34).toString('hex')}`;
}

function commentOf(tx: TonTransaction): string {
  const msg = tx.in_msg;
  if (!msg) return '';
  if (msg.message) return msg.message;
  if (msg.msg_data?.['@type'] === 'msg.dataText' && msg.msg_data.text) return Buffer.from(msg.msg_data.text, 'base64').toString('utf8');
  return '';
}

export function createTonWatcher(options: { db: Database; toncenter: Toncenter; wallet: string; intervalMs: number; log: Logger }) {
  const { db, toncenter, log } = options;
  const wallet = normalizeTonAddress(options.wallet) ?? options.wallet;
  let timer: NodeJS.Timeout | undefined;
  let reconcileTimer: NodeJS.Timeout | undefined;
  let running: Promise<number> | undefined;
  let closed = false;
  let failures = 0;

  /**
   * Walks back from `start` (newest when undefined), settling every transaction newer than
   * `stopLt` and not older than `floorUtime`, at most `maxPages` pages. `done` when it reached
   * the stop; otherwise `next` is where to continue.
   */
  async function walk(
    start: TxId | undefined,
    stopLt: bigint,
    floorUtime: number,
    maxPages: number,
    onPage?: (next: TxId, head: TxId) => Promise<void>,
  ): Promise<{ head: TxId | undefined; next: TxId | undefined; done: boolean; paid: number }> {
    let from = start;
    let head: TxId | undefined;
    let paid = 0;
    const seen = new Set<string>();
    for (let page = 0; page < maxPages && !closed; page += 1) {
      const batch = await toncenter.getTransactions(options.wallet, {
        limit: PAGE,
        ...(from ? { lt: from.lt, hash: from.hash } : {}),
        ...(stopLt > 0n ? { toLt: stopLt.toString() } : {}),
      });
      head ??= batch[0]?.transaction_id;
      let reached = batch.length < PAGE;
      for (const tx of batch) {
        const { lt, hash } = tx.transaction_id;
        if (BigInt(lt) <= stopLt || tx.utime < floorUtime) {
          reached = true;
          continue;
        }
        if (seen.has(hash)) continue;
        seen.add(hash);
        if ((await settle(tx)).startsWith('paid ')) paid += 1;
      }
      const oldest = batch.at(-1)?.transaction_id;
      if (reached || !oldest || (from && oldest.hash === from.hash)) return { head, next: undefined, done: true, paid };
      from = { lt: oldest.lt, hash: oldest.hash };
      if (onPage && head) await onPage(from, head);
    }
    return { head, next: from, done: false, paid };
  }

  /** Chain time before which no transfer can pay an open (PENDING / FAILED) TON payment. */
  async function openPaymentsFloor(): Promise<number> {
    const rows = await db.query<{ oldest: number | null }>(
      `SELECT extract(epoch FROM min(created_at))::bigint AS oldest FROM payments WHERE provider = 'TON' AND status IN ('PENDING', 'FAILED')`,
    );
    const oldest = rows[0]?.oldest;
    // Nothing open: nothing to look for; the walk only finds the newest transaction for the cursor.
    return (oldest === null || oldest === undefined ? Math.floor(Date.now() / 1000) : Number(oldest)) - CLOCK_MARGIN_SECONDS;
  }

  async function settle(tx: TonTransaction): Promise<string> {
    return db.transaction(async (q) => {
      let outcome = 'ignored';
      const msg = tx.in_msg;
      const comment = commentOf(tx);
      // Internal (has a source), to our wallet, with a comment (a bounce carries none).
      if (msg && msg.source && !msg.bounced && normalizeTonAddress(msg.destination) === wallet && comment) {
        const rows = await q.query<PaymentRow>(
          `SELECT ${PAYMENT_COLUMNS} FROM payments WHERE provider = 'TON' AND ton_comment = $1 FOR UPDATE`,
          [comment],
        );
        const payment = rows[0] ? toPayment(rows[0]) : undefined;
        if (!payment) outcome = 'no payment with this comment';
        else if (payment.status !== 'PENDING' && payment.status !== 'FAILED') outcome = `payment ${payment.id} already ${payment.status}`;
        else if (!/^\d+$/.test(msg.value) || BigInt(msg.value) < payment.amount) {
          outcome = `underpaid ${payment.id}`;
          log.warn({ paymentId: payment.id, value: msg.value }, 'TON transfer below the invoice amount: not accepted');
        } else {
          const dup = await q.query(`SELECT 1 FROM payments WHERE ton_tx_hash = $1`, [tx.transaction_id.hash]);
          if (dup.length === 0) {
            await q.query(
              `UPDATE payments SET status = 'PAID', paid_at = clock_timestamp(), ton_tx_hash = $2, failure_reason = NULL WHERE id = $1`,
              [payment.id, tx.transaction_id.hash],
            );
            outcome = `paid ${payment.id}`;
            log.info({ paymentId: payment.id, lt: tx.transaction_id.lt }, 'TON payment confirmed');
          } else outcome = 'duplicate transaction';
        }
      }
      return outcome;
    });
  }

  const owner = randomUUID();

  async function pollOnce(): Promise<number> {
    // One replica walks at a time: take the lease on the cursor row (or skip this poll).
    await db.query(`INSERT INTO ton_cursor (wallet, last_lt, last_hash) VALUES ($1, '0', '') ON CONFLICT (wallet) DO NOTHING`, [wallet]);
    const leased = await db.query<{
      last_lt: string;
      scan_head_lt: string | null;
      scan_head_hash: string | null;
      scan_next_lt: string | null;
      scan_next_hash: string | null;
    }>(
      `UPDATE ton_cursor SET lease_owner = $2, lease_until = clock_timestamp() + ($3::int * interval '1 second')
       WHERE wallet = $1 AND (lease_until IS NULL OR lease_until < clock_timestamp() OR lease_owner = $2)
       RETURNING last_lt, scan_head_lt, scan_head_hash, scan_next_lt, scan_next_hash`,
      [wallet, owner, LEASE_SECONDS],
    );
    const state = leased[0];
    if (!state) return 0;
    try {
      const savedHead = state.scan_head_lt && state.scan_head_hash ? { lt: state.scan_head_lt, hash: state.scan_head_hash } : undefined;
      const savedNext = state.scan_next_lt && state.scan_next_hash ? { lt: state.scan_next_lt, hash: state.scan_next_hash } : undefined;
      const start = savedHead ? savedNext : undefined;
      const saveProgress = async (next: TxId, head: TxId) => {
        await db.query(
          `UPDATE ton_cursor SET scan_head_lt = $2, scan_head_hash = $3, scan_next_lt = $4, scan_next_hash = $5 WHERE wallet = $1 AND lease_owner = $6`,
          [wallet, (savedHead ?? head).lt, (savedHead ?? head).hash, next.lt, next.hash, owner],
        );
      };
      const result = await walk(start, BigInt(state.last_lt), await openPaymentsFloor(), MAX_PAGES, saveProgress);
      const head = savedHead ?? result.head;
      if (result.done && head) {
        // Everything between the cursor and `head` was seen: only now the cursor moves.
        await db.query(
          `UPDATE ton_cursor SET last_lt = $2, last_hash = $3, updated_at = clock_timestamp(),
             scan_head_lt = NULL, scan_head_hash = NULL, scan_next_lt = NULL, scan_next_hash = NULL
           WHERE wallet = $1 AND lease_owner = $4`,
          [wallet, head.lt, head.hash, owner],
        );
      } else if (!result.done) {
        log.info({ next: result.next?.lt }, 'TON walk-back continues at the next poll');
      }
      return result.paid;
    } finally {
      await db.query(`UPDATE ton_cursor SET lease_until = NULL WHERE wallet = $1 AND lease_owner = $2`, [wallet, owner]).catch(() => {});
    }
  }

  /** Settles open TON payments whose transfer is anywhere back to the oldest open payment, cursor or not. */
  async function reconcileOnce(): Promise<number> {
    const floor = Math.max(await openPaymentsFloor(), Math.floor(Date.now() / 1000) - RECONCILE_MAX_AGE_SECONDS);
    const result = await walk(undefined, 0n, floor, MAX_RECONCILE_PAGES);
    if (result.paid > 0) log.warn({ paid: result.paid }, 'TON reconcile settled payments the watcher had missed');
    return result.paid;
  }

  return {
    /** One poll now (also what the timer runs); concurrent calls share one run. */
    poll(): Promise<number> {
      running ??= pollOnce()
        .then((paid) => {
          failures = 0;
          return paid;
        })
        .catch((error: unknown) => {
          // One line per outage (and a reminder every 50 polls), not one per poll.
          if (failures++ % 50 === 0 && !closed) {
            log.warn({ err: error instanceof Error ? { name: error.name, message: error.message } : error, failures }, 'TON poll failed');
          }
          return 0;
        })
        .finally(() => {
          running = undefined;
        });
      return running;
    },
    /** One reconcile pass now (also on start and hourly). */
    reconcile(): Promise<number> {
      return reconcileOnce().catch((error: unknown) => {
        if (!closed)
          log.warn({ err: error instanceof Error ? { name: error.name, message: error.message } : error }, 'TON reconcile failed');
        return 0;
      });
    },
    start(): void {
      if (options.intervalMs <= 0) return;
      void this.reconcile();
      reconcileTimer = setInterval(() => void this.reconcile(), RECONCILE_INTERVAL_MS).unref();
      const tick = () => {
        if (closed) return;
        void this.poll().finally(() => {
          if (!closed) timer = setTimeout(tick, options.intervalMs).unref();
        });
      };
      timer = setTimeout(tick, 0).unref();
    },
    async close(): Promise<void> {
      closed = true;
      if (timer) clearTimeout(timer);
      if (reconcileTimer) clearInterval(reconcileTimer);
      await running;
    },
  };
}
export type TonWatcher = ReturnType<typeof createTonWatcher>;
