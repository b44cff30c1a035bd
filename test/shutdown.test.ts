/**
 * SIGTERM outside the test environment (where Apollo Server installs its own
 * termination handlers): a subgraph drains and exits 0 on its own, well inside
 * SHUTDOWN_GRACE_MS. Reproduced on main: Apollo's handler and ours both stopped
 * the same server, ours waited on Apollo's stop, and the process was ended by
 * the "never hang" timer (exit 1) after the grace period plus 5 s, so `npm start`
 * took ~15 s to stop even when idle.
 */
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { freePort, ROOT, waitForHttp } from '../scripts/lib/stack.ts';

describe('shutdown on SIGTERM', () => {
  it('a subgraph (NODE_ENV=development) drains and exits 0 by itself', async () => {
    const port = await freePort();
    const dataDir = mkdtempSync(join(tmpdir(), 'tma-shutdown-'));
    const child = spawn(process.execPath, ['subgraphs/shared/main.ts', 'telegram'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        NODE_ENV: 'development',
        SUBGRAPH_PORT: String(port),
        DATA_DIR: dataDir,
        DATABASE_URL: '',
        INTERNAL_JWT_SECRET: randomBytes(32).toString('base64url'),
        // Short, so the fallback timer (grace + 5 s, exit 1) fires well inside the test's timeout if the drain hangs.
        SHUTDOWN_GRACE_MS: '1000',
        LOG_LEVEL: 'info',
      },
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    try {
      await waitForHttp(`http://127.0.0.1:${port}/healthz`, 90_000, () => child.exitCode === null);
      child.kill('SIGTERM');
      expect(await exited, output).toBe(0);
      expect(output).toContain('"msg":"stopped"');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
