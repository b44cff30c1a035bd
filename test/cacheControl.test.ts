/** The gateway's Cache-Control header combines the subgraphs' hints. */
import { describe, expect, it } from 'vitest';
import { gql } from './helpers/client.ts';

describe('Cache-Control from @cacheControl hints', () => {
  it('catalog-only query: public, 5 minutes', async () => {
    const res = await gql('{ products { id title prices { amount currency } } }');
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('max-age=300, public');
  });

  it('anything about the user is private', async () => {
    const res = await gql('{ me { id firstName } products { id } }', { userId: 279058397 });
    expect(res.headers.get('cache-control')).toBe('max-age=60, private');
    const withCrm = await gql('{ me { id customer { email } activity { eventCount } } }', { userId: 279058397 });
    expect(withCrm.headers.get('cache-control')).toBe('max-age=30, private');
  });

  it('payment state is never cached', async () => {
    const res = await gql('{ me { id payments { edges { node { id status } } } } }', { userId: 279058397 });
    expect(res.headers.get('cache-control')).toBe('no-store');
  });

  it('mutations and errors are not cacheable', async () => {
    const mutation = await gql('mutation { trackEvents(events: [{ name: "x", insertId: "cc-1" }]) { accepted } }', { userId: 100000050 });
    expect(mutation.headers.get('cache-control')).toBe('no-store');
    const error = await gql('{ products { id } me { id } }');
    expect(error.headers.get('cache-control')).toBe('no-store');
  });
});
