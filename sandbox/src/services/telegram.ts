/**
 * Telegram Bot API emulator (EXTERNAL-APIS.md §2, §3): `/telegram/bot<token>/<method>` with the
 * `{ok, result}` envelope, Stars invoices, pre-checkout answers, refunds and webhook delivery.
 *
 * Sandbox-only helpers (not part of Telegram's API):
 *   POST /telegram/__sandbox/pay    {invoiceLink, userId}  plays Telegram's checkout against the webhook
 *   POST /telegram/__sandbox/users  {id, first_name, ...}  makes a user known (as if they had started the bot)
 */
import { randomBytes } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import { SANDBOX_CREDENTIALS } from '../credentials.ts';
import { SEED_BOT, SEED_USERS } from '../seed.ts';
import {
  isRecord,
  jsonReply,
  mediaType,
  monotonicStart,
  newId,
  nowSeconds,
  parseForm,
  parseJson,
  sleep,
  type Reply,
  type Service,
  type ServiceContext,
  type ServiceRequest,
} from '../http.ts';

export interface TelegramWebhookConfig {
  url: string;
  secretToken?: string;
  /** Update kinds to deliver; empty or absent = all (as in setWebhook). */
  allowedUpdates?: string[];
}

export interface TelegramConfig {
  webhook?: TelegramWebhookConfig;
  /** How long the checkout waits for answerPreCheckoutQuery; Telegram's limit is 10 s. */
  preCheckoutTimeoutMs?: number;
}

export interface TelegramUser {
  id: number;
  is_bot: boolean;
  first_name: string;
  last_name?: string;
  username?: string;
  language_code?: string;
  is_premium?: true;
}

export interface TelegramInvoice {
  link: string;
  title: string;
  description: string;
  payload: string;
  currency: string;
  /** Sum of the prices, in the currency's smallest unit (whole Stars for XTR). */
  totalAmount: number;
  subscriptionPeriod?: number;
  createdAt: number;
}

export interface TelegramCharge {
  telegramPaymentChargeId: string;
  providerPaymentChargeId: string;
  userId: number;
  currency: string;
  totalAmount: number;
  invoicePayload: string;
  date: number;
  subscriptionPeriod?: number;
  refunded: boolean;
  subscriptionCanceled: boolean;
}

interface PreCheckoutAnswer {
  ok: boolean;
  errorMessage?: string;
}

interface PendingPreCheckout {
  invoice: TelegramInvoice;
  userId: number;
  answer?: PreCheckoutAnswer;
  expired: boolean;
  /** Wakes the checkout waiting in /__sandbox/pay. */
  notify?: () => void;
}

export interface SentMessage {
  message_id: number;
  chat_id: number;
  text: string;
  date: number;
  reply_markup?: unknown;
}

export interface TelegramState {
  config: TelegramConfig;
  users: Map<number, TelegramUser>;
  webhook?: TelegramWebhookConfig & { maxConnections: number; lastErrorDate?: number; lastErrorMessage?: string };
  invoices: Map<string, TelegramInvoice>;
  invoiceSeq: number;
  preCheckoutQueries: Map<string, PendingPreCheckout>;
  charges: Map<string, TelegramCharge>;
  /** getStarTransactions, chronological. */
  starTransactions: Array<Record<string, unknown>>;
  sentMessages: SentMessage[];
  preparedMessages: Map<string, { userId: number; result: Record<string, unknown>; expirationDate: number }>;
  nextUpdateId: number;
  nextMessageId: number;
}

export function createTelegramState(config: TelegramConfig = {}): TelegramState {
  const state: TelegramState = {
    config,
    users: new Map(SEED_USERS.map((user) => [user.id, { ...user }])),
    invoices: new Map(),
    invoiceSeq: monotonicStart(),
    preCheckoutQueries: new Map(),
    charges: new Map(),
    starTransactions: [],
    sentMessages: [],
    preparedMessages: new Map(),
    nextUpdateId: monotonicStart(),
    nextMessageId: 1,
  };
  if (config.webhook) state.webhook = { ...config.webhook, maxConnections: 40 };
  return state;
}

// ---------------------------------------------------------------------------------------------
// Envelope and errors

class BotApiError extends Error {
  readonly code: number;
  readonly parameters: Record<string, number> | undefined;
  constructor(code: number, description: string, parameters?: Record<string, number>) {
    super(description);
    this.code = code;
    this.parameters = parameters;
  }
}

const badRequest = (what: string) => new BotApiError(400, `Bad Request: ${what}`);

function ok(result: unknown, description?: string): Reply {
  return jsonReply(200, description ? { ok: true, result, description } : { ok: true, result });
}

function errorEnvelope(code: number, description: string, parameters?: Record<string, number>): Reply {
  return jsonReply(code, { ok: false, error_code: code, description, ...(parameters ? { parameters } : {}) });
}

function errorReply(status: number, message: string, options: { retryAfter?: number } = {}): Reply {
  if (status === 429) {
    const retryAfter = options.retryAfter ?? 1;
    return errorEnvelope(429, `Too Many Requests: retry after ${retryAfter}`, { retry_after: retryAfter });
  }
  return errorEnvelope(status, status === 400 ? `Bad Request: ${message}` : (STATUS_CODES[status] ?? message));
}

// ---------------------------------------------------------------------------------------------
// Parameters: Telegram accepts query string, form fields (nested values as JSON strings) or JSON.

type Params = Record<string, unknown>;

function readParams(req: ServiceRequest): Params {
  const params: Params = Object.fromEntries(req.query);
  if (req.body.length === 0) return params;
  const type = mediaType(req.headers);
  if (type === 'application/json') {
    const parsed = parseJson(req.body);
    if (!parsed.ok || !isRecord(parsed.value)) throw badRequest("can't parse JSON object");
    return { ...params, ...parsed.value };
  }
  if (type === 'application/x-www-form-urlencoded' || type === '') return { ...params, ...Object.fromEntries(parseForm(req.body)) };
  // multipart/form-data is only needed for file uploads, which the sandbox does not emulate.
  throw badRequest(`unsupported content type ${type} (the sandbox accepts query, form and JSON parameters)`);
}

function str(params: Params, name: string): string | undefined {
  const value = params[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw badRequest(`${name} must be a string`);
}

function requiredStr(params: Params, name: string): string {
  const value = str(params, name);
  if (value === undefined || value === '') throw badRequest(`${name} is empty`);
  return value;
}

function int(params: Params, name: string): number | undefined {
  const value = params[name];
  if (value === undefined || value === null || value === '') return undefined;
  const number = typeof value === 'number' ? value : typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isSafeInteger(number)) throw badRequest(`${name} is invalid`);
  return number;
}

function requiredInt(params: Params, name: string): number {
  const value = int(params, name);
  if (value === undefined) throw badRequest(`${name} is empty`);
  return value;
}

function bool(params: Params, name: string): boolean | undefined {
  const value = params[name];
  if (value === undefined || value === null || value === '') return undefined;
  if (value === true || value === 'true' || value === 'True' || value === '1' || value === 1) return true;
  if (value === false || value === 'false' || value === 'False' || value === '0' || value === 0) return false;
  throw badRequest(`${name} must be a boolean`);
}

/** Nested values arrive as JSON strings in query/form requests and as plain values in JSON bodies. */
function structured(params: Params, name: string): unknown {
  const value = params[name];
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    throw badRequest(`can't parse ${name} JSON object`);
  }
}

// ---------------------------------------------------------------------------------------------
// Users and chats

function findUser(state: TelegramState, chatId: string | number): TelegramUser {
  const user =
    typeof chatId === 'string' && chatId.startsWith('@')
      ? [...state.users.values()].find((u) => u.username?.toLowerCase() === chatId.slice(1).toLowerCase())
      : state.users.get(Number(chatId));
  if (!user) throw badRequest('chat not found');
  return user;
}

function chatIdParam(params: Params): string | number {
  const raw = params.chat_id;
  if (typeof raw === 'string' && raw.startsWith('@')) return raw;
  return requiredInt(params, 'chat_id');
}

function privateChat(user: TelegramUser): Record<string, unknown> {
  return {
    id: user.id,
    type: 'private',
    first_name: user.first_name,
    ...(user.last_name ? { last_name: user.last_name } : {}),
    ...(user.username ? { username: user.username } : {}),
  };
}

function registerUser(state: TelegramState, input: unknown): TelegramUser {
  if (!isRecord(input) || typeof input.id !== 'number' || !Number.isSafeInteger(input.id) || typeof input.first_name !== 'string') {
    throw badRequest('a user needs an integer id and a first_name');
  }
  const user: TelegramUser = { id: input.id, is_bot: false, first_name: input.first_name };
  if (typeof input.last_name === 'string') user.last_name = input.last_name;
  if (typeof input.username === 'string') user.username = input.username;
  if (typeof input.language_code === 'string') user.language_code = input.language_code;
  if (input.is_premium === true) user.is_premium = true;
  state.users.set(user.id, user);
  return user;
}

// ---------------------------------------------------------------------------------------------
// Methods

type MethodContext = { state: TelegramState; ctx: ServiceContext };
type Method = (params: Params, mc: MethodContext) => Reply | Promise<Reply>;

const INVOICE_LINK_PREFIX = 'https://t.me/$';
const SUBSCRIPTION_PERIOD = 2_592_000;

function createInvoiceLink(params: Params, { state }: MethodContext): Reply {
  const title = requiredStr(params, 'title');
  const description = requiredStr(params, 'description');
  const payload = requiredStr(params, 'payload');
  const currency = requiredStr(params, 'currency');
  const providerToken = str(params, 'provider_token') ?? '';
  const subscriptionPeriod = int(params, 'subscription_period');
  if (title.length > 32) throw badRequest('invoice title must be 1-32 characters long');
  if (description.length > 255) throw badRequest('invoice description must be 1-255 characters long');
  if (Buffer.byteLength(payload, 'utf8') > 128) throw badRequest('INVOICE_PAYLOAD_INVALID');
  if (!/^[A-Z]{3}$/.test(currency)) throw badRequest('CURRENCY_INVALID');

  const prices = structured(params, 'prices');
  if (!Array.isArray(prices) || prices.length === 0) throw badRequest('prices is empty');
  let totalAmount = 0;
  for (const price of prices) {
    if (!isRecord(price) || typeof price.label !== 'string' || price.label === '' || !Number.isSafeInteger(price.amount)) {
      throw badRequest("can't parse prices JSON object: a LabeledPrice needs a label and an integer amount");
    }
    totalAmount += price.amount as number;
  }

  if (currency === 'XTR') {
    // Stars: exactly one price and no payment provider (§3.2).
    if (prices.length !== 1) throw badRequest('STARS_INVOICE_INVALID: Stars invoices must have exactly one price');
    if (providerToken !== '') throw badRequest('STARS_INVOICE_INVALID: provider_token must be empty for Stars');
  } else {
    if (providerToken === '') throw badRequest('PAYMENT_PROVIDER_INVALID');
    if (subscriptionPeriod !== undefined) throw badRequest('SUBSCRIPTION_PERIOD_INVALID: subscriptions require XTR');
  }
  if (totalAmount <= 0) throw badRequest('CURRENCY_TOTAL_AMOUNT_INVALID');
  if (subscriptionPeriod !== undefined) {
    if (subscriptionPeriod !== SUBSCRIPTION_PERIOD) throw badRequest('SUBSCRIPTION_PERIOD_INVALID');
    if (totalAmount > 10_000) throw badRequest('SUBSCRIPTION_PRICE_INVALID');
  }

  state.invoiceSeq += 1;
  const link = `${INVOICE_LINK_PREFIX}sandbox_invoice_${state.invoiceSeq}`;
  const invoice: TelegramInvoice = { link, title, description, payload, currency, totalAmount, createdAt: nowSeconds() };
  if (subscriptionPeriod !== undefined) invoice.subscriptionPeriod = subscriptionPeriod;
  state.invoices.set(link, invoice);
  return ok(link);
}

function answerPreCheckoutQuery(params: Params, { state }: MethodContext): Reply {
  const id = requiredStr(params, 'pre_checkout_query_id');
  const accepted = bool(params, 'ok');
  if (accepted === undefined) throw badRequest('ok is empty');
  const errorMessage = str(params, 'error_message');
  if (!accepted && !errorMessage) throw badRequest('error_message is empty');
  const query = state.preCheckoutQueries.get(id);
  if (!query || query.expired || query.answer) {
    throw badRequest('query is too old and response timeout expired or query ID is invalid');
  }
  query.answer = accepted ? { ok: true } : { ok: false, errorMessage: errorMessage! };
  query.notify?.();
  return ok(true);
}

function refundStarPayment(params: Params, { state, ctx }: MethodContext): Reply {
  const userId = requiredInt(params, 'user_id');
  const chargeId = requiredStr(params, 'telegram_payment_charge_id');
  const charge = state.charges.get(chargeId);
  if (!charge || charge.userId !== userId || charge.currency !== 'XTR') throw badRequest('CHARGE_NOT_FOUND');
  if (charge.refunded) throw badRequest('CHARGE_ALREADY_REFUNDED');
  charge.refunded = true;
  const user = state.users.get(userId) ?? { id: userId, is_bot: false, first_name: 'User' };
  state.starTransactions.push({
    id: charge.telegramPaymentChargeId,
    amount: charge.totalAmount,
    date: nowSeconds(),
    receiver: { type: 'user', transaction_type: 'invoice_payment', user, invoice_payload: charge.invoicePayload },
  });
  // Telegram then posts a refunded_payment service message to the bot; delivery is not awaited,
  // exactly as the refund call does not wait for the bot to see it.
  deliverUpdate(state, ctx, 'message', {
    message_id: state.nextMessageId++,
    from: user,
    chat: privateChat(user),
    date: nowSeconds(),
    refunded_payment: {
      currency: 'XTR',
      total_amount: charge.totalAmount,
      invoice_payload: charge.invoicePayload,
      telegram_payment_charge_id: charge.telegramPaymentChargeId,
      provider_payment_charge_id: charge.providerPaymentChargeId,
    },
  }).catch(() => undefined);
  return ok(true);
}

function editUserStarSubscription(params: Params, { state }: MethodContext): Reply {
  const userId = requiredInt(params, 'user_id');
  const chargeId = requiredStr(params, 'telegram_payment_charge_id');
  const canceled = bool(params, 'is_canceled');
  if (canceled === undefined) throw badRequest('is_canceled is empty');
  const charge = state.charges.get(chargeId);
  if (!charge || charge.userId !== userId || charge.subscriptionPeriod === undefined) throw badRequest('CHARGE_NOT_FOUND');
  charge.subscriptionCanceled = canceled;
  return ok(true);
}

function getStarTransactions(params: Params, { state }: MethodContext): Reply {
  const offset = int(params, 'offset') ?? 0;
  const limit = int(params, 'limit') ?? 100;
  if (offset < 0) throw badRequest('offset is invalid');
  if (limit < 1 || limit > 100) throw badRequest('limit is invalid');
  return ok({ transactions: state.starTransactions.slice(offset, offset + limit) });
}

function getMyStarBalance(_params: Params, { state }: MethodContext): Reply {
  let amount = 0;
  for (const tx of state.starTransactions) amount += (tx.source ? 1 : -1) * (tx.amount as number);
  return ok({ amount });
}

function sendMessage(params: Params, { state }: MethodContext): Reply {
  const user = findUser(state, chatIdParam(params));
  const text = str(params, 'text') ?? '';
  if (text.trim() === '') throw badRequest('message text is empty');
  if (text.length > 4096) throw badRequest('message is too long');
  const parseMode = str(params, 'parse_mode');
  if (parseMode !== undefined && parseMode !== '' && !['MarkdownV2', 'HTML', 'Markdown'].includes(parseMode)) {
    throw badRequest(`unsupported parse_mode "${parseMode}"`);
  }
  const replyMarkup = structured(params, 'reply_markup');
  const message: SentMessage = { message_id: state.nextMessageId++, chat_id: user.id, text, date: nowSeconds() };
  if (replyMarkup !== undefined) message.reply_markup = replyMarkup;
  state.sentMessages.push(message);
  return ok({
    message_id: message.message_id,
    from: SEED_BOT,
    chat: privateChat(user),
    date: message.date,
    text,
    ...(isRecord(replyMarkup) && replyMarkup.inline_keyboard ? { reply_markup: replyMarkup } : {}),
  });
}

function savePreparedInlineMessage(params: Params, { state }: MethodContext): Reply {
  const user = findUser(state, requiredInt(params, 'user_id'));
  const result = structured(params, 'result');
  if (!isRecord(result) || typeof result.type !== 'string' || typeof result.id !== 'string') {
    throw badRequest("can't parse inline query result");
  }
  const id = newId('', 16);
  const expirationDate = nowSeconds() + 86_400;
  state.preparedMessages.set(id, { userId: user.id, result, expirationDate });
  return ok({ id, expiration_date: expirationDate });
}

function answerWebAppQuery(params: Params): Reply {
  requiredStr(params, 'web_app_query_id');
  if (!isRecord(structured(params, 'result'))) throw badRequest("can't parse inline query result");
  return ok({ inline_message_id: newId('', 27) });
}

function getChat(params: Params, { state }: MethodContext): Reply {
  const user = findUser(state, chatIdParam(params));
  return ok({ ...privateChat(user), accent_color_id: user.id % 7, max_reaction_count: 11 });
}

const SECRET_TOKEN = /^[A-Za-z0-9_-]{1,256}$/;

function setWebhook(params: Params, { state }: MethodContext): Reply {
  const url = str(params, 'url') ?? '';
  if (url === '') {
    delete state.webhook;
    return ok(true, 'Webhook was deleted');
  }
  // Telegram insists on HTTPS on public ports; the sandbox delivers to local http receivers too.
  if (!/^https?:\/\/[^\s/]+/.test(url)) throw badRequest('bad webhook: invalid webhook URL specified');
  const secretToken = str(params, 'secret_token');
  if (secretToken !== undefined && !SECRET_TOKEN.test(secretToken)) throw badRequest('secret token contains unallowed characters');
  const maxConnections = int(params, 'max_connections') ?? 40;
  if (maxConnections < 1 || maxConnections > 100) throw badRequest('max_connections is invalid');
  const allowed = structured(params, 'allowed_updates');
  if (allowed !== undefined && (!Array.isArray(allowed) || !allowed.every((a) => typeof a === 'string'))) {
    throw badRequest("can't parse allowed_updates JSON object");
  }
  const webhook: NonNullable<TelegramState['webhook']> = { url, maxConnections };
  if (secretToken) webhook.secretToken = secretToken;
  // Omitted allowed_updates keeps the previous setting (Bot API rule).
  const allowedUpdates = (allowed as string[] | undefined) ?? state.webhook?.allowedUpdates;
  if (allowedUpdates) webhook.allowedUpdates = allowedUpdates;
  const changed = state.webhook?.url !== url;
  state.webhook = webhook;
  return ok(true, changed ? 'Webhook was set' : 'Webhook is already set');
}

function getWebhookInfo(_params: Params, { state }: MethodContext): Reply {
  const webhook = state.webhook;
  if (!webhook) return ok({ url: '', has_custom_certificate: false, pending_update_count: 0 });
  return ok({
    url: webhook.url,
    has_custom_certificate: false,
    pending_update_count: 0,
    max_connections: webhook.maxConnections,
    ip_address: '127.0.0.1',
    ...(webhook.allowedUpdates ? { allowed_updates: webhook.allowedUpdates } : {}),
    ...(webhook.lastErrorDate ? { last_error_date: webhook.lastErrorDate, last_error_message: webhook.lastErrorMessage } : {}),
  });
}

function deleteWebhook(_params: Params, { state }: MethodContext): Reply {
  const had = state.webhook !== undefined;
  delete state.webhook;
  return ok(true, had ? 'Webhook was deleted' : 'Webhook is already deleted');
}

const METHODS: Record<string, Method> = {
  getMe: () =>
    ok({
      ...SEED_BOT,
      can_join_groups: true,
      can_read_all_group_messages: false,
      supports_inline_queries: true,
      can_connect_to_business: false,
      has_main_web_app: true,
    }),
  getChat,
  sendMessage,
  savePreparedInlineMessage,
  answerWebAppQuery,
  createInvoiceLink,
  answerPreCheckoutQuery,
  refundStarPayment,
  editUserStarSubscription,
  getStarTransactions,
  getMyStarBalance,
  setWebhook,
  getWebhookInfo,
  deleteWebhook,
};

// Method names are case-insensitive on Telegram's side.
const METHODS_BY_LOWER_NAME = new Map(Object.entries(METHODS).map(([name, fn]) => [name.toLowerCase(), { name, fn }]));

async function callMethod(name: string, params: Params, mc: MethodContext): Promise<Reply> {
  const method = METHODS_BY_LOWER_NAME.get(name.toLowerCase());
  if (!method) return errorEnvelope(404, 'Not Found');
  try {
    return await method.fn(params, mc);
  } catch (error) {
    if (error instanceof BotApiError) return errorEnvelope(error.code, error.message, error.parameters);
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------
// Webhook delivery and the checkout simulation

export interface DeliveryResult {
  update_id: number;
  kind: string;
  /** HTTP status of the last attempt; null when the receiver was unreachable or no webhook is set. */
  status: number | null;
  delivered: boolean;
  attempts: number;
  skipped?: 'no webhook' | 'not in allowed_updates';
}

const DELIVERY_ATTEMPTS = 3;

async function deliverUpdate(state: TelegramState, ctx: ServiceContext, kind: string, payload: unknown): Promise<DeliveryResult> {
  const update_id = state.nextUpdateId++;
  const webhook = state.webhook;
  if (!webhook) return { update_id, kind, status: null, delivered: false, attempts: 0, skipped: 'no webhook' };
  const allowed = webhook.allowedUpdates;
  if (allowed && allowed.length > 0 && !allowed.includes(kind)) {
    return { update_id, kind, status: null, delivered: false, attempts: 0, skipped: 'not in allowed_updates' };
  }
  const body = JSON.stringify({ update_id, [kind]: payload });
  let status: number | null = null;
  // Telegram redelivers the same update (same update_id) after a non-2xx answer.
  for (let attempt = 1; attempt <= DELIVERY_ATTEMPTS; attempt += 1) {
    const started = Date.now();
    try {
      const response = await fetch(webhook.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(webhook.secretToken ? { 'x-telegram-bot-api-secret-token': webhook.secretToken } : {}),
        },
        body,
        signal: AbortSignal.timeout(10_000),
      });
      status = response.status;
      const text = await response.text();
      ctx.log(`sandbox  telegram   -> webhook ${kind} update ${update_id} ${status} ${Date.now() - started}ms`);
      if (response.ok) {
        await runWebhookReplyMethod(state, ctx, text).catch((error: unknown) =>
          ctx.log(`sandbox  telegram   webhook reply method failed: ${String(error)}`),
        );
        return { update_id, kind, status, delivered: true, attempts: attempt };
      }
      webhook.lastErrorMessage = `Wrong response from the webhook: ${status} ${STATUS_CODES[status] ?? ''}`.trim();
    } catch (error) {
      status = null;
      webhook.lastErrorMessage = `Connection refused or timed out: ${error instanceof Error ? error.message : String(error)}`;
      ctx.log(`sandbox  telegram   -> webhook ${kind} update ${update_id} failed: ${webhook.lastErrorMessage}`);
    }
    webhook.lastErrorDate = nowSeconds();
    if (attempt < DELIVERY_ATTEMPTS) await sleep(100 * attempt);
  }
  return { update_id, kind, status, delivered: false, attempts: DELIVERY_ATTEMPTS };
}

/** A webhook may answer with `{"method": ..., ...params}` to make one call without a request (§2.4). */
async function runWebhookReplyMethod(state: TelegramState, ctx: ServiceContext, text: string): Promise<void> {
  if (text.trim() === '') return;
  const parsed = parseJson(Buffer.from(text));
  if (!parsed.ok || !isRecord(parsed.value) || typeof parsed.value.method !== 'string') return;
  const { method, ...params } = parsed.value;
  await callMethod(method, params, { state, ctx });
}

function waitForAnswer(query: PendingPreCheckout, timeoutMs: number): Promise<void> {
  if (query.answer) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    timer.unref();
    query.notify = () => {
      clearTimeout(timer);
      resolve();
    };
  });
}

function chargeIdFor(currency: string): string {
  return currency === 'XTR' ? newId('stx', 60) : newId('tg_', 32);
}

async function simulatePayment(req: ServiceRequest, state: TelegramState, ctx: ServiceContext): Promise<Reply> {
  const parsed = parseJson(req.body);
  if (!parsed.ok || !isRecord(parsed.value)) return jsonReply(400, { error: 'body must be JSON {invoiceLink, userId}' });
  const { invoiceLink, userId } = parsed.value;
  const invoice = typeof invoiceLink === 'string' ? state.invoices.get(invoiceLink) : undefined;
  if (!invoice) return jsonReply(404, { error: `unknown invoice link ${String(invoiceLink)}` });
  if (typeof userId !== 'number' || !Number.isSafeInteger(userId)) return jsonReply(400, { error: 'userId must be an integer' });
  if (!state.webhook) return jsonReply(409, { error: 'no webhook is set (call setWebhook or start the sandbox with telegramWebhook)' });

  // Paying makes the user known to the bot, as opening the invoice does on Telegram.
  const user = state.users.get(userId) ?? registerUser(state, { id: userId, first_name: `User ${userId}` });
  const queryId = BigInt('0x' + randomBytes(8).toString('hex')).toString();
  const query: PendingPreCheckout = { invoice, userId, expired: false };
  state.preCheckoutQueries.set(queryId, query);

  const preCheckout = await deliverUpdate(state, ctx, 'pre_checkout_query', {
    id: queryId,
    from: user,
    currency: invoice.currency,
    total_amount: invoice.totalAmount,
    invoice_payload: invoice.payload,
  });
  // An unreachable receiver can never answer; Telegram would just time out, the sandbox skips the wait.
  if (preCheckout.delivered) await waitForAnswer(query, state.config.preCheckoutTimeoutMs ?? 10_000);
  query.expired = true;
  const answer = query.answer;
  const updates: DeliveryResult[] = [preCheckout];
  if (!answer?.ok) {
    return jsonReply(200, {
      preCheckoutAnswered: answer !== undefined,
      ok: false,
      preCheckoutQueryId: queryId,
      ...(answer?.errorMessage ? { errorMessage: answer.errorMessage } : {}),
      updates,
    });
  }

  const date = nowSeconds();
  const charge: TelegramCharge = {
    telegramPaymentChargeId: chargeIdFor(invoice.currency),
    providerPaymentChargeId: invoice.currency === 'XTR' ? `${userId}_${state.charges.size + 1}` : newId('ch_', 24),
    userId,
    currency: invoice.currency,
    totalAmount: invoice.totalAmount,
    invoicePayload: invoice.payload,
    date,
    refunded: false,
    subscriptionCanceled: false,
  };
  if (invoice.subscriptionPeriod !== undefined) charge.subscriptionPeriod = invoice.subscriptionPeriod;
  state.charges.set(charge.telegramPaymentChargeId, charge);
  if (invoice.currency === 'XTR') {
    state.starTransactions.push({
      id: charge.telegramPaymentChargeId,
      amount: charge.totalAmount,
      date,
      source: {
        type: 'user',
        transaction_type: 'invoice_payment',
        user,
        invoice_payload: invoice.payload,
        ...(invoice.subscriptionPeriod ? { subscription_period: invoice.subscriptionPeriod } : {}),
      },
    });
  }
  const successful = await deliverUpdate(state, ctx, 'message', {
    message_id: state.nextMessageId++,
    from: user,
    chat: privateChat(user),
    date,
    successful_payment: {
      currency: invoice.currency,
      total_amount: invoice.totalAmount,
      invoice_payload: invoice.payload,
      telegram_payment_charge_id: charge.telegramPaymentChargeId,
      provider_payment_charge_id: charge.providerPaymentChargeId,
      ...(invoice.subscriptionPeriod
        ? { subscription_expiration_date: date + invoice.subscriptionPeriod, is_recurring: true, is_first_recurring: true }
        : {}),
    },
  });
  updates.push(successful);
  return jsonReply(200, {
    preCheckoutAnswered: true,
    ok: true,
    chargeId: charge.telegramPaymentChargeId,
    preCheckoutQueryId: queryId,
    updates,
  });
}

// ---------------------------------------------------------------------------------------------
// Routing

const BOT_PATH = /^\/bot([^/]+)\/(?:test\/)?([^/]+)$/;

async function handle(req: ServiceRequest, state: TelegramState, ctx: ServiceContext): Promise<Reply> {
  if (req.path === '/__sandbox/pay' && req.method === 'POST') return simulatePayment(req, state, ctx);
  if (req.path === '/__sandbox/users' && req.method === 'POST') {
    const parsed = parseJson(req.body);
    try {
      return jsonReply(200, registerUser(state, parsed.ok ? parsed.value : undefined));
    } catch (error) {
      return jsonReply(400, { error: error instanceof Error ? error.message : String(error) });
    }
  }

  const match = BOT_PATH.exec(req.path);
  if (!match) return errorEnvelope(404, 'Not Found');
  const [, token, methodName] = match as unknown as [string, string, string];
  if (decodeURIComponent(token) !== SANDBOX_CREDENTIALS.telegramBotToken) return errorEnvelope(401, 'Unauthorized');
  const method = METHODS_BY_LOWER_NAME.get(methodName.toLowerCase());
  if (method) req.journal.operation = method.name;
  let params: Params;
  try {
    params = readParams(req);
  } catch (error) {
    if (error instanceof BotApiError) return errorEnvelope(error.code, error.message);
    throw error;
  }
  return callMethod(methodName, params, { state, ctx });
}

export const telegramService: Service<TelegramState> = {
  name: 'telegram',
  handle,
  errorReply,
  redactPath: (path) => path.replace(/^\/bot[^/]+/, '/bot<token>'),
};
