/**
 * The connector base: the one way a subgraph talks to an external service.
 * Pooled keep-alive HTTP (undici), a per-service rate limit that queues rather
 * than fails (rate-limiter-flexible), retries with backoff that honour the
 * service's own "retry after" signal, and a circuit breaker so a dead service
 * fails fast instead of stacking timeouts (cockatiel).
 *
 * Retries are only ever applied to requests the caller declares safe to
 * repeat: reads, and writes carrying an idempotency key. A payment call is
 * never sent twice by accident. The one exception is a 429: the service did
 * not execute the call, so every call (writes included) is repeated after the
 * hinted wait, as long as the call's deadline allows it. Waiting for the
 * outbound rate limit is bounded too: past `maxQueueWaitMs` the call fails
 * fast (`UPSTREAM_RATE_LIMITED`) rather than stalling a GraphQL request.
 * Every call feeds the per-service metrics of metrics.ts.
 */
import { Agent, request as undiciRequest, type Dispatcher } from 'undici';
import { ConsecutiveBreaker, circuitBreaker, handleWhen, BrokenCircuitError } from 'cockatiel';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import type { Logger } from '../../lib/logger.ts';
import { injectTraceHeaders, withClientSpan } from '../../lib/tracing.ts';
import { upstreamCalls, upstreamCircuitState, upstreamDuration, upstreamErrors, upstreamQueueWait, upstreamRetries } from './metrics.ts';

export interface ConnectorOptions {
  /** Short service name, used in errors, logs and metrics ("hubspot"). */
  service: string;
  /** '' means the service is switched off (production without credentials): every call fails with ServiceNotConfiguredError. */
  baseUrl: string;
  /** Headers sent on every request (credentials live here and never in logs). */
  headers?: Record<string, string>;
  timeoutMs?: number;
  /** Attempts in all, the first included, for requests that are safe to repeat. */
  maxAttempts?: number;
  /** Longest honoured retry-after wait; a longer one fails the request instead of hanging it. */
  maxRetryAfterMs?: number;
  /** Whole-call budget: attempts, retry waits and rate-limit waits together (default 15 s). */
  deadlineMs?: number;
  /** Longest wait for a slot of the outbound rate limit (default 2 s), then UPSTREAM_RATE_LIMITED. */
  maxQueueWaitMs?: number;
  /**
   * Outbound budget of the live service: at most `points` requests per `durationSeconds`
   * (queued, not refused). Not applied against the sandbox (`sandbox: true`), which has no
   * such limit and injects 429s on request instead (POST /__sandbox/faults).
   */
  rateLimit?: { points: number; durationSeconds: number };
  /**
   * Further budgets, by name, that some endpoints spend on top of `rateLimit` (e.g. HubSpot's
   * per-second search limit): a request naming a `bucket` waits for both. Same sandbox rule.
   */
  buckets?: Record<string, { points: number; durationSeconds: number }>;
  sandbox?: boolean;
  /** Service-specific reading of a failed response: retryable? wait how long? */
  classify?: (failure: { status: number; headers: Record<string, string | string[] | undefined>; body: unknown }) => {
    retryable?: boolean;
    retryAfterMs?: number;
  };
  log?: Logger;
  /** Path (or full URL suffix) rewrite used for logging without secrets, e.g. hiding a bot token in the path. */
  redactPath?: (path: string) => string;
}

export interface ConnectorRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  /** JSON body (sets content-type). */
  json?: unknown;
  /** application/x-www-form-urlencoded body, already flattened (Stripe style `a[b]`). */
  form?: Record<string, string>;
  /** Raw text body with its content type. */
  text?: { body: string; contentType: string };
  headers?: Record<string, string>;
  /** Safe to send again: GETs by default; writes only when they carry an idempotency key. */
  idempotent?: boolean;
  /** Name of an extra budget in `ConnectorOptions.buckets` this request also spends. */
  bucket?: string;
  /** Overrides the connector's `maxQueueWaitMs` (background work may wait longer than a GraphQL request). */
  maxQueueWaitMs?: number;
  /** Overrides the connector's `deadlineMs`. */
  deadlineMs?: number;
}

export interface ConnectorResponse<T> {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: T;
}

/** A failed call to an external service. The message never contains credentials. */
export class UpstreamError extends Error {
  override name = 'UpstreamError';
  readonly service: string;
  readonly status: number;
  readonly body: unknown;
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;
  /** Why no answer came: the breaker is open, or no rate-limit slot within the allowed wait. */
  readonly reason: 'circuit_open' | 'queue_timeout' | undefined;
  constructor(
    service: string,
    status: number,
    body: unknown,
    message: string,
    retryable: boolean,
    retryAfterMs?: number,
    reason?: 'circuit_open' | 'queue_timeout',
  ) {
    super(message);
    this.reason = reason;
    this.service = service;
    this.status = status;
    this.body = body;
    this.retryable = retryable;
    this.retryAfterMs = retryAfterMs;
  }
}

/** A call to a service that runs without credentials in production, so it is switched off (never the sandbox). */
export class ServiceNotConfiguredError extends Error {
  override name = 'ServiceNotConfiguredError';
  readonly service: string;
  constructor(service: string) {
    super(`${service} is not configured on this deployment`);
    this.service = service;
  }
}

export interface Connector {
  readonly service: string;
  request<T = unknown>(req: ConnectorRequest): Promise<ConnectorResponse<T>>;
  close(): Promise<void>;
}

const RETRYABLE_STATUS = new Set([408, 409, 425, 429, 500, 502, 503, 504]);

function parseRetryAfterHeader(value: string | string[] | undefined): number | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (!raw) return undefined;
  const seconds = Number(raw);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(raw);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

function buildUrl(base: string, path: string, query: ConnectorRequest['query']): string {
  let url = base.replace(/\/+$/, '') + (path.startsWith('/') ? path : `/${path}`);
  if (query) {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, String(v));
    const qs = params.toString();
    if (qs) url += (url.includes('?') ? '&' : '?') + qs;
  }
  return url;
}

/** Waiters for a rate-limit slot per connector, beyond which calls fail at once (bounded memory). */
const MAX_QUEUED = 10_000;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function createConnector(options: ConnectorOptions): Connector {
  const {
    service,
    baseUrl,
    timeoutMs = 10_000,
    maxAttempts = 3,
    maxRetryAfterMs = 5_000,
    deadlineMs = 15_000,
    maxQueueWaitMs = 2_000,
    log,
    redactPath = (p: string) => p,
  } = options;
  const dispatcher: Dispatcher = new Agent({
    keepAliveTimeout: 10_000,
    connections: 32,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
  });
  const budgetOf = (limit: { points: number; durationSeconds: number }) =>
    new RateLimiterMemory({ points: limit.points, duration: limit.durationSeconds });
  const limiter = options.rateLimit && !options.sandbox ? budgetOf(options.rateLimit) : undefined;
  // Extra budgets some requests also spend (e.g. HubSpot's per-second search limit), the same way.
  const buckets = new Map(
    options.sandbox ? [] : Object.entries(options.buckets ?? {}).map(([name, limit]) => [name, budgetOf(limit)] as const),
  );
  let queued = 0;

  // Breaker opens after 5 consecutive failures that look like the service is down (5xx, network);
  // 4xx answers are the caller's problem and do not count.
  const breaker = circuitBreaker(
    handleWhen((e) => !(e instanceof UpstreamError) || e.status >= 500 || e.status === 0),
    { halfOpenAfter: 10_000, breaker: new ConsecutiveBreaker(5) },
  );
  upstreamCircuitState.set({ service }, 0);
  breaker.onStateChange((state) => {
    upstreamCircuitState.set({ service }, state === 1 ? 1 : state === 2 ? 2 : 0);
    log?.warn({ service, state: ['closed', 'open', 'half-open', 'isolated'][state] }, 'circuit breaker state changed');
  });

  /** Waits for a slot of an outbound budget, at most `maxWaitMs`; then fails fast. */
  async function acquireSlot(budget: RateLimiterMemory | undefined, maxWaitMs: number): Promise<void> {
    if (!budget) return;
    const started = performance.now();
    const fail = () =>
      new UpstreamError(
        service,
        429,
        undefined,
        `${service} outbound rate limit: no slot within ${Math.round(maxWaitMs)} ms`,
        false,
        undefined,
        'queue_timeout',
      );
    if (queued >= MAX_QUEUED) throw fail();
    queued++;
    try {
      for (;;) {
        try {
          await budget.consume(service, 1);
          return;
        } catch (rejection) {
          if (!(rejection instanceof RateLimiterRes)) throw rejection;
          const waited = performance.now() - started;
          if (waited + rejection.msBeforeNext > maxWaitMs) {
            upstreamCalls.inc({ service, outcome: 'queue_timeout' });
            throw fail();
          }
          await sleep(rejection.msBeforeNext);
        }
      }
    } finally {
      queued--;
      upstreamQueueWait.observe({ service }, (performance.now() - started) / 1000);
    }
  }

  async function once<T>(req: ConnectorRequest, deadline: number): Promise<ConnectorResponse<T>> {
    const remaining = () => Math.max(1, deadline - Date.now());
    if (req.bucket) await acquireSlot(buckets.get(req.bucket), Math.min(req.maxQueueWaitMs ?? maxQueueWaitMs, remaining()));
    await acquireSlot(limiter, Math.min(req.maxQueueWaitMs ?? maxQueueWaitMs, remaining()));
    const url = buildUrl(baseUrl, req.path, req.query);
    const headers: Record<string, string> = { accept: 'application/json', ...options.headers, ...req.headers };
    let body: string | undefined;
    if (req.json !== undefined) {
      body = JSON.stringify(req.json);
      headers['content-type'] = 'application/json';
    } else if (req.form) {
      body = new URLSearchParams(req.form).toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
    } else if (req.text) {
      body = req.text.body;
      headers['content-type'] = req.text.contentType;
    }
    const started = performance.now();
    let res: Dispatcher.ResponseData;
    let text: string;
    try {
      ({ res, text } = await withClientSpan(
        `${service} ${req.method}`,
        { 'peer.service': service, 'http.request.method': req.method },
        async (span) => {
          const answer = await undiciRequest(url, {
            method: req.method,
            headers: injectTraceHeaders(headers),
            body,
            dispatcher,
            signal: AbortSignal.timeout(Math.min(timeoutMs, remaining())),
          });
          span.setAttribute('http.response.status_code', answer.statusCode);
          return { res: answer, text: await answer.body.text() };
        },
      ));
    } catch (error) {
      const reason = error instanceof Error ? error.name : 'Error';
      upstreamCalls.inc({ service, outcome: 'network' });
      upstreamDuration.observe({ service }, (performance.now() - started) / 1000);
      log?.warn({ service, path: redactPath(req.path), reason }, 'upstream unreachable');
      throw new UpstreamError(service, 0, undefined, `${service} is unreachable (${reason})`, true);
    }
    let parsed: unknown = text;
    if (text && String(res.headers['content-type'] ?? '').includes('json')) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
    }
    const seconds = (performance.now() - started) / 1000;
    upstreamCalls.inc({ service, outcome: String(res.statusCode) });
    upstreamDuration.observe({ service }, seconds);
    log?.debug(
      { service, method: req.method, path: redactPath(req.path), status: res.statusCode, ms: Math.round(seconds * 1000) },
      'upstream call',
    );
    if (res.statusCode >= 200 && res.statusCode < 300) {
      return { status: res.statusCode, headers: res.headers, body: parsed as T };
    }
    const verdict = options.classify?.({ status: res.statusCode, headers: res.headers, body: parsed }) ?? {};
    let retryAfterMs = verdict.retryAfterMs ?? parseRetryAfterHeader(res.headers['retry-after']);
    let retryable = verdict.retryable ?? RETRYABLE_STATUS.has(res.statusCode);
    if (retryAfterMs !== undefined && retryAfterMs > maxRetryAfterMs) {
      retryable = false; // waiting that long inside a GraphQL request is worse than failing now
      retryAfterMs = undefined;
    }
    throw new UpstreamError(service, res.statusCode, parsed, `${service} answered HTTP ${res.statusCode}`, retryable, retryAfterMs);
  }

  /**
   * How long to wait before the next attempt, or undefined for "do not retry". A 429 was not
   * executed by the service, so it is repeated for every call; anything else only when the
   * request is safe to repeat.
   */
  function retryDelay(error: UpstreamError, repeatable: boolean, attempt: number): number | undefined {
    if (!error.retryable || attempt >= maxAttempts) return undefined;
    if (error.status !== 429 && !repeatable) return undefined;
    if (error.retryAfterMs !== undefined) return error.retryAfterMs;
    const base = 100 * 2 ** (attempt - 1);
    return base + Math.floor(Math.random() * base);
  }

  return {
    service,
    async request<T>(req: ConnectorRequest): Promise<ConnectorResponse<T>> {
      if (baseUrl === '') throw new ServiceNotConfiguredError(service);
      const repeatable = req.idempotent ?? req.method === 'GET';
      const deadline = Date.now() + (req.deadlineMs ?? deadlineMs);
      for (let attempt = 1; ; attempt++) {
        try {
          return await breaker.execute(() => once<T>(req, deadline));
        } catch (error) {
          if (error instanceof BrokenCircuitError) {
            upstreamCalls.inc({ service, outcome: 'circuit_open' });
            upstreamErrors.inc({ service });
            throw new UpstreamError(
              service,
              0,
              undefined,
              `${service} is temporarily unavailable (circuit open)`,
              false,
              undefined,
              'circuit_open',
            );
          }
          const wait = error instanceof UpstreamError ? retryDelay(error, repeatable, attempt) : undefined;
          if (wait === undefined || Date.now() + wait >= deadline) {
            upstreamErrors.inc({ service });
            throw error;
          }
          upstreamRetries.inc({
            service,
            reason: (error as UpstreamError).status === 0 ? 'network' : String((error as UpstreamError).status),
          });
          await sleep(wait);
        }
      }
    },
    close: () => dispatcher.close(),
  };
}
