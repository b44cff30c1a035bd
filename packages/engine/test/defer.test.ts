// @defer in the engine (executeDeferred): a fixture supergraph whose deferred
// fields come from a slow subgraph (its answers held behind a gate the test
// opens), served over real HTTP. The initial result must be ready while the
// slow subgraph still holds its answer (ordering proven by the gate, not by
// timing); parts come in completion order with correct paths and labels;
// merging them gives exactly the result of the same query without @defer.
// (The multipart/mixed HTTP answer of the application: test/defer.test.ts.)
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'graphql';
import type { ApolloServer } from '@apollo/server';
import { compose, subgraphHandler } from './fixtures/subgraphs.ts';
import { DEFER_SUBGRAPHS, DEFERRED_QUERY, EXPECTED_DEFERRED_PARTS, mergeAt, PLAIN_QUERY } from './fixtures/deferSupergraph.ts';
import { fastGateway, post, serveGateway, type RunningGateway } from './fixtures/gateways.ts';
import type { DeferredResponse, FastGateway, SubsequentPayload } from '../src/index.ts';

/** The slow subgraph's answers wait for this gate (when closed). */
let gate: { open: boolean; release: () => void; wait: Promise<void> };
function closeGate() {
  let release!: () => void;
  const wait = new Promise<void>((r) => (release = r));
  gate = { open: false, release: () => ((gate.open = true), release()), wait };
}
let reviewsAnswered = 0;

describe('@defer with incremental delivery (executeDeferred)', () => {
  const servers: Server[] = [];
  const apollos: ApolloServer[] = [];
  let engine: FastGateway;
  let served: RunningGateway;

  beforeAll(async () => {
    closeGate();
    gate.release();
    const urls: Record<string, string> = {};
    for (const [name, def] of Object.entries(DEFER_SUBGRAPHS)) {
      const { apollo, handle } = await subgraphHandler(def);
      apollos.push(apollo);
      const server = createServer((req, res) => {
        if (name !== 'reviews') return handle(req, res);
        void gate.wait.then(() => {
          reviewsAnswered++;
          handle(req, res);
        });
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      servers.push(server);
      urls[name] = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
    }
    const supergraphSdl = compose(DEFER_SUBGRAPHS, urls);
    engine = fastGateway(supergraphSdl);
    // the plain query, for comparison, through the same engine behind Apollo Server (Hive's planner)
    served = await serveGateway(fastGateway(supergraphSdl));
  }, 60_000);
  afterAll(async () => {
    gate?.release();
    await engine?.stop();
    await served?.close();
    for (const s of servers) s.closeAllConnections();
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    await Promise.all(apollos.map((a) => a.stop()));
  });

  const run = (query: string, variables?: Record<string, unknown>) =>
    engine.executeDeferred({ query, document: parse(query), variables, context: async () => ({}) });

  it('answers the initial result before the slow subgraph does, then the parts in completion order, merging to the plain result', async () => {
    closeGate();
    const answeredBefore = reviewsAnswered;
    const response = (await run(DEFERRED_QUERY)) as DeferredResponse;
    expect(response && 'initial' in response).toBe(true);
    // The reviews subgraph still holds its answer: the initial result cannot contain anything of it.
    expect(gate.open).toBe(false);
    expect(reviewsAnswered).toBe(answeredBefore);
    expect(response.initial).toEqual(EXPECTED_DEFERRED_PARTS.initial);

    const parts = response.subsequent[Symbol.asyncIterator]();
    // The unlabelled fragment (the fast subgraph) is not held by the gate.
    const shopPart = (await parts.next()).value as SubsequentPayload;
    expect(shopPart).toEqual(EXPECTED_DEFERRED_PARTS.shop);
    expect(gate.open).toBe(false);

    gate.release();
    const reviewsPart = (await parts.next()).value as SubsequentPayload;
    expect(reviewsPart.hasNext).toBe(false);
    expect(reviewsPart.incremental).toEqual(EXPECTED_DEFERRED_PARTS.reviewsIncremental);
    expect((await parts.next()).done).toBe(true);

    const merged = structuredClone(response.initial.data!) as Record<string, unknown>;
    for (const part of [shopPart, reviewsPart]) for (const item of part.incremental) mergeAt(merged, item.path, item.data!);
    const plain = await post(served.url, { query: PLAIN_QUERY });
    expect(merged).toEqual((plain.body as { data: unknown }).data);
  });

  it('@defer(if: false) is not deferred: undefined, the caller runs the query as usual', async () => {
    gate.release();
    const query = 'query ($d: Boolean!) { products { id ... @defer(if: $d) { rating } } }';
    expect(await run(query, { d: false })).toBeUndefined();
    const deferred = (await run(query, { d: true })) as DeferredResponse;
    expect(deferred.initial).toEqual({ data: { products: [{ id: 'p1' }, { id: 'p2' }] }, hasNext: true });
  });

  it('bad variables are answered as errors, never thrown', async () => {
    const result = await run('query ($d: Boolean!) { products { id ... @defer(if: $d) { rating } } }', { d: 'yes' });
    expect(result && 'errors' in result && result.errors?.length).toBe(1);
  });

  it('exposes the API schema with and without the @defer directive', () => {
    expect(engine.schema.getDirective('defer')).toBeUndefined();
    expect(engine.schemaWithDefer.getDirective('defer')).toBeDefined();
  });
});
