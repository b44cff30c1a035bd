/** The gateway's HTTP surface: health, readiness, metrics, CORS, and clear errors for bad input. */
import { describe, expect, it } from 'vitest';
import { stack } from './helpers/client.ts';

const base = () => stack().gatewayUrl.replace(/\/graphql$/, '');
const codeOf = async (res: Response) => ((await res.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code;

describe('gateway HTTP surface', () => {
  it('healthz, readyz (every subgraph reachable) and Prometheus metrics', async () => {
    expect((await fetch(`${base()}/healthz`)).status).toBe(200);
    const ready = await fetch(`${base()}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({
      ready: true,
      subgraphs: { telegram: 'reachable', payments: 'reachable', crm: 'reachable', analytics: 'reachable' },
    });
    await fetch(stack().gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"query":"{ products { id } }"}',
    });
    const metrics = await fetch(`${base()}/metrics`);
    expect(metrics.headers.get('content-type')).toMatch(/text\/plain/);
    const text = await metrics.text();
    expect(text).toMatch(/gateway_http_requests_total\{route="\/graphql",status="200"\} \d+/);
    expect(text).toMatch(/gateway_http_request_duration_seconds_bucket/);
  });

  it('answers a CORS preflight for Mini App origins with the Authorization header allowed', async () => {
    const res = await fetch(stack().gatewayUrl, {
      method: 'OPTIONS',
      headers: { origin: 'https://miniapp.example', 'access-control-request-headers': 'authorization, content-type' },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-headers')).toMatch(/authorization/);
  });

  it('gives bad input a clear error with a stable code, never a crash or a stack trace', async () => {
    const post = (body: string, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
      fetch(stack().gatewayUrl, { method: 'POST', headers, body });
    const badJson = await post('{"query": ');
    expect(badJson.status).toBe(400);
    expect(await codeOf(badJson)).toBe('BAD_REQUEST');
    // An oversized body (413, connection closed without reading the rest) is checked over a raw socket in
    // test/safety/httpSurface.test.ts: fetch reports the early close as a network error while still uploading.
    const parse = await post(JSON.stringify({ query: '{ products { id ' }));
    expect(parse.status).toBe(400);
    expect(await codeOf(parse)).toBe('GRAPHQL_PARSE_FAILED');
    const invalid = await post(JSON.stringify({ query: '{ products { nope } }' }));
    expect(invalid.status).toBe(400);
    expect(await codeOf(invalid)).toBe('GRAPHQL_VALIDATION_FAILED');
    const badVariables = await post(
      JSON.stringify({ query: 'query($id: ID!) { product(id: $id) { id } }', variables: { id: { nested: true } } }),
    );
    expect(badVariables.status).toBe(400);
    expect(await codeOf(badVariables)).toBe('BAD_USER_INPUT');
    // A form post (a "simple" request) is refused by CSRF prevention.
    const form = await post('query=%7B__typename%7D', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(form.status).toBe(400);
    const unknown = await fetch(`${base()}/nope`);
    expect(unknown.status).toBe(404);
    for (const body of ['{"query": ', JSON.stringify({ query: '{ products { id ' }), JSON.stringify({ query: '{ products { nope } }' })]) {
      const text = await (await post(body)).text();
      expect(text).not.toMatch(/stacktrace|\.ts:\d+|node_modules/);
    }
  });
});
