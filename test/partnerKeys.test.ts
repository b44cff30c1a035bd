/**
 * Partner keys managed at run time (`npm run keys`) against running gateway
 * processes: create / list / rotate / revoke with both stores (embedded
 * SQLite, PostgreSQL), a revocation seen by a second gateway without a
 * restart, scopes per field (refused before anything reaches a subgraph),
 * the monthly quota and the per-key metrics.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { ROOT } from '../scripts/lib/stack.ts';
import { gql, stack } from './helpers/client.ts';
import { startExtraGateway, type ExtraGateway } from './helpers/gateway.ts';
import { startCountingProxy, type CountingProxy } from './helpers/countingProxy.ts';
import { openKeyStore } from '../gateway/src/partners/keyStore.ts';
import { createPartnerRegistry } from '../gateway/src/partners/registry.ts';
import { createLogger } from '../lib/logger.ts';

const run = promisify(execFile);
/** Each CLI call is a process start (~1 s, several on 2 busy cores); the lifecycle tests make several. */
const CLI_TEST_TIMEOUT_MS = 240_000;

/** `npm run keys -- …` as a separate process, the way an operator runs it next to the stack. */
async function keys(env: Record<string, string>, ...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['scripts/keys.ts', ...args], { cwd: ROOT, env: { ...process.env, ...env } });
    return { stdout, stderr, code: 0 };
  } catch (error) {
    const e = error as { stdout: string; stderr: string; code: number };
    return { stdout: e.stdout, stderr: e.stderr, code: e.code };
  }
}

/** The key printed by create / rotate: its own line. */
const printedKey = (stdout: string) => /^(pk_[A-Za-z0-9_-]{43})$/m.exec(stdout)?.[1];

interface Listed {
  id: string;
  name: string;
  scopes: string[];
  rpm: number;
  monthlyQuota: number | null;
  createdAt: number;
  lastUsedAt: number | null;
  revokedAt: number | null;
  expiresAt: number | null;
  status: string;
}

async function listed(env: Record<string, string>, name: string): Promise<Listed[]> {
  const out = await keys(env, 'list', '--json');
  expect(out.code, out.stderr).toBe(0);
  return (JSON.parse(out.stdout) as Listed[]).filter((k) => k.name === name);
}

const publicUrl = (g: ExtraGateway) => g.url.replace(/\/graphql$/, '/public/graphql');

async function partnerQuery(g: ExtraGateway, key: string, query = '{ products { id } }') {
  const res = await fetch(publicUrl(g), {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': key },
    body: JSON.stringify({ query }),
  });
  return {
    status: res.status,
    headers: res.headers,
    body: (await res.json()) as { data?: Record<string, unknown>; errors?: { message: string; extensions?: Record<string, unknown> }[] },
  };
}

/** Polls until `check` holds (the registries refresh every 2 s); fails with the last value after 60 s. */
async function eventually<T>(probe: () => Promise<T>, check: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const value = await probe();
    if (check(value)) return value;
    if (Date.now() > deadline) throw new Error(`condition not reached; last value: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const dataDir = mkdtempSync(join(tmpdir(), 'tma-partner-keys-'));
const stores: [string, Record<string, string> | undefined][] = [
  ['embedded SQLite', { DATA_DIR: dataDir, DATABASE_URL: '' }],
  ['PostgreSQL', process.env.TEST_DATABASE_URL ? { DATABASE_URL: process.env.TEST_DATABASE_URL, DATA_DIR: dataDir } : undefined],
];
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe.each(stores)('keys CLI with the stack running (%s)', (_label, env) => {
  let a: ExtraGateway;
  let b: ExtraGateway;
  // A fresh name per run: the PostgreSQL store outlives test runs.
  const name = `acme-${randomUUID().slice(0, 8)}`;
  beforeAll(async () => {
    if (!env) return;
    // One after the other: each is stopped in afterAll even if the other fails to start.
    a = await startExtraGateway(env);
    b = await startExtraGateway(env);
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
  });

  it.skipIf(!env)(
    'create → usable on both replicas without restart; list shows it, then its last use; revoke → refused by both',
    async () => {
      const created = await keys(env!, 'create', '--name', name, '--scopes', 'catalog:read', '--rpm', '50');
      expect(created.code, created.stderr).toBe(0);
      const key = printedKey(created.stdout)!;
      expect(key).toBeDefined();
      const id = /key (key_[0-9a-f]+)/.exec(created.stdout)![1]!;

      for (const g of [a, b])
        await eventually(
          () => partnerQuery(g, key),
          (r) => r.status === 200,
        );
      const [row] = await listed(env!, name);
      expect(row).toMatchObject({
        id,
        name,
        scopes: ['catalog:read'],
        rpm: 50,
        monthlyQuota: 1_000_000,
        revokedAt: null,
        status: 'active',
      });
      expect(JSON.stringify(await listed(env!, name))).not.toContain(key);
      // Last use is written back by the replicas' refresh loop.
      const used = await eventually(
        () => listed(env!, name),
        (rows) => rows[0]!.lastUsedAt !== null,
      );
      expect(used[0]!.lastUsedAt).toBeGreaterThanOrEqual(row!.createdAt);
      const table = await keys(env!, 'list');
      expect(table.stdout).toMatch(new RegExp(`${name}\\s+${id}\\s+catalog:read\\s+50/min`));

      const revoked = await keys(env!, 'revoke', name);
      expect(revoked.code, revoked.stderr).toBe(0);
      expect(revoked.stdout).toContain(id);
      // Both gateway processes stop accepting it, neither restarted.
      for (const g of [a, b]) {
        const refused = await eventually(
          () => partnerQuery(g, key),
          (r) => r.status === 401,
        );
        expect(refused.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      }
      expect((await listed(env!, name))[0]!.status).toMatch(/^revoked /);
    },
    CLI_TEST_TIMEOUT_MS,
  );

  it.skipIf(!env)(
    'rotate: a new key works at once, the old one through the grace period; unknown names fail clearly',
    async () => {
      const rotName = `${name}-rot`;
      const created = await keys(env!, 'create', '--name', rotName, '--scopes', 'catalog:read');
      const oldKey = printedKey(created.stdout)!;
      const rotated = await keys(env!, 'rotate', rotName);
      expect(rotated.code, rotated.stderr).toBe(0);
      const newKey = printedKey(rotated.stdout)!;
      expect(newKey).not.toBe(oldKey);
      expect(rotated.stdout).toMatch(/keeps working until \d{4}-\d\d-\d\dT/);

      await eventually(
        () => partnerQuery(b, newKey),
        (r) => r.status === 200,
      );
      expect((await partnerQuery(b, oldKey)).status).toBe(200);
      const rows = await listed(env!, rotName);
      expect(rows.map((r) => r.status.split(',')[0])).toEqual(['rotated', 'active']);
      // The grace period is 24 h by default.
      const old = rows.find((r) => r.status.startsWith('rotated'))!;
      expect(old.expiresAt! - Date.now()).toBeGreaterThan(23 * 3600_000);

      const missing = await keys(env!, 'rotate', `${name}-nobody`);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toMatch(/no current key/);
      const duplicate = await keys(env!, 'create', '--name', rotName, '--scopes', 'catalog:read');
      expect(duplicate.code).toBe(1);
      expect(duplicate.stderr).toMatch(/exists already/);
      const badScope = await keys(env!, 'create', '--name', `${name}-x`, '--scopes', 'payments:write');
      expect(badScope.code).toBe(2);
      expect(badScope.stderr).toMatch(/unknown scope "payments:write"/);
    },
    CLI_TEST_TIMEOUT_MS,
  );
});

describe('a rotated-out key stops at the end of its grace period', () => {
  it('the registry refuses it once the expiry has passed, between two refreshes too', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tma-partner-grace-'));
    const store = await openKeyStore({ dataDir: dir });
    const { key: oldKey } = await store.create({ name: 'grace', scopes: ['catalog:read'], rpm: 10, monthlyQuota: null });
    const { key: newKey, previous } = await store.rotate('grace', 60_000);
    const registry = createPartnerRegistry({
      configured: [],
      openStore: () => openKeyStore({ dataDir: dir }),
      log: createLogger('test', 'silent'),
    });
    await registry.ready();
    try {
      expect(registry.identify(oldKey)?.name).toBe('grace');
      expect(registry.identify(newKey)?.name).toBe('grace');
      expect(registry.identify(oldKey, previous.expiresAt! + 1)).toBeUndefined();
      expect(registry.identify(newKey, previous.expiresAt! + 1)?.name).toBe('grace');
    } finally {
      await registry.stop();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('scopes, quota and metrics per key', () => {
  const env = { DATA_DIR: dataDir, DATABASE_URL: '' };
  let gw: ExtraGateway;
  /** Counts the operations the analytics subgraph received through this gateway. */
  let proxy: CountingProxy;
  const suffix = randomUUID().slice(0, 8);
  let catalogKey: string;
  let analyticsKey: string;
  let quotaKey: string;

  beforeAll(async () => {
    // The gateway reaches the analytics subgraph through this counting proxy: "never executed" is observable.
    proxy = await startCountingProxy(stack().subgraphUrls.analytics);

    catalogKey = printedKey((await keys(env, 'create', '--name', `catalog-${suffix}`, '--scopes', 'catalog:read')).stdout)!;
    analyticsKey = printedKey(
      (await keys(env, 'create', '--name', `analyst-${suffix}`, '--scopes', 'catalog:read,analytics:read')).stdout,
    )!;
    quotaKey = printedKey((await keys(env, 'create', '--name', `quota-${suffix}`, '--scopes', 'catalog:read', '--quota', '3')).stdout)!;
    gw = await startExtraGateway({ ...env, SUBGRAPH_URL_ANALYTICS: proxy.url });
    // Something to count: events of two users on the shared stack.
    const event = `partner-visible-${suffix}`;
    for (const userId of [100000071, 100000072]) {
      const r = await gql(`mutation { trackEvents(events: [{ name: "${event}", insertId: "${suffix}-${userId}" }]) { accepted } }`, {
        userId,
      });
      expect(r.body.errors).toBeUndefined();
    }
  });
  afterAll(async () => {
    await gw?.stop();
    await proxy?.close();
  });

  it("a field outside the key's scopes is FORBIDDEN naming the scope, and never reaches the subgraph", async () => {
    const before = proxy.operations.length;
    const refused = await partnerQuery(gw, catalogKey, '{ eventCounts { day name events users } }');
    expect(refused.status).toBe(403);
    expect(refused.body.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', requiredScope: 'analytics:read' });
    expect(refused.body.errors?.[0]?.message).toContain('"analytics:read"');
    expect(refused.body.data).toBeUndefined();
    // Mixed with an allowed field: refused as a whole.
    const mixed = await partnerQuery(gw, catalogKey, '{ products { id } eventCounts { name } }');
    expect(mixed.status).toBe(403);
    expect(proxy.operations.length).toBe(before);

    const allowed = await partnerQuery(gw, analyticsKey, '{ eventCounts { day name events users } }');
    expect(allowed.status, JSON.stringify(allowed.body)).toBe(200);
    const rows = allowed.body.data!.eventCounts as { day: string; name: string; events: number; users: number }[];
    expect(rows.find((r) => r.name === `partner-visible-${suffix}`)).toMatchObject({
      events: 2,
      users: 2,
      day: new Date().toISOString().slice(0, 10),
    });
    expect(proxy.operations.length).toBeGreaterThan(before);
    // Aggregates only: the contract has no way to name a user.
    const personal = await partnerQuery(gw, analyticsKey, '{ eventCounts { userId } }');
    expect(personal.status).toBe(400);
  });

  it('on the Mini App endpoint eventCounts is for operators only', async () => {
    const user = await gql('{ eventCounts { name events } }', { userId: 100000071 });
    expect(user.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const operator = await gql<{ eventCounts: { name: string; events: number }[] }>('{ eventCounts { name events } }', {
      userId: stack().operatorId,
    });
    expect(operator.body.errors).toBeUndefined();
    expect(operator.body.data!.eventCounts.find((r) => r.name === `partner-visible-${suffix}`)?.events).toBe(2);
  });

  it('the monthly quota: 429 QUOTA_EXCEEDED with the reset time once used up', async () => {
    for (let i = 0; i < 3; i++) expect((await partnerQuery(gw, quotaKey)).status).toBe(200);
    const over = await partnerQuery(gw, quotaKey);
    expect(over.status).toBe(429);
    const now = new Date();
    const reset = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1)).toISOString();
    expect(over.body.errors?.[0]?.extensions).toEqual({ code: 'QUOTA_EXCEEDED', resetAt: reset });
    expect(over.body.errors?.[0]?.message).toContain(reset);
    const retryAfter = Number(over.headers.get('retry-after'));
    expect(Math.abs(retryAfter - (Date.parse(reset) - Date.now()) / 1000)).toBeLessThan(120);
    // Other partners are unaffected; the used-up count is in the store for every replica.
    expect((await partnerQuery(gw, catalogKey)).status).toBe(200);
    const usage = await eventually(
      () => listed(env, `quota-${suffix}`).then((rows) => rows[0]),
      (row) => (row as unknown as { requestsThisMonth: number }).requestsThisMonth === 3,
    );
    expect(usage).toBeDefined();
  });

  it('/metrics counts requests, errors and latency per key name, never the key', async () => {
    const metrics = await (await fetch(gw.url.replace(/\/graphql$/, '/metrics'))).text();
    const line = (metric: string, labels: string) => new RegExp(`^${metric}\\{${labels}\\} (\\d+(?:\\.\\d+)?)$`, 'm').exec(metrics)?.[1];
    expect(Number(line('gateway_partner_requests_total', `key_name="quota-${suffix}",status="200"`))).toBe(3);
    expect(Number(line('gateway_partner_requests_total', `key_name="quota-${suffix}",status="429"`))).toBe(1);
    expect(Number(line('gateway_partner_errors_total', `key_name="quota-${suffix}"`))).toBe(1);
    expect(Number(line('gateway_partner_errors_total', `key_name="catalog-${suffix}"`))).toBe(2);
    expect(Number(line('gateway_partner_request_duration_seconds_count', `key_name="analyst-${suffix}"`))).toBe(2);
    for (const key of [catalogKey, analyticsKey, quotaKey]) expect(metrics).not.toContain(key);
  });
});
