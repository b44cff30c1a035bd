/**
 * The connector base against a local fake service: retries only what is safe
 * to repeat, honours the service's retry-after, queues under the rate limit,
 * and opens its circuit breaker when the service is down.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { createConnector, UpstreamError } from '../subgraphs/shared/connector.ts';
import { createBotApi } from '../subgraphs/shared/connectors/telegramBotApi.ts';
import { subgraphRegistry } from '../subgraphs/shared/metrics.ts';
import { closeServer } from '../lib/http/io.ts';

let server: Server;
let baseUrl: string;
/** What the fake answers next, per path: a list of [status, body, headers]. */
const script = new Map<string, [number, unknown, Record<string, string>?][]>();
const hits = new Map<string, number[]>();

beforeAll(async () => {
  server = createServer((req, res) => {
    const path = req.url!.split('?')[0]!;
    hits.set(path, [...(hits.get(path) ?? []), Date.now()]);
    const [status, body, headers] = script.get(path)?.shift() ?? [200, { ok: true }];
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const address = server.address();
  baseUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});
afterAll(() => closeServer(server));

describe('connector base', () => {
  it('retries a read on 503 and honours Retry-After', async () => {
    script.set('/read', [
      [503, { error: 'down' }, { 'retry-after': '0' }],
      [429, { error: 'slow down' }, { 'retry-after': '1' }],
      [200, { value: 42 }],
    ]);
    const c = createConnector({ service: 'fake', baseUrl });
    const started = Date.now();
    const res = await c.request<{ value: number }>({ method: 'GET', path: '/read' });
    expect(res.body.value).toBe(42);
    expect(hits.get('/read')).toHaveLength(3);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    await c.close();
  });

  it('never repeats a write without an idempotency key; repeats one with it', async () => {
    script.set('/charge', [[503, { error: 'down' }]]);
    const c = createConnector({ service: 'fake', baseUrl });
    await expect(c.request({ method: 'POST', path: '/charge', json: {} })).rejects.toBeInstanceOf(UpstreamError);
    expect(hits.get('/charge')).toHaveLength(1);
    script.set('/charge-keyed', [
      [503, { error: 'down' }],
      [200, { id: 'ch_1' }],
    ]);
    const ok = await c.request<{ id: string }>({
      method: 'POST',
      path: '/charge-keyed',
      json: {},
      idempotent: true,
      headers: { 'idempotency-key': 'k1' },
    });
    expect(ok.body.id).toBe('ch_1');
    expect(hits.get('/charge-keyed')).toHaveLength(2);
    await c.close();
  });

  it('fails a 4xx at once with the service error, and does not wait for a retry-after longer than allowed', async () => {
    script.set('/bad', [[400, { message: 'nope' }]]);
    script.set('/flood', [[429, {}, { 'retry-after': '3600' }]]);
    const c = createConnector({ service: 'fake', baseUrl, maxRetryAfterMs: 1_000 });
    const bad = await c.request({ method: 'GET', path: '/bad' }).catch((e: unknown) => e);
    expect(bad).toMatchObject({ status: 400, body: { message: 'nope' }, retryable: false });
    const started = Date.now();
    await expect(c.request({ method: 'GET', path: '/flood' })).rejects.toMatchObject({ status: 429 });
    expect(Date.now() - started).toBeLessThan(1_000);
    await c.close();
  });

  it('queues requests under the rate limit of a live service, not against the sandbox', async () => {
    const live = createConnector({ service: 'fake', baseUrl, rateLimit: { points: 5, durationSeconds: 1 } });
    const started = Date.now();
    await Promise.all(Array.from({ length: 8 }, () => live.request({ method: 'GET', path: '/limited' })));
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    const sandbox = createConnector({ service: 'fake', baseUrl, rateLimit: { points: 5, durationSeconds: 1 }, sandbox: true });
    const fast = Date.now();
    await Promise.all(Array.from({ length: 8 }, () => sandbox.request({ method: 'GET', path: '/limited' })));
    expect(Date.now() - fast).toBeLessThan(500);
    await Promise.all([live.close(), sandbox.close()]);
  });

  it('opens the circuit after consecutive failures and fails fast', async () => {
    script.set(
      '/dead',
      Array.from({ length: 10 }, () => [500, { error: 'boom' }] as [number, unknown]),
    );
    const c = createConnector({ service: 'fake', baseUrl, maxAttempts: 1 });
    for (let i = 0; i < 5; i++) await c.request({ method: 'GET', path: '/dead' }).catch(() => undefined);
    const before = hits.get('/dead')!.length;
    const error = await c.request({ method: 'GET', path: '/dead' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpstreamError);
    expect((error as Error).message).toMatch(/circuit open/);
    expect(hits.get('/dead')!.length).toBe(before);
    await c.close();
  });

  it('turns an unreachable service into a clear UpstreamError', async () => {
    const c = createConnector({ service: 'gone', baseUrl: 'http://127.0.0.1:9', maxAttempts: 1, timeoutMs: 1_000 });
    await expect(c.request({ method: 'GET', path: '/x' })).rejects.toMatchObject({
      service: 'gone',
      status: 0,
      message: expect.stringMatching(/unreachable/),
    });
    await c.close();
  });

  it("repeats a write refused with 429 after Telegram's retry_after (the call was not executed)", async () => {
    const token = '123:fake';
    script.set(`/bot${token}/createInvoiceLink`, [
      [429, { ok: false, error_code: 429, description: 'Too Many Requests: retry after 1', parameters: { retry_after: 1 } }],
      [200, { ok: true, result: 'https://t.me/$invoice' }],
    ]);
    const bot = createBotApi({ baseUrl, token });
    await expect(bot.call('createInvoiceLink', { title: 't' })).resolves.toBe('https://t.me/$invoice');
    expect(hits.get(`/bot${token}/createInvoiceLink`)).toHaveLength(2);
    await bot.close();
  });

  it("does not wait for a 429 past the call's deadline", async () => {
    script.set('/late', [
      [429, {}, { 'retry-after': '2' }],
      [200, { ok: true }],
    ]);
    const c = createConnector({ service: 'fake', baseUrl, deadlineMs: 500 });
    await expect(c.request({ method: 'POST', path: '/late', json: {} })).rejects.toMatchObject({ status: 429 });
    expect(hits.get('/late')).toHaveLength(1);
    await c.close();
  });

  it('fails fast with queue_timeout when the rate limit has no slot within maxQueueWaitMs', async () => {
    const c = createConnector({ service: 'fake', baseUrl, rateLimit: { points: 1, durationSeconds: 60 }, maxQueueWaitMs: 100 });
    await c.request({ method: 'GET', path: '/budget' });
    const error = await c.request({ method: 'GET', path: '/budget' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error).toMatchObject({ reason: 'queue_timeout', retryable: false });
    expect(hits.get('/budget')).toHaveLength(1);
    await c.close();
  });

  it('counts calls, retries, errors, latency, queue wait and breaker state per service', async () => {
    script.set('/metered', [
      [503, {}, { 'retry-after': '0' }],
      [200, { ok: true }],
    ]);
    const c = createConnector({ service: 'metered', baseUrl, rateLimit: { points: 100, durationSeconds: 1 } });
    await c.request({ method: 'GET', path: '/metered' });
    const text = await subgraphRegistry.metrics();
    expect(text).toContain('upstream_calls_total{service="metered",outcome="503"} 1');
    expect(text).toContain('upstream_calls_total{service="metered",outcome="200"} 1');
    expect(text).toContain('upstream_retries_total{service="metered",reason="503"} 1');
    expect(text).toContain('upstream_call_duration_seconds_count{service="metered"} 2');
    expect(text).toContain('upstream_queue_wait_seconds_count{service="metered"} 2');
    expect(text).toContain('upstream_circuit_state{service="metered"} 0');
    expect(text).not.toContain('upstream_errors_total{service="metered"}');
    await c.close();
  });
});
