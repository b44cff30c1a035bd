// HTTP transport to subgraphs: one keep-alive undici Pool per subgraph origin,
// raw dispatch handler (no stream objects per request), optional in-flight
// deduplication of identical requests (same URL + body + forwarded headers).
//
// A deduplicated response is shared by every waiter: the parsed JSON value is
// therefore IMMUTABLE by contract (the executor merges copy-on-write).
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
  requestTimeoutMs?: number | undefined;
  connectionsPerOrigin?: number | undefined;
}

interface Endpoint {
  readonly url: string;
  /** normalized absolute URL, as reported in errors */
  readonly href: string;
  readonly origin: string;
  readonly path: string;
  readonly pool: Pool;
}

export class Transport {
  private readonly pools = new Map<string, Pool>();
  private readonly endpoints = new Map<string, Endpoint>();
  /** in-flight requests: (url + forwarded headers) -> body -> shared outcome */
  private readonly inflight = new Map<string, Map<string, Promise<RawOutcome>>>();
  private readonly timeout: number;
  private readonly connections: number;
  /** number of upstream HTTP requests actually sent (for tests / stats) */
  upstreamRequests = 0;

  constructor(opts: TransportOptions = {}) {
    this.timeout = opts.requestTimeoutMs ?? 30_000;
    this.connections = opts.connectionsPerOrigin ?? 32;
  }

  endpoint(url: string): Endpoint {
    let ep = this.endpoints.get(url);
    if (ep) return ep;
    const u = new URL(url);
    let pool = this.pools.get(u.origin);
    if (!pool) {
      pool = new Pool(u.origin, {
        connections: this.connections,
        pipelining: 1,
        keepAliveTimeout: 4_000,
        headersTimeout: this.timeout,
        bodyTimeout: this.timeout,
      });
      this.pools.set(u.origin, pool);
    }
    ep = { url, href: u.href, origin: u.origin, path: u.pathname + u.search, pool };
    this.endpoints.set(url, ep);
    return ep;
  }

  /**
   * POST `body` to `url`. When `dedupeKey` is given (it must identify the URL
   * and every header that is sent), concurrent calls with the same key and
   * the same body share one upstream request.
   */
  post(url: string, body: string, headers: Record<string, string>, dedupeKey: string | undefined): Promise<RawOutcome> {
    if (dedupeKey === undefined) return this.send(url, body, headers);
    let byBody = this.inflight.get(dedupeKey);
    if (!byBody) {
      byBody = new Map();
      this.inflight.set(dedupeKey, byBody);
    }
    const existing = byBody.get(body);
    if (existing) return existing;
    const p = this.send(url, body, headers);
    byBody.set(body, p);
    const group = byBody;
    const clear = () => {
      group.delete(body);
      if (group.size === 0 && this.inflight.get(dedupeKey) === group) this.inflight.delete(dedupeKey);
    };
    p.then(clear, clear);
    return p;
  }

  private send(rawUrl: string, body: string, headers: Record<string, string>): Promise<RawOutcome> {
    const ep = this.endpoint(rawUrl);
    const url = ep.href;
    this.upstreamRequests++;
    return new Promise<RawOutcome>((resolve) => {
      const chunks: Buffer[] = [];
      let status = 0;
      let statusText = '';
      let contentType: string | undefined;
      let cacheControl: string | undefined;
      const handler: Dispatcher.DispatchHandler = {
        onRequestStart() {},
        onResponseStart(_c, statusCode, hdrs, statusMessage) {
          status = statusCode;
          statusText = statusMessage || STATUS_CODES[statusCode] || '';
          const ct = hdrs['content-type'];
          contentType = Array.isArray(ct) ? ct[0] : ct;
          const cc = hdrs['cache-control'];
          cacheControl = Array.isArray(cc) ? cc.join(', ') : cc;
        },
        onResponseData(_c, chunk) {
          chunks.push(chunk);
        },
        onResponseEnd() {
          const text = chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8');
          resolve({
            kind: 'response',
            url,
            status,
            statusText,
            contentType,
            cacheControl,
            text,
            json: undefined,
            jsonState: 0,
            jsonError: undefined,
          });
        },
        onResponseError(_c, error) {
          resolve({ kind: 'network-error', url, error });
        },
      };
      try {
        ep.pool.dispatch(
          {
            path: ep.path,
            method: 'POST',
            body,
            headers,
            headersTimeout: this.timeout,
            bodyTimeout: this.timeout,
          },
          handler,
        );
      } catch (error) {
        resolve({ kind: 'network-error', url, error: error as Error });
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
