/**
 * GraphQL over Server-Sent Events (the graphql-sse protocol, "distinct
 * connections" mode: one request = one operation = one event stream with
 * `next` events and a final `complete`) on node:http, for servers that read
 * and check the request themselves first (auth, body size cap, trusted
 * documents). The protocol itself is graphql-sse's handler; this file only
 * adapts node:http to it (graphql-sse's own node adapter reads bodies without
 * a size limit). graphql-sse sends a `:` comment every 12 s on an open stream,
 * the heartbeat that keeps idle streams alive through proxies.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createHandler, type HandlerOptions, type OperationContext } from 'graphql-sse';

/** The request wants an event stream (graphql-sse needs the exact media type, browsers send lists). */
export function acceptsEventStream(req: IncomingMessage): boolean {
  return /(^|,)\s*text\/event-stream\s*(;|,|$)/i.test(req.headers.accept ?? '');
}

export type SseHandlerOptions<Context extends object> = Omit<
  HandlerOptions<IncomingMessage, Context, Context & OperationContext>,
  'authenticate' | 'context'
>;

/** The operation as the GraphQL-over-HTTP request carried it (POST body or GET query string). */
export type SseRequestParams = Record<string, unknown>;

/** The operation fields of a GET request's query string (`variables`/`extensions` still JSON text). */
export function paramsFromSearch(url: string | undefined): SseRequestParams {
  const search = new URLSearchParams((url ?? '').split('?')[1] ?? '');
  const params: SseRequestParams = {};
  for (const name of ['query', 'operationName', 'documentId']) {
    const value = search.get(name);
    if (value !== null) params[name] = value;
  }
  for (const name of ['variables', 'extensions']) {
    const value = search.get(name);
    if (value === null) continue;
    try {
      params[name] = JSON.parse(value);
    } catch {
      params[name] = value; // validation reports it
    }
  }
  return params;
}

/**
 * Returns `serve(req, res, params, context)`: `params` is the operation the
 * caller already read and checked (from a POST body or a GET query string),
 * `context` becomes the operation's contextValue unless `onSubscribe` returns
 * execution arguments. Resolves when the stream has ended (completed, or the
 * client went away).
 */
export function createSseServer<Context extends object>(options: SseHandlerOptions<Context>) {
  const handler = createHandler<IncomingMessage, Context, Context & OperationContext>({
    ...options,
    // `null`: no stream tokens, so distinct connections only (no reservation/PUT/DELETE endpoints).
    authenticate: () => null,
    context: (req) => req.context as Context & OperationContext,
  });
  return async function serve(req: IncomingMessage, res: ServerResponse, params: SseRequestParams, context: Context): Promise<void> {
    const [responseBody, init] = await handler({
      // The operation was read already (GET or POST alike): hand it over as a parsed JSON body.
      method: 'POST',
      url: req.url ?? '/',
      headers: {
        get(key) {
          if (key === 'accept') return acceptsEventStream(req) ? 'text/event-stream' : (req.headers.accept ?? null);
          if (key === 'content-type') return 'application/json';
          const value = req.headers[key];
          return Array.isArray(value) ? value.join('\n') : value;
        },
      },
      body: params,
      raw: req,
      context,
    });
    res.writeHead(init.status, init.statusText, init.headers as Record<string, string> | undefined);
    if (!responseBody || typeof responseBody === 'string') {
      await new Promise<void>((resolve) => res.end(responseBody ?? undefined, () => resolve()));
      return;
    }
    // A client that goes away ends the operation (and with it the upstream subscription).
    const stop = () => void responseBody.return(undefined);
    res.once('close', stop);
    try {
      for await (const chunk of responseBody) {
        if (!res.writable) break;
        await new Promise<void>((resolve, reject) => res.write(chunk, (error) => (error ? reject(error) : resolve())));
      }
    } catch {
      // the socket failed mid-stream: nothing left to tell the client
    } finally {
      res.off('close', stop);
      await responseBody.return(undefined);
      res.end();
    }
  };
}
