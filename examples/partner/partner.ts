/**
 * A partner's server-side integration with the public API, as a partner
 * would write it: one API key in the X-Api-Key header, operations from
 * operations.graphql typed by graphql-codegen against schema/public.graphql
 * (codegen.ts), limits handled the way the README's partner guide says.
 *
 *   PARTNER_API_KEY=pk_… node examples/partner/partner.ts
 *   PARTNER_API_URL defaults to http://localhost:4000/public/graphql
 *
 * Prints the catalog, then daily event counts when the key has the
 * analytics:read scope. Exits 1 on any error it cannot handle.
 */
import { readFileSync } from 'node:fs';
import type { CatalogQuery, EventCountsQuery, EventCountsQueryVariables } from './generated/operations.ts';

const API_URL = process.env.PARTNER_API_URL ?? 'http://localhost:4000/public/graphql';
const API_KEY = process.env.PARTNER_API_KEY;
/** Both operations in one document; each request names the one to run. */
const DOCUMENT = readFileSync(new URL('./operations.graphql', import.meta.url), 'utf8');
const MAX_RATE_LIMIT_RETRIES = 3;
const REQUEST_TIMEOUT_MS = 10_000;

interface GraphQLError {
  message: string;
  extensions?: { code?: string; requiredScope?: string; resetAt?: string };
}

export class PartnerApiError extends Error {
  readonly code: string;
  readonly details: GraphQLError['extensions'];
  constructor(code: string, message: string, details: GraphQLError['extensions'] = {}) {
    super(message);
    this.code = code;
    this.details = details;
  }
}

async function request<TData>(operationName: string, variables: Record<string, unknown> = {}): Promise<TData> {
  for (let attempt = 0; ; attempt++) {
    const res = await fetch(API_URL, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': API_KEY! },
      body: JSON.stringify({ query: DOCUMENT, operationName, variables }),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const body = (await res.json()) as { data?: TData; errors?: GraphQLError[] };
    const error = body.errors?.[0];
    // Per-minute limit: wait as long as the server says, a few times at most.
    if (res.status === 429 && error?.extensions?.code === 'RATE_LIMITED' && attempt < MAX_RATE_LIMIT_RETRIES) {
      const seconds = Number(res.headers.get('retry-after') ?? '1');
      console.error(`rate limited (${res.headers.get('x-ratelimit-limit')}/min): retrying in ${seconds} s`);
      await new Promise((r) => setTimeout(r, seconds * 1000));
      continue;
    }
    if (error) throw new PartnerApiError(error.extensions?.code ?? `HTTP_${res.status}`, error.message, error.extensions);
    if (!res.ok || !body.data) throw new PartnerApiError(`HTTP_${res.status}`, 'unexpected response without data');
    return body.data;
  }
}

async function main(): Promise<void> {
  if (!API_KEY) {
    console.error('Set PARTNER_API_KEY (from `npm run keys -- create …`).');
    process.exit(2);
  }
  // `products` is null (with a SERVICE_UNAVAILABLE error) when the catalog's subgraph is down.
  const products = (await request<CatalogQuery>('Catalog')).products ?? [];
  console.log(`catalog: ${products.length} products`);
  for (const p of products) console.log(`  ${p.id}  ${p.title}  ${p.prices.map((m) => `${m.amount} ${m.currency}`).join(', ')}`);

  try {
    const since = new Date(Date.now() - 7 * 24 * 3600_000).toISOString();
    const variables: EventCountsQueryVariables = { from: since, to: null };
    const { eventCounts } = await request<EventCountsQuery>('EventCounts', variables);
    console.log(`analytics: ${eventCounts.length} event/day rows over the last 7 days`);
    for (const row of eventCounts.slice(0, 20)) console.log(`  ${row.day}  ${row.name}  ${row.events} events, ${row.users} users`);
  } catch (error) {
    // A key without the scope is told which scope it lacks; nothing ran.
    if (error instanceof PartnerApiError && error.code === 'FORBIDDEN')
      console.log(`analytics: not available to this key (needs ${error.details?.requiredScope})`);
    else throw error;
  }
}

main().catch((error: unknown) => {
  if (error instanceof PartnerApiError && error.code === 'QUOTA_EXCEEDED')
    console.error(`monthly quota used up until ${error.details?.resetAt}`);
  else console.error(`partner example failed: ${error instanceof PartnerApiError ? `${error.code}: ` : ''}${(error as Error).message}`);
  process.exit(1);
});
