/** REQUEST_COLLAPSING: identical concurrent queries of one caller share one execution; other callers and mutations never do. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTinySubgraphs, type TinySubgraphs } from './fixtures/tinySubgraphs.ts';
import { startExtraGateway, type ExtraGateway } from './helpers/gateway.ts';
import { initDataFor } from './helpers/client.ts';

let tiny: TinySubgraphs;
let supergraphPath: string;
const gateways: ExtraGateway[] = [];

beforeAll(async () => {
  tiny = await startTinySubgraphs({ booksDelayMs: 100 });
  supergraphPath = join(mkdtempSync(join(tmpdir(), 'tma-collapse-')), 'supergraph.graphql');
  writeFileSync(supergraphPath, tiny.supergraphSdl);
});
afterAll(async () => {
  await Promise.all(gateways.map((g) => g.stop()));
  await tiny.close();
});

async function gatewayWith(collapsing: 'on' | 'off') {
  // Stock engine (no subgraph-fetch dedup of its own) and no response cache: only collapsing can save work here.
  const g = await startExtraGateway({
    SUPERGRAPH_PATH: supergraphPath,
    GATEWAY_ENGINE: 'apollo',
    RESPONSE_CACHE: 'off',
    REQUEST_COLLAPSING: collapsing,
  });
  gateways.push(g);
  return g;
}

const QUERY = JSON.stringify({ query: '{ books { title stars } }' });
function burst(url: string, authorizations: (string | undefined)[]) {
  return Promise.all(
    authorizations.map(async (authorization) => {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
        body: QUERY,
      });
      return (await res.json()) as { data: { books: { title: string; stars: number }[] } };
    }),
  );
}

describe('inbound request collapsing', () => {
  it('20 identical concurrent queries from one caller run once', async () => {
    const g = await gatewayWith('on');
    const before = tiny.requests.books;
    const results = await burst(
      g.url,
      Array.from({ length: 20 }, () => undefined),
    );
    expect(results.every((r) => r.data.books.length === 2 && r.data.books[0]!.stars === 5)).toBe(true);
    expect(tiny.requests.books - before).toBe(1);
  });

  it('different callers are never collapsed together', async () => {
    const g = await gatewayWith('on');
    const before = tiny.requests.books;
    await burst(
      g.url,
      Array.from({ length: 5 }, (_, i) => `tma ${initDataFor(100000030 + i)}`),
    );
    expect(tiny.requests.books - before).toBe(5);
  });

  it('is off when REQUEST_COLLAPSING=off', async () => {
    const g = await gatewayWith('off');
    const before = tiny.requests.books;
    await burst(
      g.url,
      Array.from({ length: 10 }, () => undefined),
    );
    expect(tiny.requests.books - before).toBe(10);
  });
});
