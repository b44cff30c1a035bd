/**
 * Test clients for the gateway's streaming transports: a raw GraphQL-over-SSE
 * reader (so tests see the protocol's `next` / `complete` events and comments
 * as sent) and a graphql-ws client (the library Mini Apps use).
 */
import WebSocket from 'ws';
import { createClient, type Client } from 'graphql-ws';
import { initDataFor } from './client.ts';

export interface SseEvent {
  event: string;
  data: unknown;
}

export interface SseStream {
  status: number;
  headers: Headers;
  /** The next `next`/`complete` event (comments are counted, not returned); `end` once the server closed the stream. */
  next(): Promise<SseEvent>;
  /** Number of `:` comment lines (heartbeats) received so far. */
  comments(): number;
  /** Resolves when the server ended the stream. */
  ended: Promise<void>;
  close(): void;
}

export async function openSse(
  url: string,
  payload: { query: string; variables?: Record<string, unknown>; operationName?: string; documentId?: string },
  options: { userId?: string | number; authorization?: string; method?: 'GET' | 'POST' } = {},
): Promise<SseStream> {
  const controller = new AbortController();
  const headers: Record<string, string> = { accept: 'text/event-stream' };
  const authorization = options.authorization ?? (options.userId !== undefined ? `tma ${initDataFor(options.userId)}` : undefined);
  if (authorization) headers.authorization = authorization;
  let target = url;
  let body: string | undefined;
  if (options.method === 'GET') {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(payload)) if (v !== undefined) params.set(k, typeof v === 'string' ? v : JSON.stringify(v));
    target = `${url}?${params}`;
  } else {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(payload);
  }
  const res = await fetch(target, { method: options.method ?? 'POST', headers, body, signal: controller.signal });
  const queue: SseEvent[] = [];
  const waiters: ((e: SseEvent) => void)[] = [];
  let commentCount = 0;
  let isEnded = false;
  let finishStream!: () => void;
  const ended = new Promise<void>((resolve) => (finishStream = resolve));
  const finish = () => {
    isEnded = true;
    for (const w of waiters.splice(0)) w({ event: 'end', data: null });
    finishStream();
  };
  const emit = (e: SseEvent) => {
    const w = waiters.shift();
    if (w) w(e);
    else queue.push(e);
  };
  if (res.body && (res.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
    void (async () => {
      const decoder = new TextDecoder();
      let buffer = '';
      try {
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          buffer += decoder.decode(chunk, { stream: true });
          let cut: number;
          while ((cut = buffer.indexOf('\n\n')) !== -1) {
            const block = buffer.slice(0, cut);
            buffer = buffer.slice(cut + 2);
            let event = 'message';
            const data: string[] = [];
            for (const line of block.split('\n')) {
              if (line.startsWith(':')) commentCount++;
              else if (line.startsWith('event:')) event = line.slice(6).trim();
              else if (line.startsWith('data:')) data.push(line.slice(5).trim());
            }
            if (event === 'message' && data.length === 0) continue;
            const text = data.join('\n');
            emit({ event, data: text ? JSON.parse(text) : null }); // `complete` carries an empty data line
          }
        }
      } catch {
        // aborted by close()
      }
      finish();
    })();
  } else {
    finish();
  }
  return {
    status: res.status,
    headers: res.headers,
    next: () => {
      const e = queue.shift();
      if (e) return Promise.resolve(e);
      if (isEnded) return Promise.resolve({ event: 'end', data: null });
      return new Promise((resolve) => waiters.push(resolve));
    },
    comments: () => commentCount,
    ended,
    close: () => controller.abort(),
  };
}

/** The JSON body of a non-stream answer (errors before the stream opened). */
export async function sseRefusal(url: string, payload: Record<string, unknown>, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { accept: 'text/event-stream', 'content-type': 'application/json', ...headers },
    body: JSON.stringify(payload),
  });
  return { status: res.status, body: (await res.json()) as { errors?: { message: string; extensions?: { code?: string } }[] } };
}

export interface WsSubscription {
  next(): Promise<{ data?: unknown; errors?: { message: string; extensions?: Record<string, unknown> }[] }>;
  completed: Promise<void>;
  close(): void;
}

/** A graphql-ws client (subprotocol graphql-transport-ws) authenticated with a user's initData. */
export function wsClient(httpUrl: string, userId?: string | number, authorization?: string): Client {
  return createClient({
    url: httpUrl.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    lazy: true,
    connectionParams: () => {
      const auth = authorization ?? (userId !== undefined ? `tma ${initDataFor(userId)}` : undefined);
      return auth ? { authorization: auth } : {};
    },
  });
}

export function wsSubscribe(client: Client, payload: { query: string; variables?: Record<string, unknown> }): WsSubscription {
  type Result = Awaited<ReturnType<WsSubscription['next']>>;
  const queue: Result[] = [];
  const waiters: ((r: Result) => void)[] = [];
  let complete!: () => void;
  const completed = new Promise<void>((resolve) => (complete = resolve));
  const push = (r: Result) => {
    const w = waiters.shift();
    if (w) w(r);
    else queue.push(r);
  };
  const dispose = client.subscribe(payload, {
    next: (value) => push(value as Result),
    error: (error) => {
      push({
        errors: Array.isArray(error)
          ? error
          : [{ message: String((error as { reason?: string; message?: string }).reason ?? (error as Error).message ?? error) }],
      });
      complete();
    },
    complete: () => complete(),
  });
  return {
    next: () => {
      const r = queue.shift();
      return r ? Promise.resolve(r) : new Promise((resolve) => waiters.push(resolve));
    },
    completed,
    close: dispose,
  };
}
