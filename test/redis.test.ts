/**
 * Redis is real: two gateway processes with the same REDIS_URL share APQ
 * entries and cached responses. CI starts redis-server and sets TEST_REDIS_URL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash, randomUUID } from 'node:crypto';
import { startExtraGateway, type ExtraGateway } from './helpers/gateway.ts';
import { gql, initDataFor } from './helpers/client.ts';

const redisUrl = process.env.TEST_REDIS_URL;
const sha = (s: string) => createHash('sha256').update(s).digest('hex');

describe.skipIf(!redisUrl)('two gateways sharing Redis', () => {
  let a: ExtraGateway;
  let b: ExtraGateway;
  beforeAll(async () => {
    [a, b] = await Promise.all([startExtraGateway({ REDIS_URL: redisUrl! }), startExtraGateway({ REDIS_URL: redisUrl! })]);
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
  });
  // A fresh alias per run keeps entries of earlier runs (same Redis) out of the picture.
  const alias = () => `r${randomUUID().replace(/-/g, '')}`;

  it('an APQ hash registered on one replica is known to the other', async () => {
    const query = `{ ${alias()}: products { id } }`;
    const extensions = { persistedQuery: { version: 1, sha256Hash: sha(query) } };
    const register = await fetch(a.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query, extensions }),
    });
    expect(register.status).toBe(200);
    const hashOnly = await fetch(b.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ extensions }),
    });
    const body = (await hashOnly.json()) as { data?: Record<string, unknown[]>; errors?: unknown };
    expect(body.errors).toBeUndefined();
    expect(Object.values(body.data!)[0]!.length).toBeGreaterThan(0);
  });

  it('a response cached by one replica is served by the other, private ones only to their user', async () => {
    const publicQuery = `{ ${alias()}: products { id title } }`;
    const first = await gql(publicQuery, { url: a.url });
    expect(first.headers.get('age')).toBeNull();
    const fromB = await gql(publicQuery, { url: b.url });
    expect(fromB.headers.get('age')).not.toBeNull();
    expect(fromB.body).toEqual(first.body);

    const privateQuery = `{ me { id ${alias()}: firstName } }`;
    const alice = initDataFor(100000020, { user: { first_name: 'Alice' } });
    const bob = initDataFor(100000021, { user: { first_name: 'Bob' } });
    await gql(privateQuery, { url: a.url, initData: alice });
    const aliceOnB = await gql(privateQuery, { url: b.url, initData: alice });
    expect(aliceOnB.headers.get('age')).not.toBeNull();
    const bobOnB = await gql<{ me: { id: string } }>(privateQuery, { url: b.url, initData: bob });
    expect(bobOnB.headers.get('age')).toBeNull();
    expect(bobOnB.body.data?.me.id).toBe('100000021');
  });
});
