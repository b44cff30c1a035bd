/**
 * The product catalog, kept in Stripe (products + prices; the Stars and TON
 * prices live in product metadata `stars_price` / `ton_price_nanotons`).
 * Read through a short in-process cache: the catalog is public, changes
 * rarely, and must not cost a Stripe call per request.
 */
import type { Stripe, StripePrice, StripeProduct } from '../shared/connectors/stripe.ts';

/** The largest value a GraphQL `Int` (32-bit) can carry. */
export const GRAPHQL_INT_MAX = 2_147_483_647n;

export interface Money {
  amount: number;
  currency: string;
}

export interface Product {
  id: string;
  title: string;
  description: string | null;
  /** Price per currency in minor units, as integers (exact; bigint for TON). */
  priceBy: Map<string, bigint>;
}

export function toProduct(product: StripeProduct, prices: StripePrice[]): Product {
  const priceBy = new Map<string, bigint>();
  const stars = product.metadata.stars_price;
  if (stars && /^\d+$/.test(stars)) priceBy.set('XTR', BigInt(stars));
  for (const price of prices) {
    if (price.product === product.id && price.active && price.unit_amount !== null)
      priceBy.set(price.currency.toUpperCase(), BigInt(price.unit_amount));
  }
  const ton = product.metadata.ton_price_nanotons;
  if (ton && /^\d+$/.test(ton)) priceBy.set('TON', BigInt(ton));
  return { id: product.id, title: product.name, description: product.description, priceBy };
}

/**
 * GraphQL `Money.amount` is a 32-bit Int (the contract). A price beyond it
 * (more than ~2.1 TON in nanotons) is left out of `prices` rather than
 * rounded; createInvoice still charges the exact amount.
 */
export function pricesOf(product: Product): Money[] {
  const out: Money[] = [];
  for (const [currency, amount] of product.priceBy) {
    if (amount <= GRAPHQL_INT_MAX) out.push({ amount: Number(amount), currency });
  }
  return out;
}

export function createCatalog(stripe: Stripe, ttlMs = 60_000) {
  let cached: { at: number; products: Map<string, Product> } | undefined;
  let inflight: Promise<Map<string, Product>> | undefined;

  async function load(): Promise<Map<string, Product>> {
    if (cached && Date.now() - cached.at < ttlMs) return cached.products;
    // Single flight: concurrent requests after expiry share one Stripe round trip.
    inflight ??= stripe
      .listCatalog()
      .then(({ products, prices }) => {
        const map = new Map(products.filter((p) => p.active).map((p) => [p.id, toProduct(p, prices)]));
        cached = { at: Date.now(), products: map };
        return map;
      })
      .finally(() => {
        inflight = undefined;
      });
    return inflight;
  }

  return {
    async all(): Promise<Product[]> {
      return [...(await load()).values()];
    },
    async get(id: string): Promise<Product | undefined> {
      return (await load()).get(id);
    },
  };
}
export type Catalog = ReturnType<typeof createCatalog>;
