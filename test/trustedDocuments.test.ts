/** PERSISTED_DOCUMENTS=enforce: only documents of the manifest run. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { startExtraGateway, type ExtraGateway } from './helpers/gateway.ts';
import { initDataFor } from './helpers/client.ts';
import manifest from '../schema/client/persisted-documents.json' with { type: 'json' };

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const docs = Object.entries(manifest as Record<string, string>);
const [catalogId, catalogBody] = docs.find(([, body]) => body.startsWith('query Catalog'))!;
const [meId] = docs.find(([, body]) => body.startsWith('query Me'))!;

let gateway: ExtraGateway;
const post = (body: unknown, headers: Record<string, string> = {}) =>
  fetch(gateway.url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
const codeOf = async (res: Response) =>
  ((await res.json()) as { errors?: { extensions: { code: string } }[] }).errors?.[0]?.extensions.code;

beforeAll(async () => {
  gateway = await startExtraGateway({ PERSISTED_DOCUMENTS: 'enforce' });
});
afterAll(() => gateway.stop());

describe('trusted documents enforced', () => {
  it('runs manifest documents by documentId, with variables and auth', async () => {
    const res = await post({ documentId: catalogId });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { data: { products: unknown[] } }).data.products.length).toBeGreaterThan(0);
    const me = await post({ documentId: meId }, { authorization: `tma ${initDataFor(279058397)}` });
    expect(((await me.json()) as { data: { me: { id: string } } }).data.me.id).toBe('279058397');
  });

  it('runs them by APQ hash and as exact text', async () => {
    const byHash = await post({ extensions: { persistedQuery: { version: 1, sha256Hash: catalogId.replace('sha256:', '') } } });
    expect(byHash.status).toBe(200);
    const asText = await post({ query: catalogBody });
    expect(asText.status).toBe(200);
  });

  it('refuses free-form queries, unknown ids and APQ registration of unknown documents', async () => {
    const freeForm = await post({ query: '{ products { id } }' });
    expect(freeForm.status).toBe(400);
    expect(await codeOf(freeForm)).toBe('PERSISTED_DOCUMENT_REQUIRED');
    const introspection = await post({ query: '{ __schema { types { name } } }' });
    expect(await codeOf(introspection)).toBe('PERSISTED_DOCUMENT_REQUIRED');
    const unknown = await post({ documentId: `sha256:${'1'.repeat(64)}` });
    expect(await codeOf(unknown)).toBe('PERSISTED_DOCUMENT_NOT_FOUND');
    const query = '{ products { title } }';
    const register = await post({ query, extensions: { persistedQuery: { version: 1, sha256Hash: sha(query) } } });
    expect(await codeOf(register)).toBe('PERSISTED_DOCUMENT_REQUIRED');
    const hashOnly = await post({ extensions: { persistedQuery: { version: 1, sha256Hash: sha(query) } } });
    expect(await codeOf(hashOnly)).toBe('PERSISTED_DOCUMENT_NOT_FOUND');
    const batch = await post([{ documentId: catalogId }]);
    expect(batch.status).toBe(400);
  });
});
