/**
 * The gateway as a general federation gateway: `npm run gateway` with
 * SUPERGRAPH_PATH/PORT/HOST serves any supergraph, is healthy within 3 s,
 * treats requests without initData as anonymous and exits promptly on SIGTERM.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, ROOT } from '../scripts/lib/stack.ts';
import { startTinySubgraphs, type TinySubgraphs } from './fixtures/tinySubgraphs.ts';

let tiny: TinySubgraphs;
let supergraphPath: string;

beforeAll(async () => {
  tiny = await startTinySubgraphs();
  supergraphPath = join(mkdtempSync(join(tmpdir(), 'tma-sg-')), 'supergraph.graphql');
  writeFileSync(supergraphPath, tiny.supergraphSdl);
});
afterAll(() => tiny.close());

describe.each(['fast', 'apollo'] as const)('any-supergraph mode (%s engine)', (engine) => {
  it('serves a foreign supergraph, is healthy in under 3 s, and stops on SIGTERM', async () => {
    const port = await freePort();
    const started = Date.now();
    const child = spawn('npm', ['run', '--silent', 'gateway'], {
      cwd: ROOT,
      detached: true,
      stdio: 'ignore',
      env: { ...process.env, SUPERGRAPH_PATH: supergraphPath, PORT: String(port), HOST: '127.0.0.1', NODE_ENV: 'production', GATEWAY_ENGINE: engine, INTERNAL_JWT_SECRET: '' },
    });
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    let healthyAfter = -1;
    while (Date.now() - started < 10_000) {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/healthz`);
        if (res.ok) {
          healthyAfter = Date.now() - started;
          break;
        }
      } catch {
        // not yet
      }
      await new Promise((r) => setTimeout(r, 25));
    }
    expect(healthyAfter).toBeGreaterThan(0);
    expect(healthyAfter).toBeLessThan(3_000);

    const res = await fetch(`http://127.0.0.1:${port}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer unique-123' },
      body: JSON.stringify({ query: 'query TestQuery { books { isbn title stars } }', operationName: 'TestQuery' }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ data: { books: [{ isbn: '1', title: 'Dune', stars: 5 }, { isbn: '2', title: 'Solaris', stars: 4 }] } });

    const stopAt = Date.now();
    process.kill(-child.pid!, 'SIGTERM');
    await exited;
    expect(Date.now() - stopAt).toBeLessThan(3_000);
  });
});
