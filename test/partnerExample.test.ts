/**
 * The partner example (examples/partner) runs against the stack exactly as
 * the README tells a partner to: a key from `npm run keys`, the script with
 * PARTNER_API_URL and PARTNER_API_KEY. Its typed operations must be current
 * against schema/public.graphql (codegen --check).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../scripts/lib/stack.ts';
import { startExtraGateway, type ExtraGateway } from './helpers/gateway.ts';

const run = promisify(execFile);
const dataDir = mkdtempSync(join(tmpdir(), 'tma-partner-example-'));
const storeEnv = { DATA_DIR: dataDir, DATABASE_URL: '' };

async function createKey(name: string, scopes: string): Promise<string> {
  const { stdout } = await run(process.execPath, ['scripts/keys.ts', 'create', '--name', name, '--scopes', scopes], {
    cwd: ROOT,
    env: { ...process.env, ...storeEnv },
  });
  return /^(pk_\S+)$/m.exec(stdout)![1]!;
}

async function example(gw: ExtraGateway, key: string) {
  try {
    const { stdout, stderr } = await run(process.execPath, ['examples/partner/partner.ts'], {
      cwd: ROOT,
      env: { ...process.env, PARTNER_API_URL: gw.url.replace(/\/graphql$/, '/public/graphql'), PARTNER_API_KEY: key },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** A just-created key reaches the gateway within its refresh interval: until then the example sees 401. */
async function exampleWithNewKey(gw: ExtraGateway, key: string) {
  let out = await example(gw, key);
  for (let i = 0; i < 20 && out.stderr.includes('UNAUTHENTICATED'); i++) {
    await new Promise((r) => setTimeout(r, 500));
    out = await example(gw, key);
  }
  return out;
}

describe('examples/partner', { timeout: 120_000 }, () => {
  let gw: ExtraGateway;
  beforeAll(async () => {
    gw = await startExtraGateway(storeEnv);
  });
  afterAll(async () => {
    await gw?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('with catalog:read + analytics:read: prints the catalog and the event counts', async () => {
    const key = await createKey('example-full', 'catalog:read,analytics:read');
    const out = await exampleWithNewKey(gw, key);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toMatch(/^catalog: [1-9]\d* products$/m);
    expect(out.stdout).toMatch(/^ {2}prod_\S+ {2}.+\d+ XTR/m);
    expect(out.stdout).toMatch(/^analytics: \d+ event\/day rows over the last 7 days$/m);
  });

  it('with catalog:read only: the catalog, and analytics reported as needing its scope', async () => {
    const key = await createKey('example-catalog', 'catalog:read');
    const out = await exampleWithNewKey(gw, key);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toMatch(/^catalog: [1-9]\d* products$/m);
    expect(out.stdout).toContain('analytics: not available to this key (needs analytics:read)');
  });

  it('a revoked or unknown key: exits 1 with UNAUTHENTICATED', async () => {
    const out = await example(gw, 'pk_not-a-key');
    expect(out.code).toBe(1);
    expect(out.stderr).toContain('UNAUTHENTICATED');
  });

  it('its generated operation types match schema/public.graphql', () => {
    const check = spawnSync(
      process.execPath,
      ['node_modules/@graphql-codegen/cli/cjs/bin.js', '--config', 'examples/partner/codegen.ts', '--check'],
      { cwd: ROOT, encoding: 'utf8' },
    );
    expect(check.status, check.stdout + check.stderr).toBe(0);
  });
});
