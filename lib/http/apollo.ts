/**
 * Bridges node:http to Apollo Server's framework-neutral entry point
 * (`executeHTTPGraphQLRequest`), the way Apollo's own integrations do. One
 * copy, used by the gateway's endpoints and by every subgraph.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HeaderMap, type ApolloServer, type BaseContext } from '@apollo/server';
import { readBody, sendJson, BodyTooLargeError } from './io.ts';

export interface GraphQLHttpOptions {
  /** Largest accepted request body; bigger ones get 413 before parsing. */
  maxBodyBytes?: number;
}

export function toHeaderMap(req: IncomingMessage): HeaderMap {
  const headers = new HeaderMap();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    headers.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  return headers;
}

/** Parses the body the way Apollo's integrations do: JSON by content type, else the raw text. */
function parseBody(raw: string, contentType: string | undefined): unknown {
  if (raw === '') return undefined;
  if (contentType && /json/i.test(contentType)) return JSON.parse(raw);
  return raw;
}

export async function handleGraphQLRequest<TContext extends BaseContext>(
  server: ApolloServer<TContext>,
  req: IncomingMessage,
  res: ServerResponse,
  context: () => Promise<TContext>,
  options: GraphQLHttpOptions = {},
  rawBody?: string,
): Promise<void> {
  let body: unknown;
  try {
    const raw = rawBody ?? (req.method === 'POST' ? await readBody(req, options.maxBodyBytes) : '');
    body = parseBody(raw, req.headers['content-type']);
  } catch (error) {
    if (error instanceof BodyTooLargeError) {
      sendJson(res, 413, { errors: [{ message: 'Request body too large', extensions: { code: 'PAYLOAD_TOO_LARGE' } }] });
    } else {
      sendJson(res, 400, { errors: [{ message: 'Request body is not valid JSON', extensions: { code: 'BAD_REQUEST' } }] });
    }
    return;
  }
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const response = await server.executeHTTPGraphQLRequest({
    httpGraphQLRequest: {
      method: (req.method ?? 'GET').toUpperCase(),
      headers: toHeaderMap(req),
      search: q === -1 ? '' : url.slice(q),
      body,
    },
    context,
  });
  for (const [name, value] of response.headers) res.setHeader(name, value);
  res.statusCode = response.status ?? 200;
  if (response.body.kind === 'complete') {
    res.end(response.body.string);
    return;
  }
  for await (const chunk of response.body.asyncIterator) res.write(chunk);
  res.end();
}
