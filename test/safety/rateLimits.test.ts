/**
 * Rate limits at the gateway: per verified user, per client IP for anonymous callers (X-Forwarded-For
 * only through the configured proxy hops), a lower budget per costly mutation, and one shared
 * budget across replicas through Redis. Each gateway here is its own process with small limits.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gql } from '../helpers/client.ts';
import { startExtraGateway, type ExtraGateway } from '../helpers/gateway.ts';

const CATALOG = '{ products { id } }';

async function expectLimited(res: Awaited<ReturnType<typeof gql>>) {
  expect(res.status).toBe(429);
  expect(res.body.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
  expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
}

describe('gateway rate limits', () => {
  let gateway: ExtraGateway;
  beforeAll(async () => {
    gateway = await startExtraGateway({
      RATE_LIMIT_ANONYMOUS_PER_MINUTE: '3',
      RATE_LIMIT_USER_PER_MINUTE: '5',
      RATE_LIMIT_COSTLY_MUTATION_PER_MINUTE: '2',
      TRUSTED_PROXY_HOPS: '1',
    });
  });
  afterAll(() => gateway?.stop());

  it('anonymous callers per client IP, read from X-Forwarded-For through one trusted hop only', async () => {
    const from = (chain: string) => gql(CATALOG, { url: gateway.url, headers: { 'x-forwarded-for': chain } });
    for (let i = 0; i < 3; i++) expect((await from('203.0.113.7')).status).toBe(200);
    await expectLimited(await from('203.0.113.7'));
    // A client cannot reset its budget by writing its own X-Forwarded-For entries: only the proxy's (rightmost) counts.
    await expectLimited(await from('198.51.100.1, 203.0.113.7'));
    // Another client behind the same proxy has its own budget.
    expect((await from('203.0.113.8')).status).toBe(200);
  });

  it('verified users have their own budget, and each costly mutation a lower one', async () => {
    const user = 279058311;
    const track = () =>
      gql('mutation($e: [AnalyticsEventInput!]!) { trackEvents(events: $e) { accepted } }', {
        url: gateway.url,
        userId: user,
        variables: { e: [{ name: 'rate_limit_test', insertId: `rl-${Math.random().toString(36).slice(2)}` }] },
      });
    expect((await track()).status).toBe(200);
    expect((await track()).status).toBe(200);
    await expectLimited(await track());
    // The general budget (5) still has room for other operations of this user.
    expect((await gql('{ me { id } }', { url: gateway.url, userId: user })).status).toBe(200);
    expect((await gql('{ me { id } }', { url: gateway.url, userId: user })).status).toBe(200);
    await expectLimited(await gql('{ me { id } }', { url: gateway.url, userId: user }));
  });
});

const redisUrl = process.env.TEST_REDIS_URL;
describe.skipIf(!redisUrl)('rate limits shared through Redis', () => {
  let a: ExtraGateway;
  let b: ExtraGateway;
  beforeAll(async () => {
    const env = { REDIS_URL: redisUrl!, RATE_LIMIT_ANONYMOUS_PER_MINUTE: '4', TRUSTED_PROXY_HOPS: '1', RESPONSE_CACHE: 'off' };
    [a, b] = await Promise.all([startExtraGateway(env), startExtraGateway(env)]);
  });
  afterAll(async () => Promise.all([a?.stop(), b?.stop()]));

  it('two replicas enforce one budget', async () => {
    // A client address of this run only, so an earlier run's counters in Redis cannot interfere.
    const ip = `192.0.2.${Math.floor(Math.random() * 250) + 1}, 10.9.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}`;
    const from = (g: ExtraGateway) => gql(CATALOG, { url: g.url, headers: { 'x-forwarded-for': ip } });
    expect((await from(a)).status).toBe(200);
    expect((await from(b)).status).toBe(200);
    expect((await from(a)).status).toBe(200);
    expect((await from(b)).status).toBe(200);
    await expectLimited(await from(a));
    await expectLimited(await from(b));
  });
});
