// The subgraph request pipeline: every subgraph fetch of the engine goes
// through a chain of hooks before the HTTP transport, the way Hive Gateway's
// onSubgraphExecute or Apollo's RemoteGraphQLDataSource.willSendRequest are
// used. Headers, in-flight deduplication, metrics and tracing are hooks; the
// transport at the end applies the request's deadline, its AbortSignal (the
// client's disconnect) and the response size cap.
//
//   hooks[0](req, next) -> hooks[1](req, next) -> ... -> transport
//
// A hook may change the request (url, headers, timeoutMs, signal) before
// calling next, observe or replace the response, or answer without calling
// next (a cache, a mock).
import type { RawOutcome } from './transport.ts';

export interface SubgraphRequest {
  readonly subgraphName: string;
  url: string;
  /** the JSON body as sent: {"query", "variables", "operationName"} */
  readonly body: string;
  /** lower-case header names; replace the object to change it (it may be shared between requests) */
  headers: Readonly<Record<string, string>>;
  /** kind of this subgraph operation (entity fetches of a mutation are queries) */
  readonly operationKind: 'query' | 'mutation' | 'subscription';
  /** kind of the client operation this fetch is part of */
  readonly clientOperationKind: 'query' | 'mutation' | 'subscription';
  /** the caller's per-request context value (Apollo Server's contextValue) */
  readonly context: unknown;
  /** aborted when the client request is gone: the subgraph fetch is cancelled */
  signal: AbortSignal | undefined;
  /** deadline of this fetch (headers and whole body) */
  timeoutMs: number;
}

/** What a subgraph fetch produced (shared and read-only when deduplicated). */
export type SubgraphResponse = RawOutcome;

export type SubgraphFetch = (request: SubgraphRequest) => Promise<SubgraphResponse>;

/** One link of the chain: call `next(request)` to go on, or answer yourself. */
export type SubgraphHook = (request: SubgraphRequest, next: SubgraphFetch) => Promise<SubgraphResponse>;

/** Builds the chain once (per engine), with `last` at the end. */
export function composeHooks(hooks: readonly SubgraphHook[], last: SubgraphFetch): SubgraphFetch {
  let fetch = last;
  for (let i = hooks.length - 1; i >= 0; i--) {
    const hook = hooks[i]!;
    const next = fetch;
    fetch = (request) => hook(request, next);
  }
  return fetch;
}

/** Adds headers from `headersFor(context, subgraphName)` to every subgraph request. */
export function headersHook(
  headersFor: (context: unknown, subgraphName: string) => Readonly<Record<string, string>> | undefined,
): SubgraphHook {
  // called once per (client request, subgraph): the same headers object is
  // reused by the request's later fetches, which also lets dedupeHook memoize its key
  const memo = new WeakMap<object, Map<string, Readonly<Record<string, string>> | null>>();
  // and when headersFor gives the very same frozen object again (for another request), so is the
  // merge: the dedup key of equal headers is then computed once, not per request. Only frozen: an
  // object headersFor may change between calls must be read again.
  const merges = new WeakMap<object, { base: Readonly<Record<string, string>>; merged: Readonly<Record<string, string>> }>();
  return (request, next) => {
    const context = request.context;
    let perContext = context !== null && typeof context === 'object' ? memo.get(context) : undefined;
    let headers = perContext?.get(request.subgraphName);
    if (headers === undefined) {
      const extra = headersFor(context, request.subgraphName);
      headers = null;
      if (extra) {
        const reusable = Object.isFrozen(extra);
        const known = reusable ? merges.get(extra) : undefined;
        if (known !== undefined && known.base === request.headers) {
          headers = known.merged;
        } else {
          const merged: Record<string, string> = { ...request.headers };
          for (const k of Object.keys(extra)) merged[k.toLowerCase()] = extra[k]!;
          headers = Object.freeze(merged); // shared by every request that gets the same `extra`
          if (reusable) merges.set(extra, { base: request.headers, merged: headers });
        }
      }
      if (context !== null && typeof context === 'object') {
        if (!perContext) memo.set(context, (perContext = new Map()));
        perContext.set(request.subgraphName, headers);
      }
    }
    if (headers) request.headers = headers;
    return next(request);
  };
}

/** A deduplicated upstream fetch and the waiters still interested in it. */
interface InFlight {
  readonly body: string;
  readonly promise: Promise<SubgraphResponse>;
  readonly controller: AbortController;
  waiters: number;
}

/**
 * Concurrent identical query fetches (same URL, headers and body) share one
 * upstream request. Mutations are never shared. A waiter whose signal aborts
 * stops waiting; the shared fetch is aborted when its last waiter is gone.
 * The shared response is immutable by contract (the executor merges it as per-request layers, merge.ts).
 */
export function dedupeHook(): SubgraphHook {
  // url -> headers -> body bucket -> in-flight fetches
  const inflight = new Map<string, Map<string, Map<string, InFlight[]>>>();
  const headerKeys = new WeakMap<object, string>();
  // the common case is one headers object for every request (anonymous callers): checked before the WeakMap
  let lastHeaders: object | undefined;
  let lastKey = '';
  const headerKey = (headers: Readonly<Record<string, string>>): string => {
    if (headers === lastHeaders) return lastKey;
    let k = headerKeys.get(headers);
    if (k === undefined) {
      k = Object.keys(headers)
        .sort()
        .map((n) => n + ':' + headers[n])
        .join('\n');
      headerKeys.set(headers, k);
    }
    lastHeaders = headers;
    lastKey = k;
    return k;
  };
  return (request, next) => {
    // any fetch of a mutation may observe its side effects: never shared
    if (request.operationKind !== 'query' || request.clientOperationKind !== 'query') return next(request);
    // two levels instead of one `url + headers` key: no string built (and hashed) per fetch
    const url = request.url;
    const headers = headerKey(request.headers);
    const groups = getOrCreate(inflight, url, newMap<string, Map<string, InFlight[]>>);
    const inGroup = getOrCreate(groups, headers, newMap<string, InFlight[]>);
    const body = request.body;
    const bucketKey = bodyBucket(body);
    const bucket = inGroup.get(bucketKey);
    let entry: InFlight | undefined;
    if (bucket) for (const candidate of bucket) if (candidate.body === body) entry = candidate;
    if (!entry) {
      const controller = new AbortController();
      const clientSignal = request.signal;
      request.signal = controller.signal;
      const created: InFlight = { body, promise: next(request), controller, waiters: 0 };
      entry = created;
      if (bucket) bucket.push(created);
      else inGroup.set(bucketKey, [created]);
      const clear = () => {
        const entries = inGroup.get(bucketKey);
        const at = entries ? entries.indexOf(created) : -1;
        if (at !== -1) entries!.splice(at, 1);
        if (entries?.length === 0) inGroup.delete(bucketKey);
        if (inGroup.size === 0 && groups.get(headers) === inGroup) groups.delete(headers);
        if (groups.size === 0 && inflight.get(url) === groups) inflight.delete(url);
      };
      created.promise.then(clear, clear);
      return wait(created, url, clientSignal, clear);
    }
    return wait(entry, url, request.signal, () => {});
  };
}

function newMap<K, V>(): Map<K, V> {
  return new Map();
}

function getOrCreate<K, V>(map: Map<K, V>, key: K, create: () => V): V {
  let value = map.get(key);
  if (value === undefined) map.set(key, (value = create()));
  return value;
}

const SAMPLES = 32;
const sampled: number[] = new Array(SAMPLES);

/**
 * The in-flight map's key for a body: a short body itself; a long one (tens of
 * KB of representations) its length and characters sampled across it. Using
 * long bodies as Map keys is slow: V8 hashes a string over 16 K characters by
 * its length alone, so every body of one fetch collides and is compared in
 * full. Bodies in one bucket are compared in full only there.
 */
function bodyBucket(body: string): string {
  const n = body.length;
  if (n <= 512) return body;
  for (let i = 0; i < SAMPLES; i++) sampled[i] = body.charCodeAt(Math.floor(((i + 1) * n) / (SAMPLES + 1)));
  return `${n}:${String.fromCharCode(...sampled)}`;
}

/**
 * The abort callbacks of the waits registered on each client signal. One
 * request waits on many fetches; EventTarget listeners are slow to add and
 * remove, so each signal gets one listener that calls the waits still open.
 */
const abortWaiters = new WeakMap<AbortSignal, Set<() => void>>();

function onAbortOf(signal: AbortSignal, callback: () => void): () => void {
  let callbacks = abortWaiters.get(signal);
  if (!callbacks) {
    const set = new Set<() => void>();
    callbacks = set;
    abortWaiters.set(signal, set);
    signal.addEventListener(
      'abort',
      () => {
        for (const cb of [...set]) cb();
        set.clear();
      },
      { once: true },
    );
  }
  callbacks.add(callback);
  const registered = callbacks;
  return () => registered.delete(callback);
}

function wait(entry: InFlight, url: string, signal: AbortSignal | undefined, onLastGone: () => void): Promise<SubgraphResponse> {
  entry.waiters++;
  if (!signal) return entry.promise;
  if (signal.aborted) {
    leave(entry, onLastGone);
    return Promise.resolve(aborted(signal, url));
  }
  return new Promise((resolve) => {
    let settled = false;
    const unregister = onAbortOf(signal, () => {
      if (settled) return;
      settled = true;
      leave(entry, onLastGone);
      resolve(aborted(signal, url));
    });
    entry.promise.then((r) => {
      if (settled) return;
      settled = true;
      unregister();
      resolve(r);
    });
  });
}

function leave(entry: InFlight, onLastGone: () => void): void {
  entry.waiters--;
  if (entry.waiters === 0) {
    entry.controller.abort(new Error('every waiter of this subgraph fetch is gone'));
    onLastGone();
  }
}

function aborted(signal: AbortSignal, url: string): SubgraphResponse {
  const reason = signal.reason instanceof Error ? signal.reason : new Error('The operation was aborted');
  return { kind: 'network-error', url, error: reason };
}
