// In-flight deduplication of identical subgraph fetches (queries only),
// header forwarding via subgraphHeaders, and that responses stay correct
// when many concurrent requests share upstream responses.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSubgraphs, type RunningSubgraphs } from './fixtures/subgraphs.ts';
import { fastGateway, post, serveGateway, stockGateway, type RunningGateway } from './fixtures/gateways.ts';

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

describe('in-flight deduplication', () => {
  it('concurrent identical queries share upstream fetches and stay correct', async () => {
    const reference = await post(stock.url, { query: QUERY });
    await withGateway({}, async (gw) => {
      // fetches of one request, sequentially
      subgraphs.control.requests = {};
      await post(gw.url, { query: QUERY });
      const perRequest = totalRequests();
      expect(perRequest).toBeGreaterThan(2);

      subgraphs.control.delayMs = 40;
      subgraphs.control.requests = {};
      try {
        const N = 20;
        const results = await Promise.all(Array.from({ length: N }, (_, i) => post(gw.url, { query: QUERY }, { authorization: `Bearer u${i}` })));
        for (const r of results) expect(r.body).toEqual(reference.body);
        const upstream = totalRequests();
        expect(upstream).toBeLessThan(N * perRequest);
        expect(upstream).toBeLessThanOrEqual(perRequest * 2);
      } finally {
        subgraphs.control.delayMs = 0;
      }
    });
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
    await withGateway(
      {
        subgraphHeaders: (ctx, name) => {
          const auth = (ctx as { headers: Record<string, string> }).headers['authorization'] ?? 'none';
          calls.push(`${name}:${auth}`);
          return { 'x-internal-token': `tok(${auth})` };
        },
      },
      async (gw) => {
        await post(gw.url, { query: '{ me { id name } }' }, { authorization: 'A' });
        expect(subgraphs.control.lastHeaders['accounts']?.['x-internal-token']).toBe('tok(A)');
        expect(calls).toEqual(['accounts:A']);

        subgraphs.control.delayMs = 40;
        subgraphs.control.requests = {};
        try {
          await Promise.all([
            post(gw.url, { query: '{ me { id name } }' }, { authorization: 'A' }),
            post(gw.url, { query: '{ me { id name } }' }, { authorization: 'A' }),
            post(gw.url, { query: '{ me { id name } }' }, { authorization: 'B' }),
          ]);
          expect(subgraphs.control.requests['accounts']).toBe(2);
        } finally {
          subgraphs.control.delayMs = 0;
        }
      },
    );
  });
});
