// Partial-data mode of the engine (partialFailures): an unreachable or failing
// subgraph costs only the fields its fetch would have filled, each with a
// SERVICE_UNAVAILABLE error carrying its path and the subgraph name, never
// its URL. ("ghost" is composed but never started; failMode makes a running
// subgraph answer HTTP 500.) Without the option the engine matches stock
// @apollo/gateway (differential.test.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSubgraphs, type RunningSubgraphs } from './fixtures/subgraphs.ts';
import { fastGateway, post, serveGateway, type RunningGateway } from './fixtures/gateways.ts';

let subgraphs: RunningSubgraphs;
let gateway: RunningGateway;

beforeAll(async () => {
  subgraphs = await startSubgraphs();
  gateway = await serveGateway(
    fastGateway(subgraphs.supergraphSdl, { partialFailures: true, logger: { debug() {}, info() {}, warn() {}, error() {} } }),
  );
}, 60_000);

afterAll(async () => {
  await gateway?.close();
  await subgraphs?.close();
});

type Body = {
  data?: Record<string, unknown> | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[];
};

function expectUnavailable(body: Body, service: string, paths: (string | number)[][]): void {
  const errors = body.errors ?? [];
  expect(errors.map((e) => e.path)).toEqual(paths);
  for (const e of errors) {
    expect(e.message).toBe(`Service "${service}" is unavailable`);
    expect(e.extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE', service, serviceName: service });
    expect(JSON.stringify(e)).not.toMatch(/127\.0\.0\.1|http:/);
  }
}

describe('partial data when a subgraph is down', () => {
  it('an unreachable entity subgraph nulls only its field, one error per entity', async () => {
    const res = await post(gateway.url, { query: '{ users { id ghostScore } }' });
    const body = res.body as Body;
    const users = body.data!['users'] as { id: string; ghostScore: unknown }[];
    expect(users.length).toBeGreaterThan(1);
    for (const u of users) expect(u).toEqual({ id: u.id, ghostScore: null });
    expectUnavailable(
      body,
      'ghost',
      users.map((_, i) => ['users', i, 'ghostScore']),
    );
  });

  it('an unreachable root subgraph nulls only its root field', async () => {
    const res = await post(gateway.url, { query: '{ ghostStatus me { id } }' });
    const body = res.body as Body;
    expect(body.data).toMatchObject({ ghostStatus: null, me: { id: expect.any(String) } });
    expectUnavailable(body, 'ghost', [['ghostStatus']]);
  });

  it('a subgraph answering HTTP 500 is unavailable too', async () => {
    subgraphs.control.failMode = { reviews: 'http500' };
    try {
      const res = await post(gateway.url, { query: '{ users { id reviews { id } } }' });
      const body = res.body as Body;
      const users = body.data!['users'] as { id: string; reviews: unknown }[];
      expectUnavailable(
        body,
        'reviews',
        users.map((_, i) => ['users', i, 'reviews']),
      );
    } finally {
      subgraphs.control.failMode = {};
    }
  });
});
