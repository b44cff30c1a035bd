/**
 * The partner endpoint `/public/graphql` over real HTTP: API keys (hashed,
 * scoped, rate limited), the `@tag`-filtered contract as the only schema a
 * partner can see, and no secret in responses or logs. The gateway under test
 * is a separate process in front of the shared stack's subgraphs; its output
 * is captured so the logs can be searched for the keys.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { buildSchema, isEnumType, isInputObjectType, isInterfaceType, isObjectType, type GraphQLSchema } from 'graphql';
import { ROOT } from '../scripts/lib/stack.ts';
import { stack, initDataFor } from './helpers/client.ts';
import { startExtraGateway, type ExtraGateway } from './helpers/gateway.ts';
import { parsePartnerKeys } from '../gateway/src/partners/keys.ts';
import { ROOT_FIELD_SCOPES } from '../gateway/src/partners/scopes.ts';
import { loadPublicSchema } from '../gateway/src/partners/schema.ts';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const newKey = () => `pk_${randomBytes(24).toString('base64url')}`;

const KEY = newKey();
const NO_SCOPE_KEY = newKey();
const LIMITED_KEY = newKey();
const ALL_KEYS = [KEY, NO_SCOPE_KEY, LIMITED_KEY];
const PARTNER_API_KEYS = [`acme:${sha(KEY)}`, `reports:${sha(NO_SCOPE_KEY)}:reports:read`, `tiny:${sha(LIMITED_KEY)}:catalog:read:3`].join(
  ',',
);

interface PublicResponse {
  status: number;
  headers: Headers;
  text: string;
  body: { data?: Record<string, unknown> | null; errors?: { message: string; extensions?: { code?: string } }[] };
}

/** Every response text and header value seen, searched at the end for the keys. */
const seen: string[] = [];

async function pub(
  url: string,
  query: string,
  options: { key?: string; headers?: Record<string, string>; method?: 'GET' | 'POST'; variables?: Record<string, unknown> } = {},
): Promise<PublicResponse> {
  const headers: Record<string, string> = { ...(options.key ? { 'x-api-key': options.key } : {}), ...options.headers };
  let res: Response;
  if (options.method === 'GET') {
    const params = new URLSearchParams({ query, ...(options.variables ? { variables: JSON.stringify(options.variables) } : {}) });
    res = await fetch(`${url}?${params}`, { headers });
  } else {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ query, variables: options.variables }),
    });
  }
  const text = await res.text();
  seen.push(text, ...[...res.headers].map(([k, v]) => `${k}: ${v}`));
  return { status: res.status, headers: res.headers, text, body: JSON.parse(text) as PublicResponse['body'] };
}

const codes = (r: PublicResponse) => r.body.errors?.map((e) => e.extensions?.code);

/** A gateway with partner keys whose whole output (LOG_LEVEL=debug) is kept for the "no key in logs" check. */
async function startLoggedGateway(env: Record<string, string>) {
  const gateway = await startExtraGateway({ LOG_LEVEL: 'debug', ...env }, { captureOutput: true });
  return { ...gateway, publicUrl: gateway.url.replace(/\/graphql$/, '/public/graphql') };
}

/** Type, field, argument and enum value names of a schema. */
function namesOf(schema: GraphQLSchema): Set<string> {
  const names = new Set<string>();
  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith('__')) continue;
    names.add(type.name);
    if (isObjectType(type) || isInterfaceType(type)) {
      for (const f of Object.values(type.getFields())) {
        names.add(f.name);
        for (const a of f.args) names.add(a.name);
      }
    }
    if (isInputObjectType(type)) for (const f of Object.values(type.getFields())) names.add(f.name);
    if (isEnumType(type)) for (const v of type.getValues()) names.add(v.name);
  }
  return names;
}

const apiNames = namesOf(buildSchema(readFileSync(join(ROOT, 'schema/api.graphql'), 'utf8')));
const publicNames = namesOf(loadPublicSchema());
const hiddenNames = new Set([...apiNames].filter((n) => !publicNames.has(n)));

/** Quoted names in error messages that belong to the full API only (and were not in the request itself). */
function leakedNames(r: PublicResponse, query: string): string[] {
  const quoted = (r.body.errors ?? []).flatMap((e) => [...e.message.matchAll(/"([A-Za-z_][A-Za-z0-9_]*)"/g)].map((m) => m[1]!));
  return quoted.filter((n) => hiddenNames.has(n) && !new RegExp(`\\b${n}\\b`).test(query));
}

describe('partner endpoint /public/graphql', () => {
  let gw: Awaited<ReturnType<typeof startLoggedGateway>>;
  beforeAll(async () => {
    gw = await startLoggedGateway({ PARTNER_API_KEYS });
  });
  afterAll(async () => {
    await gw?.stop();
  });

  it('a valid key reads the catalog (X-Api-Key, Bearer, GET), cacheable like the Mini App endpoint', async () => {
    const query = '{ products { id title prices { amount currency } } }';
    const res = await pub(gw.publicUrl, query, { key: KEY });
    expect(res.status).toBe(200);
    expect(res.body.errors).toBeUndefined();
    const products = res.body.data!.products as { id: string }[];
    expect(products.length).toBeGreaterThan(0);
    expect(res.headers.get('cache-control')).toBe('max-age=300, public');
    expect(res.headers.get('x-ratelimit-limit')).toBe('600');

    const bearer = await pub(gw.publicUrl, query, { headers: { authorization: `Bearer ${KEY}` } });
    expect(bearer.status).toBe(200);
    expect(bearer.body.data).toEqual(res.body.data);

    const get = await pub(gw.publicUrl, 'query One($id: ID!) { product(id: $id) { id title } }', {
      key: KEY,
      method: 'GET',
      variables: { id: products[0]!.id },
    });
    expect(get.status).toBe(200);
    expect((get.body.data!.product as { id: string }).id).toBe(products[0]!.id);
  });

  it('no key, a wrong key or Mini App initData: 401 UNAUTHENTICATED', async () => {
    const attempts: Record<string, string>[] = [
      {},
      { 'x-api-key': newKey() },
      { authorization: `Bearer ${newKey()}` },
      { authorization: `tma ${initDataFor(279058397)}` },
    ];
    for (const headers of attempts) {
      const res = await pub(gw.publicUrl, '{ products { id } }', { headers });
      expect(res.status).toBe(401);
      expect(codes(res)).toEqual(['UNAUTHENTICATED']);
      expect(res.body.data).toBeUndefined();
    }
  });

  it('the route exists on every gateway: without PARTNER_API_KEYS every request is 401', async () => {
    const url = new URL('/public/graphql', stack().gatewayUrl).toString();
    const res = await pub(url, '{ products { id } }', { key: KEY });
    expect(res.status).toBe(401);
    expect(codes(res)).toEqual(['UNAUTHENTICATED']);
  });

  it('a key without the scope: 403 FORBIDDEN', async () => {
    const res = await pub(gw.publicUrl, '{ products { id } }', { key: NO_SCOPE_KEY });
    expect(res.status).toBe(403);
    expect(codes(res)).toEqual(['FORBIDDEN']);
    expect(res.body.data).toBeUndefined();
  });

  it('fields outside the contract: 400 GRAPHQL_VALIDATION_FAILED, naming nothing of the full API', async () => {
    for (const query of [
      '{ me { id } }',
      '{ customers { edges { cursor } } }',
      '{ custome { id } }', // against the full API: Did you mean "customer" or "customers"?
      '{ paymen { id } }',
      '{ products { id stripeId } }',
      'query ($p: PaymentProvider) { products { id } }',
    ]) {
      const res = await pub(gw.publicUrl, query, { key: KEY });
      expect(res.status, query).toBe(400);
      expect(
        codes(res)!.every((c) => c === 'GRAPHQL_VALIDATION_FAILED'),
        query,
      ).toBe(true);
      expect(leakedNames(res, query), query).toEqual([]);
    }
    // The full API would suggest its own fields here; the contract has nothing close.
    const typo = await pub(gw.publicUrl, '{ custome { id } }', { key: KEY });
    expect(typo.text).not.toMatch(/customers?"/);
  });

  it('introspection describes the contract only', async () => {
    const res = await pub(gw.publicUrl, '{ __schema { types { name } queryType { fields { name } } mutationType { name } } }', {
      key: KEY,
    });
    expect(res.status).toBe(200);
    const schema = res.body.data!.__schema as {
      types: { name: string }[];
      queryType: { fields: { name: string }[] };
      mutationType: unknown;
    };
    const types = schema.types.map((t) => t.name).filter((n) => !n.startsWith('__'));
    expect(types).toEqual(expect.arrayContaining(['Query', 'Product', 'Money']));
    for (const hidden of ['Payment', 'Customer', 'User', 'Mutation', 'Ticket']) expect(types).not.toContain(hidden);
    expect(schema.queryType.fields.map((f) => f.name).sort()).toEqual(['eventCounts', 'product', 'products']);
    expect(schema.mutationType).toBeNull();

    const byName = await pub(gw.publicUrl, '{ __type(name: "Payment") { name fields { name } } }', { key: KEY });
    expect(byName.status).toBe(200);
    expect(byName.body.data).toEqual({ __type: null });

    // Mixed with data, introspection would reach the engine, which knows the full API: refused.
    const mixed = await pub(gw.publicUrl, '{ products { id } __type(name: "Payment") { name } }', { key: KEY });
    expect(mixed.status).toBe(400);
    expect(codes(mixed)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
  });

  it('mutations are not part of the contract: 400', async () => {
    for (const query of ['mutation { trackEvents(events: [{ name: "x", insertId: "pub-1" }]) { accepted } }', 'mutation { __typename }']) {
      const res = await pub(gw.publicUrl, query, { key: KEY });
      expect(res.status, query).toBe(400);
      expect(codes(res)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
      expect(res.body.data).toBeUndefined();
    }
  });

  it('persisted-query hashes and batches are refused (only validated text runs)', async () => {
    const hashOnly = await fetch(gw.publicUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': KEY },
      body: JSON.stringify({ extensions: { persistedQuery: { version: 1, sha256Hash: sha('{ me { id } }') } } }),
    });
    expect(hashOnly.status).toBe(400);
    const batch = await fetch(gw.publicUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': KEY },
      body: JSON.stringify([{ query: '{ products { id } }' }]),
    });
    expect(batch.status).toBe(400);
    seen.push(await hashOnly.text(), await batch.text());
  });

  it('a key with rpm 3: the 4th request in the minute is 429 RATE_LIMITED with Retry-After', async () => {
    for (let i = 0; i < 3; i++) {
      const ok = await pub(gw.publicUrl, '{ products { id } }', { key: LIMITED_KEY });
      expect(ok.status).toBe(200);
      expect(ok.headers.get('x-ratelimit-remaining')).toBe(String(2 - i));
    }
    const limited = await pub(gw.publicUrl, '{ products { id } }', { key: LIMITED_KEY });
    expect(limited.status).toBe(429);
    expect(codes(limited)).toEqual(['RATE_LIMITED']);
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    // The limit is per key: another key is unaffected.
    expect((await pub(gw.publicUrl, '{ products { id } }', { key: KEY })).status).toBe(200);
  });

  it('the keys never appear in responses or logs', async () => {
    expect(seen.length).toBeGreaterThan(20);
    const output = gw.output();
    expect(output).toContain('partner endpoint ready'); // the capture works
    for (const key of ALL_KEYS) {
      expect(seen.some((s) => s.includes(key))).toBe(false);
      expect(output).not.toContain(key);
    }
  });
});

describe("the partner engine runs with the gateway's subgraph settings", () => {
  // The products subgraph (payments) accepts connections and never answers.
  let silent: Server;
  let gw: Awaited<ReturnType<typeof startLoggedGateway>>;
  beforeAll(async () => {
    silent = createServer(() => {});
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const { port } = silent.address() as AddressInfo;
    gw = await startLoggedGateway({
      PARTNER_API_KEYS,
      SUBGRAPH_URL_PAYMENTS: `http://127.0.0.1:${port}/graphql`,
      SUBGRAPH_TIMEOUT_MS: '300',
    });
  });
  afterAll(async () => {
    await gw?.stop();
    silent?.closeAllConnections();
    await new Promise((r) => silent?.close(r));
  });

  it('SUBGRAPH_TIMEOUT_MS bounds a partner fetch, and the fetch is in the subgraph metrics', async () => {
    // Before: the partner engine had the engine's own 30 s default (as long as the test's timeout) and no metrics hook.
    const res = await pub(gw.publicUrl, '{ products { id } }', { key: KEY });
    expect(res.status).toBe(200);
    expect(codes(res)).toEqual(['SERVICE_UNAVAILABLE']);
    const metrics = await (await fetch(`${gw.base}/metrics`)).text();
    expect(metrics).toMatch(/gateway_subgraph_request_duration_seconds_count\{subgraph="payments",outcome="error"\} [1-9]/);
  });
});

describe('partner keys configuration', () => {
  it('parses name:sha256[:scopes][:rpm] with defaults, and refuses malformed entries without echoing hashes', () => {
    const h = sha('k');
    const [a, b, c] = parsePartnerKeys(` a:${h} , b:${h}:catalog:read+reports:read:30, c:${h}:5`);
    expect([a!.name, [...a!.scopes], a!.rpm]).toEqual(['a', ['catalog:read'], 600]);
    expect([b!.name, [...b!.scopes], b!.rpm]).toEqual(['b', ['catalog:read', 'reports:read'], 30]);
    expect([c!.name, [...c!.scopes], c!.rpm]).toEqual(['c', ['catalog:read'], 5]);
    expect(() => parsePartnerKeys(`a:${h.slice(1)}`)).toThrow(/entry 1/);
    expect(() => parsePartnerKeys(`a:${h},a:${h}`)).toThrow(/twice/);
    try {
      parsePartnerKeys(`x y:${h}`);
    } catch (error) {
      expect((error as Error).message).not.toContain(h);
    }
  });

  it('every root field of the contract has a scope', () => {
    const fields = Object.keys(loadPublicSchema().getQueryType()!.getFields());
    expect(fields.filter((f) => !(f in ROOT_FIELD_SCOPES))).toEqual([]);
  });

  it('hashKey.ts prints the SHA-256 of a key (argument or stdin)', () => {
    const script = join(ROOT, 'gateway/src/partners/hashKey.ts');
    expect(spawnSync(process.execPath, [script, KEY], { encoding: 'utf8' }).stdout.trim()).toBe(sha(KEY));
    expect(spawnSync(process.execPath, [script], { input: KEY, encoding: 'utf8' }).stdout.trim()).toBe(sha(KEY));
  });
});

const redisUrl = process.env.TEST_REDIS_URL;

describe.skipIf(!redisUrl)("two gateways on one Redis share a key's rate limit", () => {
  // A fresh key name per run: counters of earlier runs on the same Redis stay out of the picture.
  const name = `shared-${randomUUID().slice(0, 8)}`;
  let a: ExtraGateway;
  let b: ExtraGateway;
  beforeAll(async () => {
    const env = { REDIS_URL: redisUrl!, PARTNER_API_KEYS: `${name}:${sha(LIMITED_KEY)}:catalog:read:3` };
    [a, b] = await Promise.all([startExtraGateway(env), startExtraGateway(env)]);
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
  });

  it('3 requests spread over both replicas use up the minute on both', async () => {
    const at = (g: ExtraGateway) => new URL('/public/graphql', g.url).toString();
    expect((await pub(at(a), '{ products { id } }', { key: LIMITED_KEY })).status).toBe(200);
    expect((await pub(at(b), '{ products { id } }', { key: LIMITED_KEY })).status).toBe(200);
    expect((await pub(at(a), '{ products { id } }', { key: LIMITED_KEY })).status).toBe(200);
    const onB = await pub(at(b), '{ products { id } }', { key: LIMITED_KEY });
    expect(onB.status).toBe(429);
    expect(Number(onB.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect((await pub(at(a), '{ products { id } }', { key: LIMITED_KEY })).status).toBe(429);
  });
});
