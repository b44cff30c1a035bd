/**
 * Stripe connector: form-encoded bodies (`a[b]=c`), Bearer secret key, a
 * pinned API version, and `Idempotency-Key` on every write so a retry never
 * creates a second object (EXTERNAL-APIS.md §5).
 */
import { createConnector, UpstreamError } from '../connector.ts';
import type { Logger } from '../../../lib/logger.ts';

export const STRIPE_API_VERSION = '2026-07-29.dahlia';

export interface StripeList<T> {
  object: 'list';
  data: T[];
  has_more: boolean;
}
export interface StripeProduct {
  id: string;
  name: string;
  description: string | null;
  active: boolean;
  metadata: Record<string, string>;
  default_price?: string | null;
}
export interface StripePrice {
  id: string;
  product: string;
  currency: string;
  unit_amount: number | null;
  active: boolean;
}
export interface StripePaymentIntent {
  id: string;
  amount: number;
  /** What was actually charged (minor units); 0 until the PaymentIntent succeeded. */
  amount_received: number;
  currency: string;
  status: string;
  client_secret: string;
  latest_charge?: string | null;
  last_payment_error?: { code?: string; message?: string } | null;
  metadata: Record<string, string>;
}
export interface StripeCharge {
  id: string;
  payment_intent: string | null;
  amount: number;
  /** Cumulative refunded amount (minor units); partial refunds count too. */
  amount_refunded: number;
  /** true only once the whole charge is refunded. */
  refunded: boolean;
  currency: string;
  status: string;
}
export interface StripeRefund {
  id: string;
  payment_intent: string;
  amount: number;
  status: string;
}

export class StripeApiError extends Error {
  override name = 'StripeApiError';
  readonly type: string;
  readonly code: string | undefined;
  readonly status: number;
  constructor(status: number, type: string, code: string | undefined, message: string) {
    super(message);
    this.status = status;
    this.type = type;
    this.code = code;
  }
}

/** Flattens nested params to Stripe's form encoding: {metadata:{a:1}} → metadata[a]=1. */
export function stripeForm(params: Record<string, unknown>, prefix = ''): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === null) continue;
    const name = prefix ? `${prefix}[${key}]` : key;
    if (Array.isArray(value)) {
      value.forEach((v, i) => {
        if (typeof v === 'object' && v !== null) Object.assign(out, stripeForm(v as Record<string, unknown>, `${name}[${i}]`));
        else out[`${name}[${i}]`] = String(v);
      });
    } else if (typeof value === 'object') {
      Object.assign(out, stripeForm(value as Record<string, unknown>, name));
    } else {
      out[name] = String(value);
    }
  }
  return out;
}

export function createStripe(options: { baseUrl: string; secretKey: string; log?: Logger; sandbox?: boolean }) {
  const connector = createConnector({
    service: 'stripe',
    baseUrl: options.baseUrl,
    headers: { authorization: `Bearer ${options.secretKey}`, 'stripe-version': STRIPE_API_VERSION },
    log: options.log,
    sandbox: options.sandbox,
    rateLimit: { points: 25, durationSeconds: 1 },
    classify: ({ status, headers }) => {
      const should = headers['stripe-should-retry'];
      if (should === 'true') return { retryable: true };
      if (should === 'false') return { retryable: false };
      return { retryable: status === 409 || status === 429 || status >= 500 };
    },
  });

  async function call<T>(method: 'GET' | 'POST', path: string, params: Record<string, unknown> = {}, idempotencyKey?: string): Promise<T> {
    try {
      const res = await connector.request<T>(
        method === 'GET'
          ? { method, path, query: stripeForm(params) }
          : {
              method,
              path,
              form: stripeForm(params),
              headers: idempotencyKey ? { 'idempotency-key': idempotencyKey } : {},
              // A write may be repeated only under the same idempotency key (Stripe replays the first answer).
              idempotent: idempotencyKey !== undefined,
            },
      );
      return res.body;
    } catch (error) {
      if (error instanceof UpstreamError && error.status >= 400 && error.status < 500) {
        const e = (error.body as { error?: { type?: string; code?: string; message?: string } } | undefined)?.error;
        throw new StripeApiError(
          error.status,
          e?.type ?? 'invalid_request_error',
          e?.code,
          e?.message ?? `Stripe answered HTTP ${error.status}`,
        );
      }
      throw error;
    }
  }

  return {
    /** All active products with their prices (paginated through). */
    async listCatalog(): Promise<{ products: StripeProduct[]; prices: StripePrice[] }> {
      const products: StripeProduct[] = [];
      let after: string | undefined;
      do {
        const page: StripeList<StripeProduct> = await call<StripeList<StripeProduct>>('GET', '/v1/products', {
          active: true,
          limit: 100,
          starting_after: after,
        });
        products.push(...page.data);
        after = page.has_more ? page.data.at(-1)?.id : undefined;
      } while (after);
      const prices: StripePrice[] = [];
      after = undefined;
      do {
        const page: StripeList<StripePrice> = await call<StripeList<StripePrice>>('GET', '/v1/prices', {
          active: true,
          limit: 100,
          starting_after: after,
        });
        prices.push(...page.data);
        after = page.has_more ? page.data.at(-1)?.id : undefined;
      } while (after);
      return { products, prices };
    },
    createPaymentIntent(
      params: { amount: number; currency: string; metadata: Record<string, string>; description?: string },
      idempotencyKey: string,
    ) {
      return call<StripePaymentIntent>(
        'POST',
        '/v1/payment_intents',
        { ...params, automatic_payment_methods: { enabled: true } },
        idempotencyKey,
      );
    },
    retrievePaymentIntent(id: string) {
      return call<StripePaymentIntent>('GET', `/v1/payment_intents/${encodeURIComponent(id)}`);
    },
    retrieveCharge(id: string) {
      return call<StripeCharge>('GET', `/v1/charges/${encodeURIComponent(id)}`);
    },
    createRefund(paymentIntentId: string, idempotencyKey: string) {
      return call<StripeRefund>('POST', '/v1/refunds', { payment_intent: paymentIntentId }, idempotencyKey);
    },
    close: () => connector.close(),
  };
}
export type Stripe = ReturnType<typeof createStripe>;
