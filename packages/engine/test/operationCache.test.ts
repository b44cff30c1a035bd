// Compiled operations (plan, plan executor, generated shaper) are kept for reuse within a byte bound.
// Before it, only the documents were bounded: each distinct operation of the federation benchmark's
// shape kept ~100 KB of compiled state alive through its cached document, and 1,500 distinct ones ran
// the gateway out of memory. Here a gateway with a 1 MB bound answers many distinct operations:
// the estimate stays within the bound, old operations are dropped, and an operation compiled again
// after being dropped answers the same as before.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSubgraphs, type RunningSubgraphs } from './fixtures/subgraphs.ts';
import { fastGateway, post, serveGateway, type RunningGateway } from './fixtures/gateways.ts';
import type { FastGateway } from '../src/index.ts';

let subgraphs: RunningSubgraphs;
let gateway: FastGateway;
let served: RunningGateway;
const BOUND = 1024 * 1024;

beforeAll(async () => {
  subgraphs = await startSubgraphs();
  gateway = fastGateway(subgraphs.supergraphSdl, { maxCompiledOperationBytes: BOUND });
  served = await serveGateway(gateway);
});
afterAll(async () => {
  await served?.close();
  await subgraphs?.close();
});

// distinct by the alias of its root field: a new document, plan and shaper each
const query = (i: number) =>
  `query Q { t${i}: topProducts { upc name price reviews { id body author { id name reviews { id product { upc name } } } } } }`;

describe('compiled operations are bounded in bytes', () => {
  it('keeps the estimate under the bound, drops the oldest, and compiles a dropped one again with the same answer', async () => {
    const first = await post(served.url, { query: query(0) });
    expect(first.status).toBe(200);
    const one = gateway.stats.compiledOperations;
    expect(one.entries).toBe(1);
    expect(one.bytes).toBeGreaterThan(16 * 1024);

    const n = Math.ceil((2 * BOUND) / one.bytes) + 5; // twice what the bound holds
    for (let i = 1; i <= n; i++) {
      const res = await post(served.url, { query: query(i) });
      expect(res.status).toBe(200);
      const kept = gateway.stats.compiledOperations;
      expect(kept.bytes).toBeLessThanOrEqual(BOUND);
    }
    const kept = gateway.stats.compiledOperations;
    expect(kept.entries).toBeLessThan(n);
    expect(kept.entries).toBeGreaterThan(1);

    // query(0) was dropped long ago: compiled again, same bytes as the first time
    const again = await post(served.url, { query: query(0) });
    expect(again.text).toBe(first.text);
  });
});
