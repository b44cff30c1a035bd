/** The response cache: public shared, private per verified user, never for payment state or mutations, invalidated by writes. */
import { describe, expect, it } from 'vitest';
import { gql } from './helpers/client.ts';

describe('response cache', () => {
  it('serves a repeated catalog query from the cache with Age and the same body', async () => {
    const query = '{ products { id title } cacheProbe: product(id: "prod_coins_100") { id } }';
    const first = await gql(query);
    const second = await gql(query);
    expect(first.headers.get('age')).toBeNull();
    expect(second.headers.get('age')).not.toBeNull();
    expect(Number(second.headers.get('age'))).toBeLessThanOrEqual(300);
    expect(second.headers.get('cache-control')).toBe('max-age=300, public');
    expect(second.body).toEqual(first.body);
  });

  it("never serves one user's private data to another", async () => {
    const query = '{ me { id firstName username } }';
    const alice = {
      initData: (await import('./helpers/client.ts')).initDataFor(100000010, { user: { first_name: 'Alice', username: 'alice' } }),
    };
    const bob = {
      initData: (await import('./helpers/client.ts')).initDataFor(100000011, { user: { first_name: 'Bob', username: 'bob' } }),
    };
    const a1 = await gql(query, alice);
    const a2 = await gql(query, alice);
    expect(a2.headers.get('age')).not.toBeNull(); // cached for Alice
    expect(a2.headers.get('cache-control')).toBe('max-age=60, private');
    const b1 = await gql<{ me: { id: string; firstName: string } }>(query, bob);
    expect(b1.headers.get('age')).toBeNull();
    expect(b1.body.data?.me).toEqual({ id: '100000011', firstName: 'Bob', username: 'bob' });
    expect(a1.body.data).toEqual({ me: { id: '100000010', firstName: 'Alice', username: 'alice' } });
    // Anonymous callers never get a private entry either.
    const anon = await gql(query);
    expect(anon.status).toBe(401);
  });

  it('payment state and mutations are never cached', async () => {
    const query = '{ me { id payments { edges { node { id status } } } } }';
    await gql(query, { userId: 100000012 });
    const again = await gql(query, { userId: 100000012 });
    expect(again.headers.get('age')).toBeNull();
    expect(again.headers.get('cache-control')).toBe('no-store');
    const mutation = 'mutation { trackEvents(events: [{ name: "m", insertId: "rc-m-1" }]) { accepted duplicates } }';
    const m1 = await gql<{ trackEvents: { accepted: number } }>(mutation, { userId: 100000012 });
    const m2 = await gql<{ trackEvents: { accepted: number; duplicates: number } }>(mutation, { userId: 100000012 });
    expect(m1.body.data?.trackEvents.accepted).toBe(1);
    expect(m2.body.data?.trackEvents).toEqual({ accepted: 0, duplicates: 1 });
  });

  it("a user's write invalidates their cached private responses", async () => {
    const user = 100000013;
    const read = '{ me { id activity { eventCount } } }';
    const before = await gql<{ me: { activity: { eventCount: number } } }>(read, { userId: user });
    const cached = await gql<{ me: { activity: { eventCount: number } } }>(read, { userId: user });
    expect(cached.headers.get('age')).not.toBeNull();
    await gql('mutation { trackEvents(events: [{ name: "inv", insertId: "rc-inv-1" }]) { accepted } }', { userId: user });
    const after = await gql<{ me: { activity: { eventCount: number } } }>(read, { userId: user });
    expect(after.headers.get('age')).toBeNull();
    expect(after.body.data!.me.activity.eventCount).toBe(before.body.data!.me.activity.eventCount + 1);
  });
});
