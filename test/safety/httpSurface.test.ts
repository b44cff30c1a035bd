/**
 * What the gateway's HTTP surface gives away and takes in (issue: production safety):
 * request bodies capped (413, connection closed, not drained), CORS only on the GraphQL
 * endpoints, nosniff everywhere, no internal address in any client error, and in production
 * no introspection and /metrics only on METRICS_PORT.
 */
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../scripts/lib/stack.ts';
import { gql, stack } from '../helpers/client.ts';
import { startExtraGateway, type ExtraGateway } from '../helpers/gateway.ts';

const base = () => stack().gatewayUrl.replace(/\/graphql$/, '');

/** Sends headers announcing `declared` bytes and `sent` bytes of body over a raw socket; resolves with what came back and whether the server closed. */
function rawPost(url: string, declared: number, sent: number): Promise<{ response: string; closed: boolean }> {
  const { hostname, port, pathname } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let response = '';
    socket.on('data', (chunk) => (response += chunk.toString('utf8')));
    socket.on('error', () => {}); // a reset after the 413 is the server refusing to read on
    socket.on('close', () => resolve({ response, closed: true }));
    socket.on('connect', () => {
      socket.write(
        `POST ${pathname} HTTP/1.1\r\nhost: ${hostname}\r\ncontent-type: application/json\r\ncontent-length: ${declared}\r\n\r\n`,
      );
      socket.write(Buffer.alloc(sent, 0x20));
    });
    setTimeout(() => reject(new Error('the server neither answered nor closed')), 60_000).unref();
  });
}

describe('request bodies', () => {
  it('over MAX_REQUEST_BYTES (128 KiB) answers 413 PAYLOAD_TOO_LARGE and closes the connection without reading the rest', async () => {
    // Declares 50 MB but sends 200 KiB: a draining server would wait for the rest; ours answers and closes.
    const { response, closed } = await rawPost(stack().gatewayUrl, 50 * 1024 * 1024, 200 * 1024);
    expect(response).toMatch(/^HTTP\/1\.1 413/);
    expect(response).toMatch(/connection: close/i);
    expect(response).toMatch(/PAYLOAD_TOO_LARGE/);
    expect(closed).toBe(true);
  });

  it('a body under the cap is served', async () => {
    const padded = JSON.stringify({ query: `{ products { id } }${' '.repeat(100 * 1024)}` });
    const res = await fetch(stack().gatewayUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: padded });
    expect(res.status).toBe(200);
  });
});

describe('headers', () => {
  it('CORS only on the GraphQL endpoints, with tracing headers allowed; nosniff on every response', async () => {
    const preflight = await fetch(stack().gatewayUrl, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://miniapp.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type, sentry-trace, baggage, traceparent',
      },
    });
    expect(preflight.status).toBe(204);
    const allowed = preflight.headers.get('access-control-allow-headers') ?? '';
    for (const header of ['authorization', 'content-type', 'sentry-trace', 'baggage', 'traceparent']) expect(allowed).toContain(header);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*');

    for (const path of ['/webhooks/stripe', '/webhooks/telegram', '/metrics', '/healthz', '/readyz']) {
      const res = await fetch(`${base()}${path}`, {
        method: path.startsWith('/webhooks') ? 'POST' : 'GET',
        headers: { origin: 'https://evil.example' },
      });
      expect(res.headers.get('access-control-allow-origin'), path).toBeNull();
      expect(res.headers.get('x-content-type-options'), path).toBe('nosniff');
      const options = await fetch(`${base()}${path}`, { method: 'OPTIONS', headers: { origin: 'https://evil.example' } });
      expect(options.headers.get('access-control-allow-origin'), path).toBeNull();
    }
    const graphql = await gql('{ products { id } }');
    expect(graphql.headers.get('x-content-type-options')).toBe('nosniff');
    expect(graphql.headers.get('x-request-id')).toMatch(/^[\w-]+$/);
  });
});

describe('a failing subgraph leaks no internal address', () => {
  let gateway: ExtraGateway;
  let broken: Server;
  let closedPort: number;

  beforeAll(async () => {
    // A subgraph that answers 502 with a body naming internal hosts, as a proxy in front of it would.
    broken = createServer((_req, res) => {
      res.writeHead(502, { 'content-type': 'text/plain' }).end('upstream connect error: 10.1.2.3:4004 analytics.internal:4004');
    });
    await new Promise<void>((r) => broken.listen(0, '127.0.0.1', () => r()));
    closedPort = await freePort();
    gateway = await startExtraGateway({
      SUBGRAPH_URL_ANALYTICS: `http://127.0.0.1:${(broken.address() as AddressInfo).port}/graphql`,
      SUBGRAPH_URL_CRM: `http://127.0.0.1:${closedPort}/graphql`,
      RESPONSE_CACHE: 'off',
    });
  });
  afterAll(async () => {
    await gateway?.stop();
    broken?.close();
  });

  it('non-2xx and unreachable subgraphs: no URL, address, status body or stack in the client error', async () => {
    for (const query of ['{ me { id activity { eventCount } } }', '{ me { id customer { email } } }']) {
      const res = await fetch(gateway.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `tma ${(await import('../helpers/client.ts')).initDataFor(279058397)}`,
        },
        body: JSON.stringify({ query }),
      });
      const text = await res.text();
      expect(text, query).toMatch(/"errors"/);
      expect(text, query).not.toMatch(/127\.0\.0\.1|10\.1\.2\.3|analytics\.internal|http:\/\/|"response"|stacktrace|ECONNREFUSED/);
    }
  });
});

describe('production mode', () => {
  let gateway: ExtraGateway;
  let metricsPort: number;

  beforeAll(async () => {
    metricsPort = await freePort();
    gateway = await startExtraGateway({
      NODE_ENV: 'production',
      TELEGRAM_BOT_TOKEN: '7000000001:PRODUCTION-TEST-TOKEN',
      TELEGRAM_WEBHOOK_SECRET: 'production-test-webhook-secret',
      METRICS_PORT: String(metricsPort),
    });
  });
  afterAll(() => gateway?.stop());

  it('introspection is off and /metrics is served only on METRICS_PORT', async () => {
    const introspection = await gql('{ __schema { types { name } } }', { url: gateway.url });
    expect(introspection.body.data?.__schema).toBeUndefined();
    expect(introspection.body.errors?.[0]?.message).toMatch(/introspection/i);
    expect((await fetch(`${gateway.base}/metrics`)).status).toBe(404);
    const metrics = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toMatch(/gateway_http_requests_total/);
  });

  it('the Stripe webhook of a deployment without Stripe credentials does not exist (an empty secret would verify anything)', async () => {
    const res = await fetch(`${gateway.base}/webhooks/stripe`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'stripe-signature': 't=1,v1=00' },
      body: '{}',
    });
    expect(res.status).toBe(404);
  });
});
