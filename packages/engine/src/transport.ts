// HTTP transport to subgraphs: one keep-alive undici Pool per subgraph origin,
// raw dispatch handler (no stream objects per request). Every request has a
// deadline (timeoutMs), is cancelled when its AbortSignal fires, and its
// response body is capped in bytes. In-flight deduplication is a hook in front
// of it (subgraphRequest.ts).
import { Pool } from 'undici';
import type { Dispatcher } from 'undici';
import { STATUS_CODES } from 'node:http';

/** Outcome of one upstream HTTP exchange, shared between deduplicated waiters. */
export type RawOutcome =
  | {
      readonly kind: 'response';
      readonly url: string;
      readonly status: number;
      readonly statusText: string;
      readonly contentType: string | undefined;
      readonly cacheControl: string | undefined;
      /** body decoded as UTF-8 */
      readonly text: string;
      /** lazily parsed JSON (only when content-type is JSON); undefined until parsed */
      json: unknown;
      jsonState: 0 | 1 | 2; // 0 = not parsed, 1 = ok, 2 = parse failed
      jsonError: Error | undefined;
    }
  | { readonly kind: 'network-error'; readonly url: string; readonly error: Error };

export interface TransportOptions {
  connectionsPerOrigin?: number | undefined;
  /** largest accepted subgraph response body (default 16 MiB) */
  maxResponseBytes?: number | undefined;
}

/** What the transport needs of a subgraph request. */
export interface TransportRequest {
  readonly url: string;
  readonly body: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly signal: AbortSignal | undefined;
  readonly timeoutMs: number;
}

interface Endpoint {
  readonly url: string;
  /** normalized absolute URL, as reported in errors */
  readonly href: string;
  readonly origin: string;
  readonly path: string;
  readonly pool: Pool;
}

export class SubgraphTimeoutError extends Error {
  constructor(ms: number) {
    super(`subgraph did not answer within ${ms} ms`);
    this.name = 'SubgraphTimeoutError';
  }
}

export class ResponseTooLargeError extends Error {
  constructor(max: number) {
    super(`subgraph response larger than ${max} bytes`);
    this.name = 'ResponseTooLargeError';
  }
}

export class Transport {
  private readonly pools = new Map<string, Pool>();
  private readonly endpoints = new Map<string, Endpoint>();
  private readonly connections: number;
  private readonly maxResponseBytes: number;
  /** number of upstream HTTP requests actually sent (for tests / stats) */
  upstreamRequests = 0;

  constructor(opts: TransportOptions = {}) {
    this.connections = opts.connectionsPerOrigin ?? 32;
    this.maxResponseBytes = opts.maxResponseBytes ?? 16 * 1024 * 1024;
  }

  endpoint(url: string): Endpoint {
    let ep = this.endpoints.get(url);
    if (ep) return ep;
    const u = new URL(url);
    let pool = this.pools.get(u.origin);
    if (!pool) {
      pool = new Pool(u.origin, { connections: this.connections, pipelining: 1, keepAliveTimeout: 4_000 });
      this.pools.set(u.origin, pool);
    }
    ep = { url, href: u.href, origin: u.origin, path: u.pathname + u.search, pool };
    // bounded: one entry per distinct subgraph URL a hook produced
    if (this.endpoints.size < 1000) this.endpoints.set(url, ep);
    return ep;
  }

  /** POST the request; never rejects (failures are `network-error` outcomes). */
  fetch(request: TransportRequest): Promise<RawOutcome> {
    let ep: Endpoint;
    try {
      ep = this.endpoint(request.url);
    } catch (error) {
      return Promise.resolve({ kind: 'network-error', url: request.url, error: error as Error });
    }
    const url = ep.href;
    const signal = request.signal;
    if (signal?.aborted) return Promise.resolve({ kind: 'network-error', url, error: abortReason(signal) });
    this.upstreamRequests++;
    const max = this.maxResponseBytes;
    return new Promise<RawOutcome>((resolve) => {
      const chunks: Buffer[] = [];
      let size = 0;
      let status = 0;
      let statusText = '';
      let contentType: string | undefined;
      let cacheControl: string | undefined;
      let done = false;
      let controller: Dispatcher.DispatchController | undefined;
      let timer: NodeJS.Timeout | undefined;
      const finish = (outcome: RawOutcome) => {
        if (done) return;
        done = true;
        if (timer) clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        resolve(outcome);
      };
      const fail = (error: Error) => {
        finish({ kind: 'network-error', url, error });
        controller?.abort(error);
      };
      const onAbort = () => fail(abortReason(signal!));
      timer = setTimeout(() => fail(new SubgraphTimeoutError(request.timeoutMs)), request.timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      const handler: Dispatcher.DispatchHandler = {
        onRequestStart(c) {
          controller = c;
          if (done) c.abort(new Error('aborted'));
        },
        onResponseStart(_c, statusCode, hdrs, statusMessage) {
          status = statusCode;
          statusText = statusMessage || STATUS_CODES[statusCode] || '';
          const ct = hdrs['content-type'];
          contentType = Array.isArray(ct) ? ct[0] : ct;
          const cc = hdrs['cache-control'];
          cacheControl = Array.isArray(cc) ? cc.join(', ') : cc;
          const cl = Number(hdrs['content-length']);
          if (cl > max) fail(new ResponseTooLargeError(max));
        },
        onResponseData(_c, chunk) {
          size += chunk.length;
          if (size > max) {
            fail(new ResponseTooLargeError(max));
            return;
          }
          chunks.push(chunk);
        },
        onResponseEnd() {
          const text = chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8');
          finish(subgraphResponse({ url, status, statusText, contentType, cacheControl, text }));
        },
        onResponseError(_c, error) {
          finish({ kind: 'network-error', url, error });
        },
      };
      try {
        ep.pool.dispatch(
          { path: ep.path, method: 'POST', body: request.body, headers: request.headers as Record<string, string> },
          handler,
        );
      } catch (error) {
        finish({ kind: 'network-error', url, error: error as Error });
      }
    });
  }

  async close(): Promise<void> {
    const pools = [...this.pools.values()];
    this.pools.clear();
    this.endpoints.clear();
    await Promise.all(pools.map((p) => p.close().catch(() => p.destroy())));
  }
}

function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error('The operation was aborted');
}

/**
 * A subgraph response outcome, not yet parsed: what the transport builds, and what a hook that
 * answers without calling `next` (a mock, a cache) returns. `statusText` defaults to the status's
 * reason phrase, `contentType` to JSON.
 */
export function subgraphResponse(init: {
  url: string;
  text: string;
  status?: number;
  statusText?: string;
  contentType?: string | undefined;
  cacheControl?: string | undefined;
}): RawOutcome {
  const status = init.status ?? 200;
  return {
    kind: 'response',
    url: init.url,
    status,
    statusText: init.statusText ?? STATUS_CODES[status] ?? '',
    contentType: 'contentType' in init ? init.contentType : 'application/json',
    cacheControl: init.cacheControl,
    text: init.text,
    json: undefined,
    jsonState: 0,
    jsonError: undefined,
  };
}

/** Parse (once, shared) the JSON body of an outcome. */
export function outcomeJson(o: Extract<RawOutcome, { kind: 'response' }>): unknown {
  if (o.jsonState === 0) {
    try {
      o.json = JSON.parse(o.text);
      o.jsonState = 1;
    } catch (e) {
      o.jsonError = e as Error;
      o.jsonState = 2;
    }
  }
  if (o.jsonState === 2) throw o.jsonError;
  return o.json;
}

export function isJsonContentType(ct: string | undefined): boolean {
  return !!ct && (ct.startsWith('application/json') || ct.startsWith('application/graphql-response+json'));
}
