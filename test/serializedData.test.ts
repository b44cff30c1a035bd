/**
 * With the response cache off, the fast engine hands the data over already serialized
 * (packages/engine/src/serializedData.ts, gateway/src/resultJson.ts). The bytes a client gets
 * must be the ones of the object path (response cache on), for plain data, for data with
 * errors, and for GET requests; also from the production launcher, whose node runs V8's fast
 * JSON.stringify (bin/tma-gateway), against the object path of a node that does not.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SerializedData } from '@tma/engine';
import { stringifyResult } from '../gateway/src/resultJson.ts';
import { startExtraGateway, type ExtraGateway } from './helpers/gateway.ts';

let serialized: ExtraGateway;
let objects: ExtraGateway;
let launched: ExtraGateway;

beforeAll(async () => {
  [serialized, objects, launched] = await Promise.all([
    startExtraGateway({ GATEWAY_ENGINE: 'fast', RESPONSE_CACHE: 'off' }),
    startExtraGateway({ GATEWAY_ENGINE: 'fast', RESPONSE_CACHE: 'on' }),
    startExtraGateway({ GATEWAY_ENGINE: 'fast', RESPONSE_CACHE: 'off' }, { viaLauncher: true }),
  ]);
}, 120_000);
afterAll(async () => {
  await Promise.all([serialized?.stop(), objects?.stop(), launched?.stop()]);
});

async function raw(url: string, init: RequestInit = {}): Promise<{ status: number; type: string | null; text: string }> {
  const res = await fetch(url, init);
  return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
}

const post = (query: string) => ({
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ query }),
});

describe('serialized data (RESPONSE_CACHE=off)', () => {
  it('answers the same bytes as the object path: data alone, data with errors, GET', async () => {
    const cases: [string, RequestInit, (url: string) => string][] = [
      ['data alone', post('{ products { id title prices { amount currency } } }'), (u) => u],
      ['data and errors', post('{ products { id } me { id } }'), (u) => u],
      [
        'GET',
        { method: 'GET', headers: { 'apollo-require-preflight': 'true' } },
        (u) => `${u}?query=${encodeURIComponent('{ products { id title } }')}`,
      ],
    ];
    for (const [name, init, at] of cases) {
      const [a, b, c] = await Promise.all([raw(at(serialized.url), init), raw(at(objects.url), init), raw(at(launched.url), init)]);
      expect({ name, ...a }).toEqual({ name, ...b });
      expect({ name, ...c }).toEqual({ name, ...b });
      // an anonymous `me` is UNAUTHENTICATED: 401 (unauthenticatedStatus plugin), with the data of the rest
      expect(a.status).toBe(name === 'data and errors' ? 401 : 200);
      const body = JSON.parse(a.text) as { data?: { products?: unknown[] }; errors?: unknown[] };
      expect(body.data?.products?.length).toBeGreaterThan(0);
      if (name === 'data and errors') expect(body.errors?.length).toBeGreaterThan(0);
      else expect(body.errors).toBeUndefined();
    }
  });
});

describe('pooled response buffers', () => {
  it('many concurrent responses of different contents each get their own bytes', async () => {
    const products = JSON.parse((await raw(objects.url, post('{ products { id } }'))).text) as { data: { products: { id: string }[] } };
    const ids = products.data.products.map((p) => p.id);
    expect(ids.length).toBeGreaterThan(1);
    const requests = Array.from({ length: 60 }, (_, i) => {
      const id = ids[i % ids.length]!;
      // a different text per request: a buffer given back too early would show another's bytes
      return post(`{ product(id: ${JSON.stringify(id)}) { id title prices { amount currency } } n${i}: products { id } }`);
    });
    const [got, expected, launchedGot] = await Promise.all([
      Promise.all(requests.map((init) => raw(serialized.url, init))),
      Promise.all(requests.map((init) => raw(objects.url, init))),
      Promise.all(requests.map((init) => raw(launched.url, init))),
    ]);
    for (let i = 0; i < requests.length; i++) {
      expect(got[i]).toEqual(expected[i]);
      expect(launchedGot[i]).toEqual(expected[i]);
    }
  });
});

describe('stringifyResult', () => {
  const data = { products: [{ id: '1', title: 'Stars ★ pack' }], me: null };
  const serializedData = () => new SerializedData(Buffer.from(JSON.stringify({ data })));
  // stringifyResult answers bytes for serialized data (writeApolloResponse writes either)
  const text = (body: unknown) => (typeof body === 'string' ? body : (body as Buffer).toString('utf8'));
  it('writes what JSON.stringify writes, in the result key order, around the serialized data', () => {
    const results: Record<string, unknown>[] = [
      { data },
      { errors: undefined, data, extensions: undefined },
      { errors: [{ message: 'no', path: ['me'], extensions: { code: 'UNAUTHENTICATED' } }], data, extensions: undefined },
      { data, extensions: { cost: 3 } },
      { errors: [{ message: 'no' }], data, extensions: { cost: 3 } },
    ];
    for (const result of results) {
      expect(text(stringifyResult({ ...result, data: serializedData() } as never))).toBe(JSON.stringify(result));
    }
  });

  it('stringifies a result without serialized data as it is', () => {
    expect(stringifyResult({ data } as never)).toBe(JSON.stringify({ data }));
    expect(JSON.stringify({ data: serializedData() })).toBe(JSON.stringify({ data })); // toJSON: the fallback
  });
});
