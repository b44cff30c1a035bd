/**
 * TON confirmation: a poller that reads the shop wallet's transactions from
 * toncenter (v2 `getTransactions`, newest first, paged by lt + hash) and marks
 * a TON payment PAID when an incoming internal, non-bounced transfer to the
 * wallet carries the payment's comment and at least its amount
 * (EXTERNAL-APIS.md §4.4). The last processed lt + hash is persisted
 * (`ton_cursor`), so a restart resumes where it stopped; a transaction hash can
 * settle at most one payment (unique `ton_tx_hash`).
 */
import type { Logger } from '../../lib/logger.ts';
import type { Database } from '../shared/db.ts';
import type { Toncenter, TonTransaction } from '../shared/connectors/toncenter.ts';
import { PAYMENT_COLUMNS, toPayment, type PaymentRow } from './ledger.ts';

const PAGE = 50;
const MAX_PAGES = 20;

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
  let running: Promise<number> | undefined;
  let closed = false;
  let failures = 0;

  /** Transactions newer than the cursor, oldest first. */
  async function fetchNew(cursor: { lt: bigint; hash: string } | undefined): Promise<TonTransaction[]> {
    const out: TonTransaction[] = [];
    const seen = new Set<string>();
    let from: { lt: string; hash: string } | undefined;
    for (let page = 0; page < MAX_PAGES; page += 1) {
      const batch = await toncenter.getTransactions(options.wallet, {
        limit: PAGE,
        ...(from ? { lt: from.lt, hash: from.hash } : {}),
        ...(cursor ? { toLt: cursor.lt.toString() } : {}),
      });
      let fresh = 0;
      for (const tx of batch) {
        const { lt, hash } = tx.transaction_id;
        if (seen.has(hash) || (cursor && BigInt(lt) <= cursor.lt)) continue;
        seen.add(hash);
        out.push(tx);
        fresh += 1;
      }
      const oldest = batch.at(-1);
      if (batch.length < PAGE || fresh === 0 || !oldest) break;
      from = oldest.transaction_id;
    }
    return out.sort((a, b) => (BigInt(a.transaction_id.lt) < BigInt(b.transaction_id.lt) ? -1 : 1));
  }

  async function settle(tx: TonTransaction): Promise<string> {
    return db.transaction(async (q) => {
      let outcome = 'ignored';
      const msg = tx.in_msg;
      const comment = commentOf(tx);
      // Internal (has a source), to our wallet, with a comment (a bounce carries none).
      if (msg && msg.source && !msg.bounced && normalizeTonAddress(msg.destination) === wallet && comment) {
        const rows = await q.query<PaymentRow>(`SELECT ${PAYMENT_COLUMNS} FROM payments WHERE provider = 'TON' AND ton_comment = $1 FOR UPDATE`, [comment]);
        const payment = rows[0] ? toPayment(rows[0]) : undefined;
        if (!payment) outcome = 'no payment with this comment';
        else if (payment.status !== 'PENDING' && payment.status !== 'FAILED') outcome = `payment ${payment.id} already ${payment.status}`;
        else if (!/^\d+$/.test(msg.value) || BigInt(msg.value) < payment.amount) {
          outcome = `underpaid ${payment.id}`;
          log.warn({ paymentId: payment.id, value: msg.value }, 'TON transfer below the invoice amount: not accepted');
        } else {
          const dup = await q.query(`SELECT 1 FROM payments WHERE ton_tx_hash = $1`, [tx.transaction_id.hash]);
          if (dup.length === 0) {
            await q.query(`UPDATE payments SET status = 'PAID', paid_at = clock_timestamp(), ton_tx_hash = $2, failure_reason = NULL WHERE id = $1`, [
              payment.id,
              tx.transaction_id.hash,
            ]);
            outcome = `paid ${payment.id}`;
            log.info({ paymentId: payment.id, lt: tx.transaction_id.lt }, 'TON payment confirmed');
          } else outcome = 'duplicate transaction';
        }
      }
      await q.query(
        `INSERT INTO ton_cursor (wallet, last_lt, last_hash) VALUES ($1, $2, $3)
         ON CONFLICT (wallet) DO UPDATE SET last_lt = EXCLUDED.last_lt, last_hash = EXCLUDED.last_hash, updated_at = clock_timestamp()`,
        [wallet, tx.transaction_id.lt, tx.transaction_id.hash],
      );
      return outcome;
    });
  }

  async function pollOnce(): Promise<number> {
    const rows = await db.query<{ last_lt: string; last_hash: string }>('SELECT last_lt, last_hash FROM ton_cursor WHERE wallet = $1', [wallet]);
    const cursor = rows[0] ? { lt: BigInt(rows[0].last_lt), hash: rows[0].last_hash } : undefined;
    const txs = await fetchNew(cursor);
    let paid = 0;
    for (const tx of txs) {
      if (closed) break;
      if ((await settle(tx)).startsWith('paid ')) paid += 1;
    }
    return paid;
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
    start(): void {
      if (options.intervalMs <= 0) return;
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
      await running;
    },
  };
}
export type TonWatcher = ReturnType<typeof createTonWatcher>;
