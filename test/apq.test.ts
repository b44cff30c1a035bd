/** Automatic persisted queries (APQ protocol) and manifest documents by id, in the default `allow` mode. */
import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { stack } from './helpers/client.ts';
import manifest from '../schema/client/persisted-documents.json' with { type: 'json' };

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const post = (body: unknown, headers: Record<string, string> = {}) =>
  fetch(stack().gatewayUrl, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
const catalogId = Object.entries(manifest as Record<string, string>).find(([, body]) => body.startsWith('query Catalog'))![0];

describe('APQ', () => {
  it('unknown hash → PERSISTED_QUERY_NOT_FOUND; register with query; then the hash alone works', async () => {
    const query = `{ products { id title } apq: products { id } }`;
    const extensions = { persistedQuery: { version: 1, sha256Hash: sha(query) } };
    const miss = await post({ extensions });
    expect(miss.status).toBe(200);
    const missBody = (await miss.json()) as { errors: { extensions: { code: string } }[] };
    expect(missBody.errors[0]!.extensions.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    expect(miss.headers.get('cache-control')).toMatch(/no-cache/);

    const register = await post({ query, extensions });
    expect(((await register.json()) as { data: { products: unknown[] } }).data.products.length).toBeGreaterThan(0);
    const hit = await post({ extensions });
    expect(((await hit.json()) as { data: { apq: unknown[] } }).data.apq.length).toBeGreaterThan(0);
  });

  it('GET with the hash only is a CDN-cacheable read; a mutation over GET is refused', async () => {
    const query = `{ products { id } getApq: products { title } }`;
    const extensions = JSON.stringify({ persistedQuery: { version: 1, sha256Hash: sha(query) } });
    await post({ query, extensions: JSON.parse(extensions) });
    const url = `${stack().gatewayUrl}?extensions=${encodeURIComponent(extensions)}`;
    const res = await fetch(url, { headers: { 'apollo-require-preflight': 'true' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('max-age=300, public');
    expect(((await res.json()) as { data: { getApq: unknown[] } }).data.getApq.length).toBeGreaterThan(0);

    const mutation = await fetch(`${stack().gatewayUrl}?query=${encodeURIComponent('mutation { trackEvents(events: []) { accepted } }')}`, {
      headers: { 'apollo-require-preflight': 'true' },
    });
    expect(mutation.status).toBe(405);
    // Without a preflight-forcing header a GET is refused (CSRF prevention).
    expect((await fetch(url)).status).toBe(400);
  });

  it('a hash that does not match the query is a 400', async () => {
    const res = await post({
      query: '{ products { id } }',
      extensions: { persistedQuery: { version: 1, sha256Hash: sha('something else') } },
    });
    expect(res.status).toBe(400);
  });

  it('manifest documents run by documentId or by APQ hash without registration', async () => {
    const byId = await post({ documentId: catalogId });
    expect(byId.status).toBe(200);
    expect(((await byId.json()) as { data: { products: unknown[] } }).data.products.length).toBeGreaterThan(0);
    const byHash = await post({ extensions: { persistedQuery: { version: 1, sha256Hash: catalogId.replace('sha256:', '') } } });
    expect(((await byHash.json()) as { data: { products: unknown[] } }).data.products.length).toBeGreaterThan(0);
    const getById = await fetch(`${stack().gatewayUrl}?documentId=${catalogId}`, { headers: { 'apollo-require-preflight': 'true' } });
    expect(getById.status).toBe(200);
    const unknown = await post({ documentId: `sha256:${'0'.repeat(64)}` });
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe(
      'PERSISTED_DOCUMENT_NOT_FOUND',
    );
  });
});
