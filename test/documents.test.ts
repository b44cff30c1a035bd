/**
 * `npm run documents`: documents pushed while gateways run are served by every
 * replica without a restart (two gateway processes here), `list` and `remove`
 * work, bad manifests are refused clearly. Once with the DATA_DIR file store,
 * once with Redis when TEST_REDIS_URL is set.
 */
import { spawnSync } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@redis/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../scripts/lib/stack.ts';
import { startExtraGateway, type ExtraGateway } from './helpers/gateway.ts';
import { until as eventually } from './helpers/poll.ts';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

function documentsCli(env: Record<string, string>, ...args: string[]) {
  const run = spawnSync(process.execPath, ['scripts/documents.ts', ...args], {
    cwd: ROOT,
    env: { ...process.env, REDIS_URL: '', ...env },
    encoding: 'utf8',
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

async function runById(gateway: ExtraGateway, id: string): Promise<{ status: number; code?: string; ids?: string[] }> {
  const res = await fetch(gateway.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ documentId: `sha256:${id}` }),
  });
  const body = (await res.json()) as { data?: { products: { id: string }[] }; errors?: { extensions: { code: string } }[] };
  return { status: res.status, code: body.errors?.[0]?.extensions.code, ids: body.data?.products.map((p) => p.id) };
}

function defineStoreSuite(name: string, storeEnv: () => Record<string, string>) {
  // CLI runs start a Node process each: generous timeouts for a loaded machine.
  describe(`documents CLI (${name})`, { timeout: 120_000 }, () => {
    let replicas: ExtraGateway[] = [];
    beforeAll(async () => {
      // Enforced, so a document the gateways do not know is refused rather than run as text.
      replicas = [
        await startExtraGateway({ PERSISTED_DOCUMENTS: 'enforce', ...storeEnv() }),
        await startExtraGateway({ PERSISTED_DOCUMENTS: 'enforce', ...storeEnv() }),
      ];
    });
    afterAll(async () => Promise.all(replicas.map((g) => g.stop())));

    it('push (Apollo format) → both replicas serve it without restart; list shows it; remove → both refuse it again', async () => {
      const body = `query PushedCatalog_${name.replace(/\W/g, '')}_${randomUUID().slice(0, 8)} { products { id } }`;
      const id = sha(body);
      const manifest = join(mkdtempSync(join(tmpdir(), 'tma-docs-')), 'apollo.json');
      writeFileSync(
        manifest,
        JSON.stringify({
          format: 'apollo-persisted-query-manifest',
          version: 1,
          operations: [{ id, name: 'PushedCatalog', type: 'query', body }],
        }),
      );

      for (const g of replicas) expect(await runById(g, id)).toMatchObject({ status: 400, code: 'PERSISTED_DOCUMENT_NOT_FOUND' });
      const push = documentsCli(storeEnv(), 'push', manifest);
      expect(push.status, push.stderr).toBe(0);
      expect(push.stdout).toMatch(/pushed 1 document\(s\) \(1 new\)/);
      await eventually(
        async () => (await Promise.all(replicas.map((g) => runById(g, id)))).every((r) => r.status === 200 && (r.ids?.length ?? 0) > 0),
        'both replicas run the pushed document',
      );

      const list = documentsCli(storeEnv(), 'list');
      expect(list.stdout).toContain(`sha256:${id}  PushedCatalog`);

      const remove = documentsCli(storeEnv(), 'remove', `sha256:${id}`);
      expect(remove.stdout).toMatch(/removed 1 document/);
      await eventually(
        async () => (await Promise.all(replicas.map((g) => runById(g, id)))).every((r) => r.code === 'PERSISTED_DOCUMENT_NOT_FOUND'),
        'both replicas refuse the removed document',
      );
    });

    it('push (codegen format) works too; manifest-file documents keep working', async () => {
      const body = `query PushedCodegen_${randomUUID().slice(0, 8)} { products { title } }`;
      const manifest = join(mkdtempSync(join(tmpdir(), 'tma-docs-')), 'persisted-documents.json');
      writeFileSync(manifest, JSON.stringify({ [`sha256:${sha(body)}`]: body }));
      expect(documentsCli(storeEnv(), 'push', manifest).status).toBe(0);
      await eventually(async () => (await runById(replicas[1]!, sha(body))).status === 200, 'the codegen-format document runs');
      // The committed manifest (schema/client/persisted-documents.json) is still served.
      const catalog = (await import('../schema/client/persisted-documents.json', { with: { type: 'json' } })).default as Record<
        string,
        string
      >;
      const [catalogId] = Object.entries(catalog).find(([, b]) => b.startsWith('query Catalog'))!;
      expect((await runById(replicas[0]!, catalogId.replace('sha256:', ''))).status).toBe(200);
      documentsCli(storeEnv(), 'remove', sha(body));
    });

    it('refuses a wrong id, an invalid document and a missing file with a clear message (no stack trace)', () => {
      const dir = mkdtempSync(join(tmpdir(), 'tma-docs-'));
      const wrongId = join(dir, 'wrong.json');
      writeFileSync(wrongId, JSON.stringify({ [`sha256:${'0'.repeat(64)}`]: '{ products { id } }' }));
      const invalid = join(dir, 'invalid.json');
      const bad = 'query Bad { products { nope } }';
      writeFileSync(invalid, JSON.stringify({ [`sha256:${sha(bad)}`]: bad }));
      for (const [file, message] of [
        [wrongId, /is not the sha256 of its document/],
        [invalid, /not valid against schema\/api.graphql: Cannot query field "nope"/],
        [join(dir, 'missing.json'), /no such file/],
      ] as const) {
        const run = documentsCli(storeEnv(), 'push', file);
        expect(run.status, file).not.toBe(0);
        expect(run.stderr).toMatch(message);
        expect(run.stderr).not.toMatch(/\n\s+at /);
      }
      expect(documentsCli(storeEnv(), 'bogus').stderr).toMatch(/usage: npm run documents/);
    });
  });
}

const dataDir = mkdtempSync(join(tmpdir(), 'tma-docs-store-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));
defineStoreSuite('DATA_DIR file', () => ({ DATA_DIR: dataDir }));

const redisUrl = process.env.TEST_REDIS_URL;
if (redisUrl) {
  beforeAll(async () => {
    // A fresh store for this run: only this suite's key in the test Redis database.
    const client = createClient({ url: redisUrl });
    await client.connect();
    await client.del(['tma:persisted-documents', 'tma:persisted-documents:version']);
    await client.close();
  });
  defineStoreSuite('Redis', () => ({ REDIS_URL: redisUrl }));
} else {
  describe.skip('documents CLI (Redis): TEST_REDIS_URL not set', () => {});
}
