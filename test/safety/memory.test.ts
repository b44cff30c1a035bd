/**
 * Memory bounded by bytes. The finding: 250 anonymous 1 MB requests (`{ products { id } }` padded
 * with whitespace) grew the gateway by 545 MB and it kept it, because memos and caches were keyed by
 * the full request text; 100 APQ registrations added 188 MB. Here a fresh gateway process takes 200
 * distinct ~100 KiB anonymous queries (and 100 APQ registrations of such documents) and its resident
 * memory, read from /proc, may grow by less than 60 MB.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startExtraGateway, type ExtraGateway } from '../helpers/gateway.ts';

const rssBytes = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;
/** A distinct ~100 KiB document: the catalog query, padded so that every request text differs. */
const padded = (i: number) => `{ products { id } } # ${i} ${'x'.repeat(100 * 1024)}`;

describe.skipIf(process.platform !== 'linux')('gateway memory under large distinct requests', () => {
  let gateway: ExtraGateway;
  beforeAll(async () => {
    gateway = await startExtraGateway({});
  });
  afterAll(() => gateway?.stop());

  it('200 distinct ~100 KiB anonymous queries and 100 APQ registrations grow RSS by less than 60 MB', { timeout: 600_000 }, async () => {
    const post = (body: unknown) => fetch(gateway.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    // Warm up every path once (engine, caches, Apollo's document store) before the baseline.
    for (let i = 0; i < 5; i++) expect((await post({ query: padded(-1 - i) })).status).toBe(200);
    const before = rssBytes(gateway.pid);

    for (let i = 0; i < 200; i++) {
      const res = await post({ query: padded(i) });
      expect(res.status).toBe(200);
      await res.arrayBuffer();
    }
    for (let i = 0; i < 100; i++) {
      const query = padded(1_000 + i);
      const sha256Hash = createHash('sha256').update(query).digest('hex');
      const res = await post({ query, extensions: { persistedQuery: { version: 1, sha256Hash } } });
      expect(res.status).toBe(200);
      await res.arrayBuffer();
    }
    const grown = rssBytes(gateway.pid) - before;
    expect(grown).toBeLessThan(60 * 1024 * 1024);
  });
});
