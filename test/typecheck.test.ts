/** The whole project typechecks in strict mode (Node runs the sources without a build, so nothing else would catch a type error). */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { ROOT } from '../scripts/lib/stack.ts';

describe('typescript', () => {
  it('tsc --noEmit passes', () => {
    const run = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json', '--noEmit'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(run.stdout + run.stderr).toBe('');
    expect(run.status).toBe(0);
  }, 180_000);
});
