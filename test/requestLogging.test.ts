/**
 * Every log line written while serving a request carries its request id
 * (AsyncLocalStorage, lib/requestContext.ts), with no id outside a request.
 * Run in a child process: pino writes straight to its stdout.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../scripts/lib/stack.ts';

describe('request id in logs', () => {
  it('is on the lines of a request, and only there', () => {
    const script = `
      import { createLogger } from './lib/logger.ts';
      import { runWithRequestId, requestIdFrom } from './lib/requestContext.ts';
      const log = createLogger('t');
      log.info('outside');
      await runWithRequestId(requestIdFrom('req-42'), async () => { await new Promise((r) => setTimeout(r, 1)); log.info('inside'); });
      log.info(requestIdFrom('bad id with spaces').length === 36 ? 'fresh id for a malformed header' : 'kept a malformed header');
    `;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, LOG_LEVEL: 'info' },
    });
    expect(run.status, run.stderr).toBe(0);
    const lines = run.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { msg: string; requestId?: string });
    expect(lines).toEqual([
      expect.objectContaining({ msg: 'outside' }),
      expect.objectContaining({ msg: 'inside', requestId: 'req-42' }),
      expect.objectContaining({ msg: 'fresh id for a malformed header' }),
    ]);
    expect(lines[0]!.requestId).toBeUndefined();
  }, 60_000);
});
