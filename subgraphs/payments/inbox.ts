/**
 * The webhook inbox: provider events (Telegram updates, Stripe events) handed
 * over by the gateway after it verified them. An event is stored durably
 * (unique per source + event id) before it is acknowledged, then processed in
 * its own transaction; a stored event that was not processed (crash, error)
 * is picked up again by the recovery sweep, on start and periodically.
 *
 * A failing event backs off on its own (next_attempt_at, exponential) and after
 * `maxAttempts` becomes a dead letter (`dead_at` set): kept for an operator,
 * counted in the metrics, never retried by itself. The sweep takes due events
 * only, so old failures never starve newer events. Replicas share the work
 * through row locks (`FOR UPDATE SKIP LOCKED`): an event is processed once.
 *
 * De-duplication happens at three levels: the inbox key (Telegram `update_id`,
 * Stripe event id), the state machine (only PENDING/FAILED become PAID), and
 * unique constraints on the charge identifiers (`telegram_payment_charge_id`,
 * Stripe PaymentIntent id, TON transaction hash). A Stripe event changes the
 * ledger only as far as Stripe's own objects confirm it (stripeEvents.ts).
 */
import type { Logger } from '../../lib/logger.ts';
import type { Database, Queryable } from '../shared/db.ts';
import { BotApiError, type BotApi } from '../shared/connectors/telegramBotApi.ts';
import type { Stripe } from '../shared/connectors/stripe.ts';
import { lockPayment, PAYMENT_COLUMNS, toPayment, type PaymentRow } from './ledger.ts';
import { newPaymentId } from './invoices.ts';
import { claimOf, createStripeEvents, type StripeEvent, type StripeTruth } from './stripeEvents.ts';

export type { StripeEvent } from './stripeEvents.ts';
import { durableWork } from '../shared/metrics.ts';

export type InboxSource = 'telegram' | 'stripe';

interface TgUser {
  id: number;
}
interface SuccessfulPayment {
  currency: string;
  total_amount: number;
  invoice_payload: string;
  telegram_payment_charge_id: string;
  provider_payment_charge_id?: string;
  is_recurring?: boolean;
  is_first_recurring?: boolean;
  /** Unix seconds: end of the subscription period this charge paid for. */
  subscription_expiration_date?: number;
}
interface RefundedPayment {
  currency: string;
  total_amount: number;
  invoice_payload: string;
  telegram_payment_charge_id: string;
}
interface PreCheckoutQuery {
  id: string;
  from: TgUser;
  currency: string;
  total_amount: number;
  invoice_payload: string;
}
export interface TelegramUpdate {
  update_id: number;
  pre_checkout_query?: PreCheckoutQuery;
  message?: { from?: TgUser; successful_payment?: SuccessfulPayment; refunded_payment?: RefundedPayment };
}
export interface InboxOptions {
  db: Database;
  bot: BotApi;
  /** Stripe events are checked against Stripe before they change the ledger. */
  stripe: Stripe;
  log: Logger;
  /** How long answering a pre-checkout query may take (Telegram allows 10 s in all). */
  preCheckoutTimeoutMs?: number;
  /** Test hook (PAYMENTS_TEST_CRASH_AFTER_STORE): die right after acknowledging a stored event. */
  crashAfterStore?: boolean;
  sweepIntervalMs?: number;
  /** Attempts before an event becomes a dead letter (default 10). */
  maxAttempts?: number;
  /** First retry delay, doubled per attempt up to `maxRetryDelayMs` (defaults 5 s and 10 min). */
  retryDelayMs?: number;
  maxRetryDelayMs?: number;
}

export interface WebhookDeadLetterRow {
  source: InboxSource;
  eventId: string;
  kind: string;
  attempts: number;
  /** As stored: may name addresses; the GraphQL resolver cleans it. */
  lastError: string | null;
  receivedAt: string;
  deadLetteredAt: string;
}

export interface RouteResult {
  status: number;
  body: unknown;
}

/** jsonb comes back parsed from PostgreSQL and as text from some drivers. */
const parsePayload = (payload: unknown): unknown => (typeof payload === 'string' ? JSON.parse(payload) : payload);

/** Why a pre-checkout must be refused, or undefined when the payment may go ahead. */
export async function preCheckoutRefusal(db: Queryable, query: PreCheckoutQuery): Promise<string | undefined> {
  const rows = await db.query<PaymentRow>(`SELECT ${PAYMENT_COLUMNS} FROM payments WHERE id = $1`, [query.invoice_payload]);
  const payment = rows[0] ? toPayment(rows[0]) : undefined;
  if (!payment || payment.userId !== String(query.from?.id)) return 'This order does not exist. Please start the purchase again.';
  if (payment.provider !== 'STARS') return 'This order is not payable with Telegram Stars.';
  if (payment.status === 'PAID' || payment.status === 'REFUNDED') return 'This order has already been paid.';
  if (payment.status !== 'PENDING') return 'This order can no longer be paid. Please start the purchase again.';
  if (query.currency !== payment.currency || BigInt(query.total_amount) !== payment.amount) {
    return 'The price of this order changed. Please start the purchase again.';
  }
  return undefined;
}

export function createInbox(options: InboxOptions) {
  const { db, bot, log } = options;
  const stripeEvents = createStripeEvents({ stripe: options.stripe, log });
  const preCheckoutTimeoutMs = options.preCheckoutTimeoutMs ?? 5_000;
  const maxAttempts = options.maxAttempts ?? 10;
  const retryDelayMs = options.retryDelayMs ?? 5_000;
  const maxRetryDelayMs = options.maxRetryDelayMs ?? 600_000;
  let sweeping: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  /** Stores an event once. `processed` is true when an earlier delivery already completed it. */
  async function store(
    source: InboxSource,
    eventId: string,
    kind: string,
    payload: unknown,
  ): Promise<{ fresh: boolean; processed: boolean }> {
    const inserted = await db.query<{ event_id: string }>(
      `INSERT INTO inbox (source, event_id, kind, payload) VALUES ($1, $2, $3, $4::jsonb)
       ON CONFLICT (source, event_id) DO NOTHING RETURNING event_id`,
      [source, eventId, kind, JSON.stringify(payload)],
    );
    if (inserted.length > 0) return { fresh: true, processed: false };
    const rows = await db.query<{ processed: boolean }>(
      'SELECT processed_at IS NOT NULL AS processed FROM inbox WHERE source = $1 AND event_id = $2',
      [source, eventId],
    );
    return { fresh: false, processed: rows[0]?.processed ?? false };
  }

  /**
   * What Stripe says about the objects a stored, unprocessed Stripe event names; read before the
   * transaction, so no row lock waits on Stripe. Undefined when there is nothing to read: not an
   * event we act on, or about a PaymentIntent the ledger does not have (no Stripe call for those).
   */
  async function readStripeTruth(eventId: string): Promise<StripeTruth | undefined> {
    const rows = await db.query<{ payload: unknown }>(
      `SELECT payload FROM inbox WHERE source = 'stripe' AND event_id = $1 AND processed_at IS NULL`,
      [eventId],
    );
    if (!rows[0]) return undefined;
    const claim = claimOf(parsePayload(rows[0].payload) as StripeEvent);
    if (!claim) return undefined;
    const ours = await db.query(`SELECT 1 FROM payments WHERE provider = 'STRIPE' AND external_id = $1`, [claim.intentId]);
    return ours.length > 0 ? stripeEvents.readBack(claim) : undefined;
  }

  /** Applies one stored event in a transaction that also marks it processed (at most once). */
  async function processStored(source: InboxSource, eventId: string): Promise<string | undefined> {
    try {
      // Stripe unreachable: this throws, the event stays unprocessed and the sweep retries it.
      const stripeTruth = source === 'stripe' ? await readStripeTruth(eventId) : undefined;
      return await db.transaction(async (tx) => {
        const rows = await tx.query<{ kind: string; payload: unknown }>(
          // SKIP LOCKED: another replica (or the sweep) is on it right now; it will finish it.
          'SELECT kind, payload FROM inbox WHERE source = $1 AND event_id = $2 AND processed_at IS NULL AND dead_at IS NULL FOR UPDATE SKIP LOCKED',
          [source, eventId],
        );
        const row = rows[0];
        if (!row) return undefined; // done by someone else meanwhile
        const payload = parsePayload(row.payload);
        const outcome =
          source === 'telegram'
            ? await applyTelegram(tx, payload as TelegramUpdate)
            : await applyStripe(tx, payload as StripeEvent, stripeTruth);
        await tx.query(
          'UPDATE inbox SET processed_at = clock_timestamp(), outcome = $3, attempts = attempts + 1 WHERE source = $1 AND event_id = $2',
          [source, eventId, outcome],
        );
        log.info({ source, eventId, kind: row.kind, outcome }, 'webhook event processed');
        return outcome;
      });
    } catch (error) {
      const reason = error instanceof Error ? error.message.slice(0, 500) : 'error';
      // Per-event backoff (delay doubles per attempt, with jitter); a dead letter after maxAttempts.
      const failed = await db
        .query<{ attempts: number; dead: boolean }>(
          `UPDATE inbox SET attempts = attempts + 1, last_error = $3,
             next_attempt_at = clock_timestamp() + (LEAST($4::float8 * power(2, attempts), $5::float8) * (0.8 + random() * 0.4)) * interval '1 millisecond',
             dead_at = CASE WHEN attempts + 1 >= $6 THEN clock_timestamp() END
           WHERE source = $1 AND event_id = $2 AND processed_at IS NULL RETURNING attempts, dead_at IS NOT NULL AS dead`,
          [source, eventId, reason, retryDelayMs, maxRetryDelayMs, maxAttempts],
        )
        .catch(() => []);
      const row = failed[0];
      if (row?.dead)
        log.error({ source, eventId, attempts: row.attempts, reason }, 'webhook event is a dead letter: an operator must look at it');
      else log.warn({ source, eventId, attempts: row?.attempts, reason }, 'webhook event processing failed; will retry');
      return undefined;
    }
  }

  async function applyTelegram(tx: Queryable, update: TelegramUpdate): Promise<string> {
    const paid = update.message?.successful_payment;
    if (paid) {
      const byCharge = await lockPayment(tx, 'telegram_payment_charge_id = $1', [paid.telegram_payment_charge_id]);
      if (byCharge) return `duplicate charge for ${byCharge.id}`;
      const payment = await lockPayment(tx, 'id = $1', [paid.invoice_payload]);
      if (!payment) {
        log.error({ payload: paid.invoice_payload }, 'successful_payment for an unknown payment: reconcile by hand');
        return 'unknown payment';
      }
      const from = update.message?.from?.id;
      if (
        payment.provider !== 'STARS' ||
        (from !== undefined && String(from) !== payment.userId) ||
        paid.currency !== payment.currency ||
        BigInt(paid.total_amount) !== payment.amount
      ) {
        log.error({ paymentId: payment.id }, 'successful_payment does not match the payment: reconcile by hand');
        return 'mismatch';
      }
      if (payment.telegramChargeId === paid.telegram_payment_charge_id) return `duplicate charge for ${payment.id}`;
      const expiresAt = paid.subscription_expiration_date ?? null;
      if (
        (payment.status === 'PAID' || payment.status === 'REFUNDED') &&
        payment.subscriptionPeriod !== null &&
        paid.is_recurring &&
        !paid.is_first_recurring
      ) {
        // A subscription renewal: Telegram charged the next period. Each charge is a ledger row of its own
        // (refundable on its own); the unique charge id keeps a redelivered renewal from counting twice.
        const renewalId = newPaymentId();
        await tx.query(
          `INSERT INTO payments (id, user_id, product_id, provider, status, amount, currency, idempotency_key, invoice,
             subscription_period, subscription_expires_at, renewal_of, telegram_payment_charge_id, external_id, paid_at)
           SELECT $1, user_id, product_id, provider, 'PAID', amount, currency, 'renewal:' || $2, invoice,
             subscription_period, to_timestamp($3), id, $2, $4, clock_timestamp()
           FROM payments WHERE id = $5`,
          [renewalId, paid.telegram_payment_charge_id, expiresAt, paid.provider_payment_charge_id || null, payment.id],
        );
        return `renewal ${renewalId} of ${payment.id}`;
      }
      if (payment.status === 'PAID' || payment.status === 'REFUNDED') {
        // A second charge for one order: Telegram took money twice. Keep the ledger as is, flag it loudly.
        log.error({ paymentId: payment.id }, 'second successful_payment for an already paid payment: refund by hand');
        return `second charge for ${payment.id}`;
      }
      await tx.query(
        `UPDATE payments SET status = 'PAID', paid_at = clock_timestamp(), telegram_payment_charge_id = $2, external_id = COALESCE(external_id, $3), failure_reason = NULL,
           subscription_expires_at = CASE WHEN subscription_period IS NULL THEN NULL ELSE to_timestamp($4) END
         WHERE id = $1`,
        [payment.id, paid.telegram_payment_charge_id, paid.provider_payment_charge_id || null, expiresAt],
      );
      return `paid ${payment.id}`;
    }
    const refunded = update.message?.refunded_payment;
    if (refunded) {
      const payment = await lockPayment(tx, 'telegram_payment_charge_id = $1', [refunded.telegram_payment_charge_id]);
      if (!payment) return 'refund of an unknown charge';
      if (payment.status === 'REFUNDED') return `already refunded ${payment.id}`;
      // Telegram refunds a Stars charge whole.
      await tx.query(`UPDATE payments SET status = 'REFUNDED', refunded_at = clock_timestamp(), refunded_amount = amount WHERE id = $1`, [
        payment.id,
      ]);
      return `refunded ${payment.id}`;
    }
    return 'ignored';
  }

  async function applyStripe(tx: Queryable, event: StripeEvent, truth: StripeTruth | undefined): Promise<string> {
    const claim = claimOf(event);
    return claim ? stripeEvents.apply(tx, claim, truth) : 'ignored';
  }

  function crashIfAsked(): void {
    if (!options.crashAfterStore) return;
    log.warn('PAYMENTS_TEST_CRASH_AFTER_STORE: dying after acknowledging a stored event (test hook)');
    // After the 200 has been written: the event is acknowledged and stored, but not processed.
    setTimeout(() => process.kill(process.pid, 'SIGKILL'), 30);
  }

  async function answerPreCheckout(query: PreCheckoutQuery): Promise<{ ok: boolean; reason?: string; ms: number }> {
    const started = performance.now();
    let reason: string | undefined;
    try {
      reason = await preCheckoutRefusal(db, query);
    } catch (error) {
      log.error({ err: error }, 'pre-checkout validation failed');
      reason = 'The order could not be checked right now. Please try again.';
    }
    const params =
      reason === undefined
        ? { pre_checkout_query_id: query.id, ok: true }
        : { pre_checkout_query_id: query.id, ok: false, error_message: reason };
    await Promise.race([
      bot.call<boolean>('answerPreCheckoutQuery', params),
      new Promise((_, reject) => setTimeout(() => reject(new Error('answerPreCheckoutQuery timed out')), preCheckoutTimeoutMs).unref()),
    ]).catch((error: unknown) => {
      const detail = error instanceof BotApiError ? error.description : error instanceof Error ? error.message : 'error';
      log.warn({ queryId: query.id, detail }, 'answerPreCheckoutQuery failed');
    });
    const ms = Math.round(performance.now() - started);
    log.info({ paymentId: query.invoice_payload, ok: reason === undefined, ms }, 'pre-checkout answered');
    return reason === undefined ? { ok: true, ms } : { ok: false, reason, ms };
  }

  async function sweep(): Promise<void> {
    if (closed) return;
    sweeping ??= (async () => {
      // Due events only: a failing event waits for its own next attempt, so it never blocks newer ones.
      // (A second old, the inline processing of a just-stored event is not raced.)
      const rows = await db.query<{ source: InboxSource; event_id: string }>(
        `SELECT source, event_id FROM inbox
         WHERE processed_at IS NULL AND dead_at IS NULL AND next_attempt_at <= clock_timestamp() AND received_at < clock_timestamp() - interval '1 second'
         ORDER BY next_attempt_at LIMIT 100`,
      );
      for (const row of rows) {
        if (closed) break;
        await processStored(row.source, row.event_id);
      }
      if (rows.length > 0) log.info({ events: rows.length }, 'recovered stored webhook events');
      await refreshGauges();
    })()
      .catch((error: unknown) => log.error({ err: error }, 'inbox sweep failed'))
      .finally(() => {
        sweeping = undefined;
      });
    return sweeping;
  }

  /** The newest dead letters, for operators (the `webhookDeadLetters` query). */
  async function deadLetters(limit: number): Promise<WebhookDeadLetterRow[]> {
    const rows = await db.query<{
      source: InboxSource;
      event_id: string;
      kind: string;
      attempts: number;
      last_error: string | null;
      received_at: Date | string;
      dead_at: Date | string;
    }>(
      `SELECT source, event_id, kind, attempts, last_error, received_at, dead_at FROM inbox
       WHERE dead_at IS NOT NULL AND processed_at IS NULL ORDER BY dead_at DESC, event_id LIMIT $1`,
      [limit],
    );
    return rows.map((r) => ({
      source: r.source,
      eventId: r.event_id,
      kind: r.kind,
      attempts: Number(r.attempts),
      lastError: r.last_error,
      receivedAt: new Date(r.received_at).toISOString(),
      deadLetteredAt: new Date(r.dead_at).toISOString(),
    }));
  }

  /** Unprocessed events by state, for operators: pending (first try due), retrying, dead. */
  async function counts(): Promise<{ pending: number; retrying: number; dead: number }> {
    const [row] = await db.query<{ pending: number; retrying: number; dead: number }>(
      `SELECT count(*) FILTER (WHERE dead_at IS NULL AND attempts = 0)::int AS pending,
              count(*) FILTER (WHERE dead_at IS NULL AND attempts > 0)::int AS retrying,
              count(*) FILTER (WHERE dead_at IS NOT NULL)::int AS dead
       FROM inbox WHERE processed_at IS NULL`,
    );
    return { pending: Number(row?.pending ?? 0), retrying: Number(row?.retrying ?? 0), dead: Number(row?.dead ?? 0) };
  }

  async function refreshGauges(): Promise<void> {
    const c = await counts();
    for (const [state, value] of Object.entries(c)) durableWork.set({ queue: 'webhook_inbox', state }, value);
  }

  return {
    /** Telegram update from the gateway (secret token already verified). */
    async telegram(update: TelegramUpdate): Promise<RouteResult> {
      if (!update || !Number.isSafeInteger(update.update_id)) return { status: 400, body: { error: 'update_id missing' } };
      const eventId = String(update.update_id);
      const query = update.pre_checkout_query;
      if (query) {
        // Answered synchronously, within Telegram's 10 s; stored for de-duplication and the record.
        const { fresh, processed } = await store('telegram', eventId, 'pre_checkout_query', update);
        if (!fresh && processed) return { status: 200, body: { duplicate: true } };
        const answer = await answerPreCheckout(query);
        await db.query(
          `UPDATE inbox SET processed_at = clock_timestamp(), outcome = $2, attempts = attempts + 1 WHERE source = 'telegram' AND event_id = $1`,
          [eventId, answer.ok ? 'pre-checkout ok' : `pre-checkout refused: ${answer.reason}`],
        );
        return { status: 200, body: { preCheckout: answer } };
      }
      const message = update.message;
      const kind = message?.successful_payment ? 'successful_payment' : message?.refunded_payment ? 'refunded_payment' : undefined;
      if (!kind) return { status: 200, body: { ignored: true } }; // not a payments update: nothing to keep
      const { fresh, processed } = await store('telegram', eventId, kind, update);
      if (processed) return { status: 200, body: { duplicate: true } };
      if (options.crashAfterStore) {
        crashIfAsked();
        return { status: 200, body: { stored: true } };
      }
      const outcome = await processStored('telegram', eventId);
      return { status: 200, body: { stored: true, fresh, outcome: outcome ?? null } };
    },

    /** Stripe event from the gateway (signature already verified). */
    async stripe(event: StripeEvent): Promise<RouteResult> {
      if (!event || typeof event.id !== 'string' || typeof event.type !== 'string')
        return { status: 400, body: { error: 'not a Stripe event' } };
      const { fresh, processed } = await store('stripe', event.id, event.type, event);
      if (processed) return { status: 200, body: { duplicate: true } };
      if (options.crashAfterStore) {
        crashIfAsked();
        return { status: 200, body: { stored: true } };
      }
      const outcome = await processStored('stripe', event.id);
      return { status: 200, body: { stored: true, fresh, outcome: outcome ?? null } };
    },

    /** Processes whatever was stored but not processed (crash recovery), now and every few seconds. */
    start(): void {
      void sweep();
      timer = setInterval(() => void sweep(), options.sweepIntervalMs ?? 5_000);
      timer.unref();
    },
    /** One sweep now (tests, operators). */
    sweep,
    counts,
    deadLetters,
    async close(): Promise<void> {
      closed = true;
      if (timer) clearInterval(timer);
      await sweeping;
    },
  };
}
export type Inbox = ReturnType<typeof createInbox>;
