/**
 * Stripe API emulator (EXTERNAL-APIS.md §5): form-encoded requests, Bearer secret key, list
 * envelopes, idempotency keys, the `{error:{type,...}}` shape and signed webhook events.
 *
 * Sandbox-only helpers (no auth):
 *   POST   /stripe/__sandbox/webhook_endpoint            {url, secret}  where events are delivered
 *   DELETE /stripe/__sandbox/webhook_endpoint
 *   POST   /stripe/__sandbox/payment_intents/:id/succeed  mark paid + deliver payment_intent.succeeded
 *   POST   /stripe/__sandbox/payment_intents/:id/fail     mark declined + deliver payment_intent.payment_failed
 *
 * A succeeded PaymentIntent has a charge (`GET /v1/charges/:id`, with `amount_refunded` and
 * `refunded` as on Stripe); every refund updates it and delivers `charge.refunded`.
 */
import { createHmac } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import { SANDBOX_CREDENTIALS } from '../credentials.ts';
import { SEED_PRODUCTS } from '../seed.ts';
import {
  basicAuth,
  bearerToken,
  headerValue,
  isRecord,
  jsonReply,
  mediaType,
  newId,
  nowSeconds,
  parseForm,
  parseJson,
  parseNestedForm,
  type FormObject,
  type FormValue,
  type Reply,
  type Service,
  type ServiceContext,
  type ServiceRequest,
} from '../http.ts';

export const STRIPE_API_VERSION = '2026-07-29.dahlia';

type StripeObject = Record<string, unknown>;

export interface PaymentIntent extends StripeObject {
  id: string;
  amount: number;
  currency: string;
  status: string;
  amount_received: number;
  latest_charge: string | null;
  metadata: Record<string, string>;
}

export interface Charge extends StripeObject {
  id: string;
  amount: number;
  /** Cumulative, partial refunds included. */
  amount_refunded: number;
  /** true only once the whole charge is refunded. */
  refunded: boolean;
  currency: string;
  payment_intent: string;
}

export interface StripeWebhookEndpoint {
  url: string;
  secret: string;
}

export interface StripeConfig {
  webhook?: StripeWebhookEndpoint;
}

interface StoredIdempotentResponse {
  fingerprint: string;
  reply: Reply;
  requestId: string;
}

export interface StripeState {
  webhook?: StripeWebhookEndpoint;
  products: Map<string, StripeObject>;
  prices: Map<string, StripeObject>;
  paymentIntents: Map<string, PaymentIntent>;
  refunds: Map<string, StripeObject>;
  /** Charges of succeeded PaymentIntents (one each), by charge id. */
  charges: Map<string, Charge>;
  idempotency: Map<string, StoredIdempotentResponse>;
  /** Events generated so far, newest last (what the Dashboard's event log would show). */
  events: StripeObject[];
}

export function createStripeState(config: StripeConfig = {}): StripeState {
  const products = new Map<string, StripeObject>();
  const prices = new Map<string, StripeObject>();
  for (const seed of SEED_PRODUCTS) {
    products.set(seed.id, {
      id: seed.id,
      object: 'product',
      active: true,
      attributes: [],
      created: seed.created,
      default_price: seed.price.id,
      description: seed.description,
      images: [],
      livemode: false,
      marketing_features: [],
      metadata: { ...seed.metadata },
      name: seed.name,
      package_dimensions: null,
      shippable: seed.shippable,
      statement_descriptor: null,
      tax_code: null,
      type: seed.shippable ? 'good' : 'service',
      unit_label: null,
      updated: seed.created,
      url: null,
    });
    prices.set(seed.price.id, {
      id: seed.price.id,
      object: 'price',
      active: true,
      billing_scheme: 'per_unit',
      created: seed.created,
      currency: seed.price.currency,
      custom_unit_amount: null,
      livemode: false,
      lookup_key: null,
      metadata: {},
      nickname: null,
      product: seed.id,
      recurring: null,
      tax_behavior: 'unspecified',
      tiers_mode: null,
      transform_quantity: null,
      type: 'one_time',
      unit_amount: seed.price.unit_amount,
      unit_amount_decimal: String(seed.price.unit_amount),
    });
  }
  const state: StripeState = {
    products,
    prices,
    paymentIntents: new Map(),
    refunds: new Map(),
    charges: new Map(),
    idempotency: new Map(),
    events: [],
  };
  if (config.webhook) state.webhook = { ...config.webhook };
  return state;
}

/** `Stripe-Signature` value for a raw body (§5.4); exported so tests can build and check headers. */
export function stripeSignature(rawBody: string, secret: string, timestamp: number): string {
  return `t=${timestamp},v1=${createHmac('sha256', secret).update(`${timestamp}.${rawBody}`).digest('hex')}`;
}

// ---------------------------------------------------------------------------------------------
// Errors

class StripeError extends Error {
  readonly status: number;
  readonly type: string;
  readonly code: string | undefined;
  readonly param: string | undefined;
  /** Parameter validation failures are not stored under an idempotency key (§5.2). */
  readonly validation: boolean;
  constructor(status: number, type: string, message: string, extra: { code?: string; param?: string; validation?: boolean } = {}) {
    super(message);
    this.status = status;
    this.type = type;
    this.code = extra.code;
    this.param = extra.param;
    this.validation = extra.validation ?? false;
  }
}

const invalidParam = (message: string, param?: string, code?: string) =>
  new StripeError(400, 'invalid_request_error', message, { validation: true, ...(param ? { param } : {}), ...(code ? { code } : {}) });

/** A missing object named in the URL is a 404; one named by a body parameter is a 400 (as on Stripe). */
function missingResource(kind: string, id: string, param = 'id'): StripeError {
  return new StripeError(param === 'id' ? 404 : 400, 'invalid_request_error', `No such ${kind}: '${id}'`, {
    code: 'resource_missing',
    param,
  });
}

function errorBody(error: { type: string; message: string; code?: string | undefined; param?: string | undefined }): unknown {
  return {
    error: {
      ...(error.code ? { code: error.code, doc_url: `https://stripe.com/docs/error-codes/${error.code.replace(/_/g, '-')}` } : {}),
      message: error.message,
      ...(error.param ? { param: error.param } : {}),
      type: error.type,
    },
  };
}

function errorReply(status: number, message: string): Reply {
  if (status === 429) {
    return jsonReply(
      429,
      errorBody({
        type: 'invalid_request_error',
        code: 'rate_limit',
        message: 'Request rate limit exceeded. Learn more about rate limits here https://stripe.com/docs/rate-limits.',
      }),
    );
  }
  if (status >= 500) return jsonReply(status, errorBody({ type: 'api_error', message: 'An unknown error occurred' }));
  return jsonReply(
    status,
    errorBody({ type: 'invalid_request_error', message: status === 400 ? message : (STATUS_CODES[status] ?? message) }),
  );
}

// ---------------------------------------------------------------------------------------------
// Parameter helpers (form values are strings or nested hashes/arrays)

function allowOnly(params: FormObject, allowed: readonly string[]): void {
  for (const key of Object.keys(params)) {
    if (key !== 'expand' && !allowed.includes(key)) throw invalidParam(`Received unknown parameter: ${key}`, key);
  }
}

function stringParam(params: FormObject, name: string): string | undefined {
  const value = params[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw invalidParam(`Invalid string: ${JSON.stringify(value)}`, name);
  return value;
}

function integerParam(params: FormObject, name: string): number | undefined {
  const value = stringParam(params, name);
  if (value === undefined) return undefined;
  if (!/^-?\d+$/.test(value) || !Number.isSafeInteger(Number(value))) throw invalidParam(`Invalid integer: ${value}`, name);
  return Number(value);
}

function booleanParam(value: FormValue | undefined, name: string): boolean | undefined {
  if (value === undefined) return undefined;
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw invalidParam(`Invalid boolean: ${typeof value === 'string' ? value : JSON.stringify(value)}`, name);
}

function metadataParam(params: FormObject): Record<string, string> {
  const value = params.metadata;
  if (value === undefined || value === '') return {};
  if (!isRecord(value)) throw invalidParam('Invalid object', 'metadata');
  const entries = Object.entries(value);
  if (entries.length > 50) throw invalidParam('Metadata can have at most 50 keys.', 'metadata');
  const metadata: Record<string, string> = {};
  for (const [key, item] of entries) {
    if (typeof item !== 'string') throw invalidParam('Invalid string', `metadata[${key}]`);
    if (key.length > 40) throw invalidParam(`Metadata keys must be at most 40 characters: ${key}`, `metadata[${key}]`);
    if (item.length > 500) throw invalidParam('Metadata values must be at most 500 characters.', `metadata[${key}]`);
    metadata[key] = item;
  }
  return metadata;
}

function expandParam(params: FormObject): string[] {
  const value = params.expand;
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) throw invalidParam('Invalid array', 'expand');
  return value as string[];
}

// ---------------------------------------------------------------------------------------------
// Lists and expansion

type Expander = (id: string) => StripeObject | undefined;

function expanders(state: StripeState): Record<string, Expander> {
  return {
    product: (id) => state.products.get(id),
    default_price: (id) => state.prices.get(id),
    payment_intent: (id) => state.paymentIntents.get(id),
    latest_charge: (id) => state.charges.get(id),
  };
}

function expand(object: StripeObject, paths: string[], state: StripeState): StripeObject {
  const table = expanders(state);
  const copy = { ...object };
  for (const path of paths) {
    const lookup = table[path];
    const id = copy[path];
    if (!lookup || !(path in copy)) throw invalidParam(`This property cannot be expanded (${path}).`, 'expand');
    if (typeof id === 'string') copy[path] = lookup(id) ?? id;
  }
  return copy;
}

function listReply(all: StripeObject[], params: FormObject, url: string, state: StripeState, kind: string): Reply {
  const limit = integerParam(params, 'limit') ?? 10;
  if (limit < 1 || limit > 100) throw invalidParam('This value must be greater than or equal to 1 and less than or equal to 100.', 'limit');
  const startingAfter = stringParam(params, 'starting_after');
  const endingBefore = stringParam(params, 'ending_before');
  // Stripe lists newest first.
  const sorted = [...all].sort((a, b) => (b.created as number) - (a.created as number) || String(b.id).localeCompare(String(a.id)));
  let page: StripeObject[];
  let hasMore: boolean;
  if (endingBefore !== undefined) {
    const index = sorted.findIndex((o) => o.id === endingBefore);
    if (index < 0) throw invalidParam(`No such ${kind}: '${endingBefore}'`, 'ending_before', 'resource_missing');
    page = sorted.slice(Math.max(0, index - limit), index);
    hasMore = index - limit > 0;
  } else {
    const index = startingAfter === undefined ? -1 : sorted.findIndex((o) => o.id === startingAfter);
    if (startingAfter !== undefined && index < 0)
      throw invalidParam(`No such ${kind}: '${startingAfter}'`, 'starting_after', 'resource_missing');
    page = sorted.slice(index + 1, index + 1 + limit);
    hasMore = index + 1 + limit < sorted.length;
  }
  const expandPaths = expandParam(params).map((path) => {
    if (!path.startsWith('data.')) throw invalidParam(`This property cannot be expanded (${path}).`, 'expand');
    return path.slice('data.'.length);
  });
  return jsonReply(200, { object: 'list', data: page.map((o) => expand(o, expandPaths, state)), has_more: hasMore, url });
}

function filterFlag(params: FormObject, name: string): boolean | undefined {
  return booleanParam(params[name], name);
}

// ---------------------------------------------------------------------------------------------
// Catalog

function listProducts(params: FormObject, state: StripeState): Reply {
  allowOnly(params, ['active', 'ids', 'limit', 'starting_after', 'ending_before', 'shippable', 'created', 'url']);
  const active = filterFlag(params, 'active');
  const shippable = filterFlag(params, 'shippable');
  const ids = params.ids;
  const products = [...state.products.values()].filter(
    (p) =>
      (active === undefined || p.active === active) &&
      (shippable === undefined || p.shippable === shippable) &&
      (!Array.isArray(ids) || ids.includes(p.id as string)),
  );
  return listReply(products, params, '/v1/products', state, 'product');
}

function listPrices(params: FormObject, state: StripeState): Reply {
  allowOnly(params, [
    'active',
    'currency',
    'product',
    'type',
    'limit',
    'starting_after',
    'ending_before',
    'lookup_keys',
    'created',
    'recurring',
  ]);
  const active = filterFlag(params, 'active');
  const product = stringParam(params, 'product');
  const currency = stringParam(params, 'currency');
  const type = stringParam(params, 'type');
  const prices = [...state.prices.values()].filter(
    (p) =>
      (active === undefined || p.active === active) &&
      (product === undefined || p.product === product) &&
      (currency === undefined || p.currency === currency.toLowerCase()) &&
      (type === undefined || p.type === type),
  );
  return listReply(prices, params, '/v1/prices', state, 'price');
}

function retrieve(map: Map<string, StripeObject>, kind: string, id: string, params: FormObject, state: StripeState): Reply {
  allowOnly(params, []);
  const object = map.get(id);
  if (!object) throw missingResource(kind, id);
  return jsonReply(200, expand(object, expandParam(params), state));
}

// ---------------------------------------------------------------------------------------------
// Payment intents and refunds

const PAYMENT_INTENT_PARAMS = [
  'amount',
  'currency',
  'automatic_payment_methods',
  'capture_method',
  'confirm',
  'confirmation_method',
  'customer',
  'description',
  'metadata',
  'off_session',
  'on_behalf_of',
  'payment_method',
  'payment_method_options',
  'payment_method_types',
  'receipt_email',
  'return_url',
  'setup_future_usage',
  'shipping',
  'statement_descriptor',
  'statement_descriptor_suffix',
  'transfer_data',
  'transfer_group',
  'use_stripe_sdk',
  'application_fee_amount',
  'error_on_requires_action',
  'mandate',
  'mandate_data',
  'payment_method_configuration',
  'payment_method_data',
  'radar_options',
  'confirmation_token',
] as const;

// Minimum charge amounts in the smallest unit (Stripe's published minimums for common currencies).
const MINIMUM_AMOUNTS: Record<string, number> = {
  usd: 50,
  eur: 50,
  gbp: 30,
  cad: 50,
  aud: 50,
  chf: 50,
  jpy: 50,
  sek: 300,
  nok: 300,
  dkk: 250,
  pln: 200,
  brl: 50,
  mxn: 1000,
  inr: 50,
  sgd: 50,
  hkd: 400,
  try: 50,
  aed: 200,
  czk: 1500,
  huf: 17500,
  nzd: 50,
};

/** Test payment methods with Stripe's documented test-mode behaviour when confirmed. */
const TEST_PAYMENT_METHODS: Record<string, 'succeeds' | 'declines'> = {
  pm_card_visa: 'succeeds',
  pm_card_mastercard: 'succeeds',
  pm_card_chargeDeclined: 'declines',
  pm_card_visa_chargeDeclined: 'declines',
};

function createPaymentIntent(params: FormObject, state: StripeState, ctx: ServiceContext): Reply {
  allowOnly(params, PAYMENT_INTENT_PARAMS);
  const amount = integerParam(params, 'amount');
  if (amount === undefined) throw invalidParam('Missing required param: amount.', 'amount', 'parameter_missing');
  const currencyRaw = stringParam(params, 'currency');
  if (currencyRaw === undefined) throw invalidParam('Missing required param: currency.', 'currency', 'parameter_missing');
  const currency = currencyRaw.toLowerCase();
  const minimum = MINIMUM_AMOUNTS[currency];
  if (minimum === undefined) {
    throw invalidParam(
      `Invalid currency: ${currencyRaw}. Stripe currently supports these currencies: ${Object.keys(MINIMUM_AMOUNTS).join(', ')}`,
      'currency',
    );
  }
  if (amount < minimum) {
    throw invalidParam(`Amount must be at least ${formatMoney(minimum, currency)} ${currency}`, 'amount', 'amount_too_small');
  }
  if (amount > 99_999_999)
    throw invalidParam(`Amount must be no more than ${formatMoney(99_999_999, currency)}`, 'amount', 'amount_too_large');
  const metadata = metadataParam(params);
  const automatic = params.automatic_payment_methods;
  if (automatic !== undefined && !isRecord(automatic)) throw invalidParam('Invalid object', 'automatic_payment_methods');
  const automaticEnabled = booleanParam(automatic?.enabled, 'automatic_payment_methods[enabled]');
  const types = params.payment_method_types;
  if (types !== undefined && (!Array.isArray(types) || !types.every((t) => typeof t === 'string'))) {
    throw invalidParam('Invalid array', 'payment_method_types');
  }
  if (automaticEnabled && types !== undefined) {
    throw invalidParam(
      'You may only specify one of these parameters: automatic_payment_methods, payment_method_types.',
      'automatic_payment_methods',
    );
  }
  const confirm = booleanParam(params.confirm, 'confirm') ?? false;
  const paymentMethod = stringParam(params, 'payment_method');
  if (confirm && !paymentMethod) {
    throw invalidParam(
      "You cannot confirm this PaymentIntent because it's missing a payment method.",
      'payment_method',
      'payment_intent_unexpected_state',
    );
  }
  if (paymentMethod !== undefined && !(paymentMethod in TEST_PAYMENT_METHODS))
    throw missingResource('PaymentMethod', paymentMethod, 'payment_method');

  const id = newId('pi_');
  // Without payment_method_types, current API versions turn on automatic payment methods by default.
  const usesAutomatic = types === undefined && automaticEnabled !== false;
  const intent: PaymentIntent = {
    id,
    object: 'payment_intent',
    amount,
    amount_capturable: 0,
    amount_received: 0,
    automatic_payment_methods: usesAutomatic ? { allow_redirects: 'always', enabled: true } : null,
    canceled_at: null,
    cancellation_reason: null,
    capture_method: 'automatic_async',
    client_secret: `${id}_secret_${newId('', 25)}`,
    confirmation_method: 'automatic',
    created: nowSeconds(),
    currency,
    customer: stringParam(params, 'customer') ?? null,
    description: stringParam(params, 'description') ?? null,
    last_payment_error: null,
    latest_charge: null,
    livemode: false,
    metadata,
    next_action: null,
    payment_method: paymentMethod ?? null,
    payment_method_types: (types as string[] | undefined) ?? ['card', 'link'],
    receipt_email: stringParam(params, 'receipt_email') ?? null,
    setup_future_usage: null,
    statement_descriptor: null,
    status: 'requires_payment_method',
  };
  state.paymentIntents.set(id, intent);
  if (confirm && paymentMethod) {
    const outcome = TEST_PAYMENT_METHODS[paymentMethod] === 'succeeds' ? 'succeed' : 'fail';
    settle(state, intent, outcome);
    // Stripe sends the event on its own schedule; the API call does not wait for the webhook.
    deliverEvent(state, ctx, outcome === 'succeed' ? 'payment_intent.succeeded' : 'payment_intent.payment_failed', intent).catch(
      () => undefined,
    );
    if (outcome === 'fail') {
      throw new StripeError(402, 'card_error', 'Your card was declined.', { code: 'card_declined' });
    }
  }
  return jsonReply(200, intent);
}

function formatMoney(amount: number, currency: string): string {
  const symbol = currency === 'usd' ? '$' : '';
  return `${symbol}${(amount / 100).toFixed(2).replace(/\B(?=(\d{3})+(?!\d))/g, ',')}`;
}

function cancelPaymentIntent(id: string, params: FormObject, state: StripeState): Reply {
  allowOnly(params, ['cancellation_reason']);
  const intent = state.paymentIntents.get(id);
  if (!intent) throw missingResource('payment_intent', id);
  if (intent.status === 'succeeded' || intent.status === 'canceled') {
    throw new StripeError(
      400,
      'invalid_request_error',
      `You cannot cancel this PaymentIntent because it has a status of ${intent.status}. Only a PaymentIntent with one of the following statuses may be canceled: requires_payment_method, requires_capture, requires_confirmation, requires_action, processing.`,
      { code: 'payment_intent_unexpected_state' },
    );
  }
  intent.status = 'canceled';
  intent.canceled_at = nowSeconds();
  intent.cancellation_reason = stringParam(params, 'cancellation_reason') ?? null;
  return jsonReply(200, intent);
}

const REFUND_REASONS = ['duplicate', 'fraudulent', 'requested_by_customer'];

function createRefund(params: FormObject, state: StripeState, ctx: ServiceContext): Reply {
  allowOnly(params, [
    'payment_intent',
    'charge',
    'amount',
    'reason',
    'metadata',
    'instructions_email',
    'refund_application_fee',
    'reverse_transfer',
  ]);
  const piId = stringParam(params, 'payment_intent');
  const chargeId = stringParam(params, 'charge');
  if (!piId && !chargeId) {
    throw invalidParam('One of the following params should be provided for this request: payment_intent or charge.', 'payment_intent');
  }
  const reason = stringParam(params, 'reason');
  if (reason !== undefined && !REFUND_REASONS.includes(reason)) {
    throw invalidParam('Invalid reason: must be one of duplicate, fraudulent, or requested_by_customer', 'reason');
  }
  const amountParam = integerParam(params, 'amount');
  const metadata = metadataParam(params);
  const intent = piId ? state.paymentIntents.get(piId) : [...state.paymentIntents.values()].find((pi) => pi.latest_charge === chargeId);
  if (!intent) throw piId ? missingResource('payment_intent', piId, 'payment_intent') : missingResource('charge', chargeId!, 'charge');
  if (intent.status !== 'succeeded' || !intent.latest_charge) {
    throw new StripeError(400, 'invalid_request_error', `This PaymentIntent (${intent.id}) does not have a successful charge to refund.`, {
      param: 'payment_intent',
    });
  }
  const charge = state.charges.get(intent.latest_charge);
  if (!charge)
    throw new StripeError(400, 'invalid_request_error', `This PaymentIntent (${intent.id}) does not have a successful charge to refund.`, {
      param: 'payment_intent',
    });
  const remaining = charge.amount - charge.amount_refunded;
  if (remaining <= 0) {
    throw new StripeError(400, 'invalid_request_error', `Charge ${charge.id} has already been refunded.`, {
      code: 'charge_already_refunded',
    });
  }
  const amount = amountParam ?? remaining;
  if (amount <= 0) throw invalidParam('Invalid positive integer', 'amount');
  if (amount > remaining) {
    throw new StripeError(
      400,
      'invalid_request_error',
      `Refund amount (${formatMoney(amount, intent.currency)}) is greater than unrefunded amount on charge (${formatMoney(remaining, intent.currency)})`,
      { param: 'amount' },
    );
  }
  charge.amount_refunded += amount;
  charge.refunded = charge.amount_refunded >= charge.amount;
  const refund: StripeObject = {
    id: newId('re_'),
    object: 'refund',
    amount,
    balance_transaction: newId('txn_'),
    charge: charge.id,
    created: nowSeconds(),
    currency: intent.currency,
    metadata,
    payment_intent: intent.id,
    reason: reason ?? null,
    receipt_number: null,
    source_transfer_reversal: null,
    status: 'succeeded',
    transfer_reversal: null,
  };
  state.refunds.set(refund.id as string, refund);
  // Stripe sends charge.refunded for partial refunds too, on its own schedule (not awaited).
  deliverEvent(state, ctx, 'charge.refunded', charge).catch(() => undefined);
  return jsonReply(200, refund);
}

// ---------------------------------------------------------------------------------------------
// Settlement and webhook events

type Outcome = 'succeed' | 'fail';

function settle(state: StripeState, intent: PaymentIntent, outcome: Outcome): void {
  if (outcome === 'succeed') {
    intent.status = 'succeeded';
    intent.amount_received = intent.amount;
    const charge: Charge = {
      id: newId('ch_'),
      object: 'charge',
      amount: intent.amount,
      amount_captured: intent.amount,
      amount_refunded: 0,
      balance_transaction: newId('txn_'),
      captured: true,
      created: nowSeconds(),
      currency: intent.currency,
      livemode: false,
      metadata: { ...intent.metadata },
      paid: true,
      payment_intent: intent.id,
      payment_method: intent.payment_method ?? 'pm_card_visa',
      refunded: false,
      status: 'succeeded',
    };
    state.charges.set(charge.id, charge);
    intent.latest_charge = charge.id;
    intent.payment_method ??= 'pm_card_visa';
    intent.last_payment_error = null;
  } else {
    intent.status = 'requires_payment_method';
    intent.last_payment_error = {
      code: 'card_declined',
      decline_code: 'generic_decline',
      message: 'Your card was declined.',
      type: 'card_error',
    };
    intent.payment_method = null;
  }
}

export interface StripeDelivery {
  url: string;
  /** HTTP status from the receiver; null when it could not be reached. */
  status: number | null;
  ok: boolean;
  error?: string;
}

async function deliverEvent(state: StripeState, ctx: ServiceContext, type: string, object: StripeObject) {
  const event: StripeObject = {
    id: newId('evt_'),
    object: 'event',
    api_version: STRIPE_API_VERSION,
    created: nowSeconds(),
    data: { object: structuredClone(object) },
    livemode: false,
    pending_webhooks: state.webhook ? 1 : 0,
    request: { id: null, idempotency_key: null },
    type,
  };
  state.events.push(event);
  const endpoint = state.webhook;
  if (!endpoint) return { event, delivery: null };
  const body = JSON.stringify(event);
  const started = Date.now();
  let delivery: StripeDelivery;
  try {
    const response = await fetch(endpoint.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json; charset=utf-8',
        'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
        'stripe-signature': stripeSignature(body, endpoint.secret, nowSeconds()),
      },
      body,
      signal: AbortSignal.timeout(10_000),
    });
    await response.arrayBuffer();
    delivery = { url: endpoint.url, status: response.status, ok: response.ok };
  } catch (error) {
    delivery = { url: endpoint.url, status: null, ok: false, error: error instanceof Error ? error.message : String(error) };
  }
  ctx.log(`sandbox  stripe     -> webhook ${type} ${delivery.status ?? 'unreachable'} ${Date.now() - started}ms`);
  return { event, delivery };
}

async function sandboxHelper(req: ServiceRequest, state: StripeState, ctx: ServiceContext): Promise<Reply> {
  if (req.path === '/__sandbox/webhook_endpoint') {
    if (req.method === 'DELETE') {
      delete state.webhook;
      return jsonReply(200, { deleted: true });
    }
    if (req.method !== 'POST') return jsonReply(405, { error: 'use POST or DELETE' });
    const parsed =
      mediaType(req.headers) === 'application/json'
        ? parseJson(req.body)
        : { ok: true as const, value: Object.fromEntries(parseForm(req.body)) };
    const value = parsed.ok ? parsed.value : undefined;
    if (!isRecord(value) || typeof value.url !== 'string' || !/^https?:\/\//.test(value.url)) {
      return jsonReply(400, { error: 'body must be {url, secret?}' });
    }
    const secret = typeof value.secret === 'string' && value.secret !== '' ? value.secret : SANDBOX_CREDENTIALS.stripeWebhookSecret;
    state.webhook = { url: value.url, secret };
    return jsonReply(200, { url: value.url });
  }
  const match = /^\/__sandbox\/payment_intents\/([^/]+)\/(succeed|fail)$/.exec(req.path);
  if (!match || req.method !== 'POST') return jsonReply(404, { error: `no sandbox helper at ${req.method} ${req.path}` });
  const [, id, action] = match as unknown as [string, string, Outcome];
  const intent = state.paymentIntents.get(id);
  if (!intent) return jsonReply(404, { error: `no such payment_intent ${id}` });
  if (intent.status === 'succeeded' || intent.status === 'canceled') {
    return jsonReply(409, { error: `payment_intent ${id} is already ${intent.status}` });
  }
  settle(state, intent, action);
  const { event, delivery } = await deliverEvent(
    state,
    ctx,
    action === 'succeed' ? 'payment_intent.succeeded' : 'payment_intent.payment_failed',
    intent,
  );
  return jsonReply(200, { paymentIntent: intent, event: { id: event.id, type: event.type }, delivery });
}

// ---------------------------------------------------------------------------------------------
// Routing, auth and idempotency

function authenticate(req: ServiceRequest): void {
  // Stripe accepts the key as a Bearer token or as the Basic auth username.
  const key = bearerToken(req.headers) ?? basicAuth(req.headers)?.user;
  if (!key) {
    throw new StripeError(
      401,
      'invalid_request_error',
      "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, or we can help at https://support.stripe.com/.",
    );
  }
  if (key !== SANDBOX_CREDENTIALS.stripeSecretKey) {
    throw new StripeError(
      401,
      'invalid_request_error',
      `Invalid API Key provided: ${key.slice(0, 8)}${'*'.repeat(Math.max(0, key.length - 12))}${key.slice(-4)}`,
    );
  }
}

function readParams(req: ServiceRequest): FormObject {
  const entries: Array<[string, string]> = [...req.query];
  // Stripe reads bodies as form data whatever the content type; a JSON body therefore turns
  // into one strange parameter name and fails as "unknown parameter", as it does live.
  if (req.method !== 'GET' && req.method !== 'DELETE') entries.push(...parseForm(req.body));
  const parsed = parseNestedForm(entries);
  if (!parsed.ok) throw invalidParam(parsed.message);
  return parsed.value;
}

function route(req: ServiceRequest, params: FormObject, state: StripeState, ctx: ServiceContext): Reply {
  const { method, path } = req;
  const segments = path.split('/').filter(Boolean);
  const [version, resource, id, action] = segments;
  if (version === 'v1' && segments.length <= 4) {
    if (resource === 'products' && method === 'GET')
      return id ? retrieve(state.products, 'product', id, params, state) : listProducts(params, state);
    if (resource === 'prices' && method === 'GET')
      return id ? retrieve(state.prices, 'price', id, params, state) : listPrices(params, state);
    if (resource === 'payment_intents') {
      if (!id && method === 'POST') return createPaymentIntent(params, state, ctx);
      if (id && !action && method === 'GET') return retrieve(state.paymentIntents, 'payment_intent', id, params, state);
      if (id && action === 'cancel' && method === 'POST') return cancelPaymentIntent(id, params, state);
    }
    if (resource === 'charges' && id && !action && method === 'GET') return retrieve(state.charges, 'charge', id, params, state);
    if (resource === 'refunds') {
      if (!id && method === 'POST') return createRefund(params, state, ctx);
      if (id && !action && method === 'GET') return retrieve(state.refunds, 'refund', id, params, state);
    }
  }
  throw new StripeError(
    404,
    'invalid_request_error',
    `Unrecognized request URL (${method}: ${path}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.`,
  );
}

function fingerprint(req: ServiceRequest, params: FormObject): string {
  return `${req.method} ${req.path} ${JSON.stringify(sortKeys(params))}`;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (isRecord(value))
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, sortKeys(value[k])]),
    );
  return value;
}

async function handle(req: ServiceRequest, state: StripeState, ctx: ServiceContext): Promise<Reply> {
  if (req.path.startsWith('/__sandbox/')) return sandboxHelper(req, state, ctx);
  const requestId = newId('req_', 14);
  const headers: Record<string, string> = {
    'Request-Id': requestId,
    'Stripe-Version': headerValue(req.headers, 'stripe-version') ?? STRIPE_API_VERSION,
  };
  const idempotencyKey = req.method === 'POST' ? headerValue(req.headers, 'idempotency-key') : undefined;
  try {
    authenticate(req);
    const params = readParams(req);
    if (idempotencyKey !== undefined) {
      headers['Idempotency-Key'] = idempotencyKey;
      if (idempotencyKey.length > 255) throw invalidParam('Idempotency-Key must be at most 255 characters long.');
      const stored = state.idempotency.get(idempotencyKey);
      const print = fingerprint(req, params);
      if (stored) {
        if (stored.fingerprint !== print) {
          throw new StripeError(
            400,
            'idempotency_error',
            `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${idempotencyKey}' if you meant to execute a different request.`,
          );
        }
        req.journal.note = 'idempotent replay';
        return { ...stored.reply, headers: { ...headers, 'Idempotent-Replayed': 'true', 'Original-Request': stored.requestId } };
      }
      const reply = runStored(req, params, state, ctx);
      // Snapshot the body: the stored answer must not follow later changes of the object.
      const snapshot = { ...reply.reply, body: structuredClone(reply.reply.body) };
      if (!reply.validationFailure) state.idempotency.set(idempotencyKey, { fingerprint: print, reply: snapshot, requestId });
      return { ...reply.reply, headers: { ...headers, 'Original-Request': requestId } };
    }
    return { ...route(req, params, state, ctx), headers };
  } catch (error) {
    if (error instanceof StripeError) return jsonReply(error.status, errorBody(error), headers);
    throw error;
  }
}

/** Runs a request whose outcome is stored under its idempotency key (errors included, validation failures excepted). */
function runStored(
  req: ServiceRequest,
  params: FormObject,
  state: StripeState,
  ctx: ServiceContext,
): { reply: Reply; validationFailure: boolean } {
  try {
    return { reply: route(req, params, state, ctx), validationFailure: false };
  } catch (error) {
    if (!(error instanceof StripeError)) throw error;
    return { reply: jsonReply(error.status, errorBody(error)), validationFailure: error.validation };
  }
}

export const stripeService: Service<StripeState> = {
  name: 'stripe',
  handle,
  errorReply,
  commonHeaders: () => ({ 'Request-Id': newId('req_', 14), 'Stripe-Version': STRIPE_API_VERSION }),
};
