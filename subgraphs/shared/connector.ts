/**
 * The connector base: the one way a subgraph talks to an external service.
 * Pooled keep-alive HTTP (undici), a per-service rate limit that queues rather
 * than fails (rate-limiter-flexible), retries with backoff that honour the
 * service's own "retry after" signal, and a circuit breaker so a dead service
 * fails fast instead of stacking timeouts (cockatiel).
 *
 * Retries are only ever applied to requests the caller declares safe to
 * repeat: reads, and writes carrying an idempotency key. A payment call is
 * never sent twice by accident.
 */
import { Agent, request as undiciRequest, type Dispatcher } from 'undici';
import {
  ConsecutiveBreaker,
  DelegateBackoff,
  circuitBreaker,
  handleWhen,
  retry,
  wrap,
  BrokenCircuitError,
  type IPolicy,
} from 'cockatiel';
import { RateLimiterMemory, RateLimiterQueue } from 'rate-limiter-flexible';
import type { Logger } from '../../lib/logger.ts';

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
  constructor(service: string, status: number, body: unknown, message: string, retryable: boolean, retryAfterMs?: number) {
    super(message);
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

export function createConnector(options: ConnectorOptions): Connector {
  const {
    service,
    baseUrl,
    timeoutMs = 10_000,
    maxAttempts = 3,
    maxRetryAfterMs = 5_000,
    log,
    redactPath = (p: string) => p,
  } = options;
  const dispatcher: Dispatcher = new Agent({
    keepAliveTimeout: 10_000,
    connections: 32,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
  });
  const queueFor = (limit: { points: number; durationSeconds: number }) =>
    new RateLimiterQueue(new RateLimiterMemory({ points: limit.points, duration: limit.durationSeconds }), { maxQueueSize: 10_000 });
  const limiter = options.rateLimit && !options.sandbox ? queueFor(options.rateLimit) : undefined;
  const buckets = new Map(options.sandbox ? [] : Object.entries(options.buckets ?? {}).map(([name, limit]) => [name, queueFor(limit)] as const));

  // Breaker opens after 5 consecutive failures that look like the service is down (5xx, network);
  // 4xx answers are the caller's problem and do not count.
  const breaker = circuitBreaker(
    handleWhen((e) => !(e instanceof UpstreamError) || e.status >= 500 || e.status === 0),
    { halfOpenAfter: 10_000, breaker: new ConsecutiveBreaker(5) },
  );
  const retryPolicy = retry(
    handleWhen((e) => e instanceof UpstreamError && e.retryable),
    {
      maxAttempts: maxAttempts - 1,
      backoff: new DelegateBackoff((ctx: { attempt: number; result: unknown }) => {
        const failure = ctx.result as { error?: unknown };
        const hinted = failure.error instanceof UpstreamError ? failure.error.retryAfterMs : undefined;
        if (hinted !== undefined) return hinted;
        const base = 100 * 2 ** (ctx.attempt - 1);
        return base + Math.floor(Math.random() * base);
      }),
    },
  );
  const safePolicy: IPolicy = wrap(retryPolicy, breaker);

  async function once<T>(req: ConnectorRequest): Promise<ConnectorResponse<T>> {
    if (req.bucket) await buckets.get(req.bucket)?.removeTokens(1);
    if (limiter) await limiter.removeTokens(1);
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
    try {
      res = await undiciRequest(url, { method: req.method, headers, body, dispatcher, signal: AbortSignal.timeout(timeoutMs) });
    } catch (error) {
      const reason = error instanceof Error ? error.name : 'Error';
      log?.warn({ service, path: redactPath(req.path), reason }, 'upstream unreachable');
      throw new UpstreamError(service, 0, undefined, `${service} is unreachable (${reason})`, true);
    }
    const text = await res.body.text();
    let parsed: unknown = text;
    if (text && String(res.headers['content-type'] ?? '').includes('json')) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
    }
    const ms = Math.round(performance.now() - started);
    log?.debug({ service, method: req.method, path: redactPath(req.path), status: res.statusCode, ms }, 'upstream call');
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

  return {
    service,
    async request<T>(req: ConnectorRequest): Promise<ConnectorResponse<T>> {
      if (baseUrl === '') throw new ServiceNotConfiguredError(service);
      const repeatable = req.idempotent ?? req.method === 'GET';
      try {
        return repeatable ? await safePolicy.execute(() => once<T>(req)) : await breaker.execute(() => once<T>(req));
      } catch (error) {
        if (error instanceof BrokenCircuitError) {
          throw new UpstreamError(service, 0, undefined, `${service} is temporarily unavailable (circuit open)`, false);
        }
        throw error;
      }
    },
    close: () => dispatcher.close(),
  };
}
