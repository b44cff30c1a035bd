// The subgraph request pipeline: hooks see and change every subgraph request,
// deadlines per subgraph, the client's disconnect cancels its subgraph fetches,
// and oversized subgraph responses are refused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSubgraphs, type RunningSubgraphs } from './fixtures/subgraphs.ts';
import { fastGateway, post, serveGateway, type RunningGateway } from './fixtures/gateways.ts';
import { headersHook, subgraphResponse, type FastGatewayOptions, type SubgraphHook } from '../src/index.ts';

let subgraphs: RunningSubgraphs;

beforeAll(async () => {
  subgraphs = await startSubgraphs();
}, 60_000);

afterAll(async () => {
  await subgraphs?.close();
});

async function withGateway<T>(opts: Partial<FastGatewayOptions>, fn: (gw: RunningGateway) => Promise<T>): Promise<T> {
  const gw = await serveGateway(fastGateway(subgraphs.supergraphSdl, opts));
  try {
    return await fn(gw);
  } finally {
    await gw.close();
  }
}

/** Polls `check` until it holds (no fixed sleeps as proof). */
async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for: ${what}`);
}

function errorsOf(body: unknown): { message: string; path?: unknown }[] {
  return ((body as { errors?: { message: string }[] }).errors ?? []) as { message: string }[];
}

describe('subgraph request hooks', () => {
  it('hooks run outermost first, can set headers and observe every response', async () => {
    const seen: string[] = [];
    const tracing: SubgraphHook = async (request, next) => {
      request.headers = { ...request.headers, 'x-trace-id': 'trace-1' };
      const response = await next(request);
      seen.push(`${request.subgraphName}:${response.kind === 'response' ? response.status : 'error'}`);
      return response;
    };
    const order: string[] = [];
    const first: SubgraphHook = (r, next) => (order.push('first'), next(r));
    const second: SubgraphHook = (r, next) => (order.push('second'), next(r));
    await withGateway({ subgraphHooks: [tracing, first, second] }, async (gw) => {
      const r = await post(gw.url, { query: '{ me { id name reviews { id } } }' });
      expect(errorsOf(r.body)).toEqual([]);
      expect(subgraphs.control.lastHeaders['accounts']?.['x-trace-id']).toBe('trace-1');
      expect(subgraphs.control.lastHeaders['reviews']?.['x-trace-id']).toBe('trace-1');
      expect(seen.sort()).toEqual(['accounts:200', 'reviews:200']);
      expect(order).toEqual(['first', 'second', 'first', 'second']);
    });
  });

  it('a hook can answer without calling the subgraph', async () => {
    const mock: SubgraphHook = async (request, next) =>
      request.subgraphName === 'accounts'
        ? subgraphResponse({ url: request.url, text: '{"data":{"me":{"id":"9","name":"Mock"}}}' })
        : next(request);
    await withGateway({ subgraphHooks: [mock] }, async (gw) => {
      subgraphs.control.requests = {};
      const r = await post(gw.url, { query: '{ me { id name } }' });
      expect(r.body).toEqual({ data: { me: { id: '9', name: 'Mock' } } });
      expect(subgraphs.control.requests['accounts']).toBeUndefined();
    });
  });

  it('per-subgraph deadline: a subgraph that does not answer in time is an error for its fields only', async () => {
    let release: (() => void) | undefined;
    subgraphs.control.gate = (name) => (name === 'reviews' ? new Promise<void>((r) => (release = r)) : Promise.resolve());
    try {
      await withGateway({ subgraphTimeoutMs: { default: 30_000, perSubgraph: { reviews: 300 } } }, async (gw) => {
        const r = await post(gw.url, { query: '{ me { id name reviews { id } } }' });
        const body = r.body as { data: { me: { id: string; name: string; reviews: unknown } } };
        expect(body.data.me).toEqual({ id: '1', name: 'Ada Lovelace', reviews: null });
        expect(errorsOf(r.body).map((e) => e.message)).toEqual([expect.stringContaining('did not answer within 300 ms')]);
      });
    } finally {
      subgraphs.control.gate = undefined;
      release?.();
    }
  });

  it('the client disconnecting cancels the subgraph fetch', async () => {
    let release: (() => void) | undefined;
    subgraphs.control.gate = (name) => (name === 'accounts' ? new Promise<void>((r) => (release = r)) : Promise.resolve());
    subgraphs.control.requests = {};
    subgraphs.control.abandoned = {};
    try {
      await withGateway({}, async (gw) => {
        const client = new AbortController();
        const pending = fetch(gw.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query: '{ me { id } }' }),
          signal: client.signal,
        }).catch((e: unknown) => e);
        await until(() => subgraphs.control.requests['accounts'] === 1, 'the subgraph received the fetch');
        client.abort();
        await pending;
        // the gateway closes its subgraph request although the subgraph never answered
        await until(() => subgraphs.control.abandoned['accounts'] === 1, 'the subgraph fetch was cancelled');
      });
    } finally {
      subgraphs.control.gate = undefined;
      release?.();
    }
  });

  it('a subgraph response above the size cap is refused with a clear error', async () => {
    subgraphs.control.padBytes = { accounts: 10_000 };
    try {
      await withGateway({ maxSubgraphResponseBytes: 4096 }, async (gw) => {
        const r = await post(gw.url, { query: '{ me { id } }' });
        expect(errorsOf(r.body).map((e) => e.message)).toEqual([expect.stringContaining('larger than 4096 bytes')]);
      });
      await withGateway({ maxSubgraphResponseBytes: 64 * 1024 }, async (gw) => {
        const r = await post(gw.url, { query: '{ me { id } }' });
        expect(errorsOf(r.body)).toEqual([]);
      });
    } finally {
      subgraphs.control.padBytes = {};
    }
  });
});

describe('headersHook', () => {
  const request = (context: object, headers: Readonly<Record<string, string>>) =>
    ({ subgraphName: 'accounts', url: 'http://127.0.0.1:1/graphql', body: '{}', headers, operationKind: 'query', context }) as never;
  it('merges the headers once per headers object it is given, for every request that gets that object', async () => {
    const anonymous = Object.freeze({ Authorization: 'Bearer anon' });
    const user = Object.freeze({ Authorization: 'Bearer user-1' });
    const headersFor = (context: unknown) => ((context as { user?: boolean }).user ? user : anonymous);
    const seen: Readonly<Record<string, string>>[] = [];
    const hook = headersHook(headersFor);
    const next = async (r: { headers: Readonly<Record<string, string>> }) => (
      seen.push(r.headers), subgraphResponse({ url: 'http://127.0.0.1:1/graphql', text: '{"data":{}}' })
    );
    const base = Object.freeze({ 'content-type': 'application/json' });
    await hook(request({}, base), next as never);
    await hook(request({}, base), next as never); // another request, same headers object: the same merge
    await hook(request({ user: true }, base), next as never);
    await hook(request({}, Object.freeze({ 'content-type': 'application/json', 'x-other': '1' })), next as never); // another base
    expect(seen[0]).toEqual({ 'content-type': 'application/json', authorization: 'Bearer anon' });
    expect(seen[1]).toBe(seen[0]);
    expect(seen[2]).toEqual({ 'content-type': 'application/json', authorization: 'Bearer user-1' });
    expect(seen[3]).toEqual({ 'content-type': 'application/json', 'x-other': '1', authorization: 'Bearer anon' });
    expect(Object.isFrozen(seen[0])).toBe(true); // shared between requests: nobody may change it
  });

  it('reads a headers object that is not frozen again for every request (it may have changed)', async () => {
    const mutable: Record<string, string> = { authorization: 'Bearer one' };
    const seen: Readonly<Record<string, string>>[] = [];
    const hook = headersHook(() => mutable);
    const next = async (r: { headers: Readonly<Record<string, string>> }) => (
      seen.push(r.headers), subgraphResponse({ url: 'http://127.0.0.1:1/graphql', text: '{"data":{}}' })
    );
    const base = Object.freeze({ 'content-type': 'application/json' });
    await hook(request({}, base), next as never);
    mutable['authorization'] = 'Bearer two';
    await hook(request({}, base), next as never);
    expect(seen.map((h) => h['authorization'])).toEqual(['Bearer one', 'Bearer two']);
  });
});
