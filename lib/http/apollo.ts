/**
 * Bridges node:http to Apollo Server's framework-neutral entry point
 * (`executeHTTPGraphQLRequest`), the way Apollo's own integrations do. One
 * copy, used by the gateway's endpoints and by every subgraph.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HeaderMap, type ApolloServer, type BaseContext, type HTTPGraphQLResponse } from '@apollo/server';
import { readBody, sendJson, BodyTooLargeError, refuseTooLarge, DEFAULT_MAX_BODY_BYTES } from './io.ts';
import { INPUT_TOO_DEEP, requestInputTooDeep } from './nesting.ts';

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

export type ParsedBody = { ok: true; body: unknown; raw: string } | { ok: false; status: number; code: string; message: string };

/** Reads and parses a request body the way Apollo's integrations do: JSON by content type, else the raw text. */
export async function readGraphQLBody(req: IncomingMessage, options: GraphQLHttpOptions = {}): Promise<ParsedBody> {
  if (req.method !== 'POST') return { ok: true, body: undefined, raw: '' };
  try {
    const raw = await readBody(req, options.maxBodyBytes);
    if (raw === '') return { ok: true, body: undefined, raw };
    if (!/json/i.test(req.headers['content-type'] ?? '')) return { ok: true, body: raw, raw };
    const body: unknown = JSON.parse(raw);
    if (requestInputTooDeep(body)) return { ok: false, ...INPUT_TOO_DEEP };
    return { ok: true, body, raw };
  } catch (error) {
    if (error instanceof BodyTooLargeError) return { ok: false, status: 413, code: 'PAYLOAD_TOO_LARGE', message: 'Request body too large' };
    return { ok: false, status: 400, code: 'BAD_REQUEST', message: 'Request body is not valid JSON' };
  }
}

export function sendGraphQLError(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  extra: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): void {
  sendJson(res, status, { errors: [{ message, extensions: { code, ...extra } }] }, headers);
}

export function searchOf(req: IncomingMessage): string {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  return q === -1 ? '' : url.slice(q);
}

export function executeApollo<TContext extends BaseContext>(
  server: ApolloServer<TContext>,
  req: IncomingMessage,
  body: unknown,
  context: () => Promise<TContext>,
  search = searchOf(req),
): Promise<HTTPGraphQLResponse> {
  return server.executeHTTPGraphQLRequest({
    httpGraphQLRequest: { method: (req.method ?? 'GET').toUpperCase(), headers: toHeaderMap(req), search, body },
    context,
  });
}

/** What to do once a response body that stringifyResult answered as bytes is written (give a pooled buffer back). */
const afterWrite = new WeakMap<Uint8Array, () => void>();

/**
 * For a stringifyResult that answers bytes instead of a string (Apollo Server passes the body
 * through untouched): `release` runs once writeApolloResponse has written `body`, or the
 * connection is gone.
 */
export function releaseAfterWrite(body: Uint8Array, release: () => void): void {
  afterWrite.set(body, release);
}

export async function writeApolloResponse(res: ServerResponse, response: HTTPGraphQLResponse): Promise<void> {
  for (const [name, value] of response.headers) res.setHeader(name, value);
  res.statusCode = response.status ?? 200;
  if (response.body.kind === 'complete') {
    const body: string | Uint8Array = response.body.string;
    if (typeof body === 'string') {
      // A Buffer is written without another copy of a large response string on the V8 heap.
      res.end(Buffer.from(body));
      return;
    }
    const release = afterWrite.get(body);
    if (release) {
      afterWrite.delete(body);
      // 'close' comes after the last write completed or was cancelled: the bytes are no longer read
      res.once('close', release);
    }
    res.end(body);
    return;
  }
  for await (const chunk of response.body.asyncIterator) res.write(chunk);
  res.end();
}

/** The whole round trip for servers without a pre-processing step (the subgraphs). */
export async function handleGraphQLRequest<TContext extends BaseContext>(
  server: ApolloServer<TContext>,
  req: IncomingMessage,
  res: ServerResponse,
  context: () => Promise<TContext>,
  options: GraphQLHttpOptions = {},
): Promise<void> {
  const parsed = await readGraphQLBody(req, options);
  if (!parsed.ok) {
    if (parsed.status === 413) return refuseTooLarge(req, res, options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES);
    return sendGraphQLError(res, parsed.status, parsed.code, parsed.message);
  }
  await writeApolloResponse(res, await executeApollo(server, req, parsed.body, context));
}
