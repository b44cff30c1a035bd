/**
 * Memory bounded by bytes. The finding: 250 anonymous 1 MB requests (`{ products { id } }` padded
 * with whitespace) grew the gateway by 545 MB and it kept it, because memos and caches were keyed by
 * the full request text; 100 APQ registrations added 188 MB. Here a fresh gateway process takes 200
 * distinct ~100 KiB anonymous queries and its resident memory, read from /proc, may grow by less
 * than 60 MB. The baseline is taken after 100 such requests: V8 sizes its young generation to the
 * allocation rate once (tens of MB, whatever the caches do), and that is not what this measures.
 */
import { spawnSync } from 'node:child_process';
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
    // Measured as production runs it: the launcher's heap flags are part of what bounds the memory.
    gateway = await startExtraGateway({}, { viaLauncher: true });
  });
  afterAll(() => gateway?.stop());

  const post = (body: unknown) =>
    fetch(gateway.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  it('200 distinct ~100 KiB anonymous queries grow RSS by less than 60 MB', { timeout: 600_000 }, async () => {
    for (let i = 0; i < 100; i++) {
      const res = await post({ query: padded(-1 - i) });
      expect(res.status).toBe(200);
      await res.arrayBuffer();
    }
    const before = rssBytes(gateway.pid);

    for (let i = 0; i < 200; i++) {
      const res = await post({ query: padded(i) });
      expect(res.status).toBe(200);
      await res.arrayBuffer();
    }
    const grown = rssBytes(gateway.pid) - before;
    expect(grown).toBeLessThan(60 * 1024 * 1024);
  });

  it('the launcher runs the gateway as node itself, with its heap flags, fast JSON, two malloc arenas and a fixed mmap threshold', () => {
    const argv = readFileSync(`/proc/${gateway.pid}/cmdline`, 'utf8').split('\0');
    expect(argv[0]).toMatch(/node$/);
    expect(argv).toContain('--max-semi-space-size=16');
    expect(argv).toContain('--heap-growing-percent=55');
    expect(argv).toContain('--max-old-space-size=192');
    // V8's fast JSON.stringify, when this node knows the flag (Node 24; the default from Node 25)
    const knowsFastJson = spawnSync(argv[0]!, ['--json-stringify-fast-path', '-e', '']).status === 0;
    expect(argv.includes('--json-stringify-fast-path')).toBe(knowsFastJson);
    const environ = readFileSync(`/proc/${gateway.pid}/environ`, 'utf8').split('\0');
    expect(environ).toContain('MALLOC_ARENA_MAX=2');
    expect(environ).toContain('MALLOC_MMAP_THRESHOLD_=131072');
  });

  it('APQ stores only documents that pass validation and the limits', async () => {
    const apq = (query: string) => ({
      query,
      extensions: { persistedQuery: { version: 1, sha256Hash: createHash('sha256').update(query).digest('hex') } },
    });
    const byHashOnly = (query: string) => ({ extensions: apq(query).extensions });
    for (const refused of [`{ products { nope } } # ${'x'.repeat(50_000)}`, `{ products { ${'id '.repeat(3000)}} }`]) {
      expect((await post(apq(refused))).status).toBe(400);
      const again = (await (await post(byHashOnly(refused))).json()) as { errors: { extensions: { code: string } }[] };
      expect(again.errors[0]!.extensions.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    }
    const fine = `{ products { id } } # apq ${'x'.repeat(50_000)}`;
    expect((await post(apq(fine))).status).toBe(200);
    expect((await post(byHashOnly(fine))).status).toBe(200);
  });
});
