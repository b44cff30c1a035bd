/**
 * `npm test`: runs vitest with its JSON reporter and prints the counts from
 * that report as the last line (`N passed, N failed[, N skipped]`), which is
 * what CI reads. Exits non-zero when any test failed or the run broke.
 * Extra arguments go to vitest (e.g. `npm test -- test/auth.test.ts`).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './lib/stack.ts';

const report = join(ROOT, '.vitest-report.json');
rmSync(report, { force: true });
const run = spawnSync(
  process.execPath,
  [
    join(ROOT, 'node_modules/vitest/vitest.mjs'),
    'run',
    '--reporter=default',
    '--reporter=json',
    `--outputFile.json=${report}`,
    ...process.argv.slice(2),
  ],
  { cwd: ROOT, stdio: 'inherit', env: process.env },
);

interface JsonReport {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
  numTotalTests: number;
  success: boolean;
  testResults: { status: string; message?: string; name: string; assertionResults?: { status: string }[] }[];
}
let parsed: JsonReport;
try {
  parsed = JSON.parse(readFileSync(report, 'utf8')) as JsonReport;
} catch {
  console.error('vitest produced no report (it crashed before running tests)');
  console.log('0 passed, 1 failed');
  process.exit(run.status || 1);
}
// A test file that failed without a failing test (it did not load, or a beforeAll threw: its tests are
// reported skipped, and for a hook inside a describe the file has no message) counts as one failure.
const brokenFiles = parsed.testResults.filter(
  (f) => f.status === 'failed' && !(f.assertionResults ?? []).some((a) => a.status === 'failed'),
).length;
const failed = parsed.numFailedTests + brokenFiles;
const skipped = parsed.numPendingTests + parsed.numTodoTests;
console.log(`${parsed.numPassedTests} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 || run.status !== 0 || parsed.numTotalTests === 0 ? 1 : 0);
