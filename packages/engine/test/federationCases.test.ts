// Federation behaviours where query planners differ, on small real
// supergraphs (test/fixtures/federationCases.ts). For every query:
//   - the engine with Hive Router's planner (the default) gives the answer the
//     Federation spec implies, except where marked `hiveWrong` (a planner bug:
//     asserted the same way as stock's);
//   - stock @apollo/gateway gives that answer too, except where marked
//     `stockWrong`: there the test asserts stock's wrong answer, so the day a
//     stock release fixes it this test says so;
//   - the engine with Apollo's planner answers exactly like stock (it is the
//     reference mode: same plans, same execution semantics).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSupergraph } from './fixtures/subgraphs.ts';
import { FEDERATION_CASES, OVERRIDE, type FederationQuery } from './fixtures/federationCases.ts';
import { fastGateway, post, serveGateway, stockGateway, type RunningGateway } from './fixtures/gateways.ts';

function matches(body: unknown, expected: FederationQuery['expected']): boolean {
  const b = body as { data?: unknown; errors?: unknown[] };
  if (expected.errors) return (b.errors?.length ?? 0) > 0 && JSON.stringify(b.data ?? null) === JSON.stringify(expected.data);
  return b.errors === undefined && JSON.stringify(b.data) === JSON.stringify(expected.data);
}

for (const fc of FEDERATION_CASES) {
  describe(fc.name, () => {
    let close: () => Promise<void>;
    let stock: RunningGateway;
    let hive: RunningGateway;
    let apollo: RunningGateway;
    beforeAll(async () => {
      const sg = await startSupergraph(fc.subgraphs);
      stock = await serveGateway(stockGateway(sg.supergraphSdl));
      hive = await serveGateway(fastGateway(sg.supergraphSdl, { planner: 'hive' }));
      apollo = await serveGateway(fastGateway(sg.supergraphSdl, { planner: 'apollo' }));
      close = async () => {
        await Promise.all([stock.close(), hive.close(), apollo.close()]);
        await sg.close();
      };
    }, 60_000);
    afterAll(async () => close?.());

    for (const q of fc.queries) {
      const payload = { query: q.query, variables: q.variables };
      it(`hive planner: ${q.name}${q.hiveWrong ? ` (Hive's planner is wrong: ${q.hiveWrong})` : ''}`, async () => {
        const r = await post(hive.url, payload);
        if (q.hiveWrong) {
          expect(matches(r.body, q.expected)).toBe(false);
        } else if (q.expected.errors) {
          expect((r.body as { data: unknown }).data).toEqual(q.expected.data);
          expect((r.body as { errors?: unknown[] }).errors?.length).toBeGreaterThan(0);
        } else {
          expect(r.body).toEqual(q.expected);
        }
      });
      it(`stock @apollo/gateway: ${q.name}${q.stockWrong ? ` (stock is wrong: ${q.stockWrong})` : ''}`, async () => {
        const r = await post(stock.url, payload);
        expect(matches(r.body, q.expected)).toBe(!q.stockWrong);
      });
      it(`apollo planner answers like stock: ${q.name}`, async () => {
        const [a, b] = await Promise.all([post(stock.url, payload), post(apollo.url, payload)]);
        expect(b.status).toBe(a.status);
        expect(b.body).toEqual(a.body);
      });
    }
  });
}

describe('progressive @override (percent label)', () => {
  let sg: Awaited<ReturnType<typeof startSupergraph>>;
  beforeAll(async () => {
    sg = await startSupergraph(OVERRIDE.subgraphs);
  }, 60_000);
  afterAll(async () => sg?.close());

  for (const planner of ['hive', 'apollo'] as const) {
    it(`${planner} planner: a roll under the percentage takes the new subgraph, above it the old one`, async () => {
      let roll = 10;
      const gw = await serveGateway(fastGateway(sg.supergraphSdl, { planner, overrideRoll: () => roll }));
      try {
        const query = '{ stickers { id stock } }';
        expect((await post(gw.url, { query })).body).toEqual({
          data: {
            stickers: [
              { id: 's1', stock: 2 },
              { id: 's2', stock: 2 },
            ],
          },
        });
        roll = 90;
        expect((await post(gw.url, { query })).body).toEqual({
          data: {
            stickers: [
              { id: 's1', stock: 1 },
              { id: 's2', stock: 1 },
            ],
          },
        });
        roll = 49.9;
        expect((await post(gw.url, { query })).body).toEqual({
          data: {
            stickers: [
              { id: 's1', stock: 2 },
              { id: 's2', stock: 2 },
            ],
          },
        });
      } finally {
        await gw.close();
      }
    });
  }
});
