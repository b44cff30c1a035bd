// In-flight deduplication of identical subgraph fetches (queries only),
// header forwarding via subgraphHeaders, and that responses stay correct
// when many concurrent requests share upstream responses.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSubgraphs, type RunningSubgraphs } from './fixtures/subgraphs.ts';
import { fastGateway, post, serveGateway, stockGateway, type RunningGateway } from './fixtures/gateways.ts';
import type { SubgraphHook } from '../src/index.ts';

let subgraphs: RunningSubgraphs;
let stock: RunningGateway;

beforeAll(async () => {
  subgraphs = await startSubgraphs();
  stock = await serveGateway(stockGateway(subgraphs.supergraphSdl));
}, 60_000);

afterAll(async () => {
  await stock?.close();
  await subgraphs?.close();
});

const QUERY = '{ topProducts { upc name inStock shippingEstimate reviews { id body author { id username name } } } }';

function totalRequests(): number {
  return Object.values(subgraphs.control.requests).reduce((a, b) => a + b, 0);
}

async function withGateway<T>(opts: Parameters<typeof fastGateway>[1], fn: (gw: RunningGateway) => Promise<T>): Promise<T> {
  const gw = await serveGateway(fastGateway(subgraphs.supergraphSdl, opts));
  try {
    return await fn(gw);
  } finally {
    await gw.close();
  }
}

/**
 * Holds every subgraph response until `n` fetches of that subgraph have been
 * asked for by the engine (counted by a hook, before dedup): then all of them
 * are in flight at once, with no timing assumption.
 */
function gateUntil(n: number): { hook: SubgraphHook; close(): void } {
  const asked: Record<string, number> = {};
  const waiting: Record<string, (() => void)[]> = {};
  const hook: SubgraphHook = (request, next) => {
    const name = request.subgraphName;
    asked[name] = (asked[name] ?? 0) + 1;
    if (asked[name] >= n) for (const release of waiting[name]?.splice(0) ?? []) release();
    return next(request);
  };
  subgraphs.control.gate = (name) => ((asked[name] ?? 0) >= n ? Promise.resolve() : new Promise((r) => (waiting[name] ??= []).push(r)));
  return {
    hook,
    close() {
      subgraphs.control.gate = undefined;
      for (const list of Object.values(waiting)) for (const release of list.splice(0)) release();
    },
  };
}

describe('in-flight deduplication', () => {
  it('concurrent identical queries share upstream fetches and stay correct; fetchHooks see each sent request once', async () => {
    const reference = await post(stock.url, { query: QUERY });
    const N = 20;
    const gate = gateUntil(N);
    let clientFetches = 0;
    const countClientFetches: SubgraphHook = (request, next) => (clientFetches++, next(request));
    let sentFetches = 0;
    const countSentFetches: SubgraphHook = (request, next) => (sentFetches++, next(request));
    try {
      await withGateway({ subgraphHooks: [gate.hook, countClientFetches], fetchHooks: [countSentFetches] }, async (gw) => {
        subgraphs.control.requests = {};
        const results = await Promise.all(
          Array.from({ length: N }, (_, i) => post(gw.url, { query: QUERY }, { authorization: `Bearer u${i}` })),
        );
        for (const r of results) expect(r.body).toEqual(reference.body);
        gate.close();
        // fetches of one request on its own
        const before = totalRequests();
        subgraphs.control.requests = {};
        await post(gw.url, { query: QUERY });
        const perRequest = totalRequests();
        expect(perRequest).toBeGreaterThan(2);
        // the N concurrent requests cost exactly one request's fetches
        expect(before).toBe(perRequest);
        // subgraphHooks ran for every fetch of every client request, fetchHooks for each HTTP request sent
        expect(clientFetches).toBe((N + 1) * perRequest);
        expect(sentFetches).toBe(2 * perRequest);
      });
    } finally {
      gate.close();
    }
  });

  it('dedupeInflight: false sends every fetch', async () => {
    await withGateway({ dedupeInflight: false }, async (gw) => {
      subgraphs.control.requests = {};
      await post(gw.url, { query: QUERY });
      const perRequest = totalRequests();
      subgraphs.control.delayMs = 40;
      subgraphs.control.requests = {};
      try {
        const N = 10;
        await Promise.all(Array.from({ length: N }, () => post(gw.url, { query: QUERY })));
        expect(totalRequests()).toBe(N * perRequest);
      } finally {
        subgraphs.control.delayMs = 0;
      }
    });
  });

  it('mutations are never deduplicated', async () => {
    await withGateway({}, async (gw) => {
      subgraphs.control.delayMs = 40;
      subgraphs.control.requests = {};
      try {
        const N = 8;
        const m = 'mutation { setName(id: "2", name: "Same") { id name reviews { id } } }';
        const results = await Promise.all(Array.from({ length: N }, () => post(gw.url, { query: m })));
        for (const r of results) expect(r.body).toEqual(results[0]!.body);
        // every mutation: 1 accounts fetch + 1 reviews entity fetch
        expect(subgraphs.control.requests['accounts']).toBe(N);
        expect(subgraphs.control.requests['reviews']).toBe(N);
      } finally {
        subgraphs.control.delayMs = 0;
      }
    });
  });

  it('subgraphHeaders are sent per request and are part of the dedup key', async () => {
    const calls: string[] = [];
    const gate = gateUntil(3);
    try {
      await withGateway(
        {
          subgraphHeaders: (ctx, name) => {
            const auth = (ctx as { headers: Record<string, string> }).headers['authorization'] ?? 'none';
            calls.push(`${name}:${auth}`);
            return { 'x-internal-token': `tok(${auth})` };
          },
          subgraphHooks: [gate.hook],
        },
        async (gw) => {
          subgraphs.control.requests = {};
          // three requests in flight together: A and A share a fetch, B has its own token
          await Promise.all([
            post(gw.url, { query: '{ me { id name } }' }, { authorization: 'A' }),
            post(gw.url, { query: '{ me { id name } }' }, { authorization: 'A' }),
            post(gw.url, { query: '{ me { id name } }' }, { authorization: 'B' }),
          ]);
          expect(subgraphs.control.requests['accounts']).toBe(2);
          expect(calls.sort()).toEqual(['accounts:A', 'accounts:A', 'accounts:B']);
          gate.close();
          await post(gw.url, { query: '{ me { id name } }' }, { authorization: 'C' });
          expect(subgraphs.control.lastHeaders['accounts']?.['x-internal-token']).toBe('tok(C)');
        },
      );
    } finally {
      gate.close();
    }
  });
});

describe('representations shared between concurrent requests (representationMemo.ts)', () => {
  // me -> reviews -> product: price and weight come from a products entity fetch, and
  // inventory's shippingEstimate @requires them. Every fetch is shared between the two
  // requests except what the products subgraph answers, which a hook rewrites for one of
  // them: the inventory representations are built from the very same entities, read
  // through different layers, and must not be taken from the other request.
  const Q = '{ me { id reviews { id product { upc shippingEstimate } } } }';

  it('builds its own representations when the layers of the same entities differ', async () => {
    const { subgraphResponse } = await import('../src/index.ts');
    const reference = await post(stock.url, { query: Q });
    const estimates = (body: unknown) =>
      ((body as { data: { me: { reviews: { product: { shippingEstimate: number | null } | null }[] } } }).data.me.reviews ?? []).map(
        (r) => r.product?.shippingEstimate,
      );
    expect(estimates(reference.body).some((e) => typeof e === 'number' && e > 0)).toBe(true);
    const pricier: SubgraphHook = async (request, next) => {
      const response = await next(request);
      const auth = (request.context as { headers: Record<string, string> }).headers['authorization'];
      if (request.subgraphName !== 'products' || auth !== 'rich' || response.kind !== 'response') return response;
      // over 1000: the inventory subgraph estimates 0 for it
      return subgraphResponse({ url: response.url, text: response.text.replace(/"price":\d+/g, '"price":5000') });
    };
    const gate = gateUntil(2);
    try {
      await withGateway({ subgraphHooks: [gate.hook, pricier] }, async (gw) => {
        subgraphs.control.requests = {};
        const [plain, rich] = await Promise.all([
          post(gw.url, { query: Q }, { authorization: 'plain' }),
          post(gw.url, { query: Q }, { authorization: 'rich' }),
        ]);
        expect(plain.body).toEqual(reference.body);
        expect(estimates(rich.body).length).toBe(estimates(reference.body).length);
        expect(estimates(rich.body).every((e) => e === 0)).toBe(true);
        // the products fetch was shared (one upstream request); inventory got two different bodies
        expect(subgraphs.control.requests['products']).toBe(1);
        expect(subgraphs.control.requests['inventory']).toBe(2);
      });
    } finally {
      gate.close();
    }
  });
});

describe('dedupeHook with long bodies (tens of KB of representations)', () => {
  it('shares only byte-identical bodies, also among bodies of one length that differ where they are not sampled', async () => {
    const { composeHooks, dedupeHook, subgraphResponse } = await import('../src/index.ts');
    const upstream: { body: string; release: () => void }[] = [];
    const fetch = composeHooks([dedupeHook()], (request) => {
      return new Promise((resolve) => {
        const response = subgraphResponse({ url: request.url, text: request.body });
        upstream.push({ body: request.body, release: () => resolve(response) });
      });
    });
    const request = (body: string) => ({
      subgraphName: 'products',
      url: 'http://127.0.0.1:1/graphql',
      body,
      headers: {},
      operationKind: 'query' as const,
      clientOperationKind: 'query' as const,
      context: {},
      signal: undefined,
      timeoutMs: 1_000,
    });
    const long = `{"query":"q","variables":{"representations":[${'"x",'.repeat(5_000)}"y"]}}`;
    const sameLengthOtherByte = `${long.slice(0, 1)}Z${long.slice(2)}`; // differs at index 1: never sampled
    expect(sameLengthOtherByte.length).toBe(long.length);
    const a = fetch(request(long));
    const b = fetch(request(`${long}`.slice(0))); // equal content, another string
    const c = fetch(request(sameLengthOtherByte));
    expect(upstream.map((u) => u.body === long)).toEqual([true, false]);
    for (const u of upstream) u.release();
    const [ra, rb, rc] = await Promise.all([a, b, c]);
    expect(ra).toBe(rb); // one shared response
    expect(rc).not.toBe(ra);
    expect((rc as { text: string }).text).toBe(sameLengthOtherByte);
    // settled fetches are forgotten: the same body later is a new upstream request
    const d = fetch(request(long));
    expect(upstream).toHaveLength(3);
    upstream[2]!.release();
    await d;
  });
});
