/**
 * GraphQL over SSE on the gateway's /graphql (requests with
 * `Accept: text/event-stream`): graphql-sse, distinct connections mode, POST
 * (JSON body) or GET (query string). The caller is verified before the stream
 * opens (401 otherwise); the operation is resolved against the trusted
 * documents, validated and admitted before any subgraph is called (400/429
 * as JSON, never a half-open stream).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { GraphQLError } from 'graphql';
import type { Identity } from '../../../lib/internalToken.ts';
import { readGraphQLBody, sendGraphQLError } from '../../../lib/http/apollo.ts';
import { sendJson } from '../../../lib/http/io.ts';
import { createSseServer, paramsFromSearch, type SseRequestParams } from '../../../lib/http/sse.ts';
import type { Prepared, StreamExecution } from './execution.ts';

/** What the route hands to graphql-sse: the operation, already validated and admitted. */
interface PreparedStream {
  args: Extract<Prepared, { ok: true }>['args'];
}

const STATUS_BY_CODE: Record<string, number> = {
  UNAUTHENTICATED: 401,
  TOO_MANY_STREAMS: 429,
  RATE_LIMITED: 429,
  PERSISTED_DOCUMENT_NOT_FOUND: 400,
};

export function createSseRoute(options: {
  execution: StreamExecution;
  resolveIdentity: (authorization: string | undefined) => Identity;
  maxBodyBytes?: number;
}) {
  const { execution } = options;
  const serve = createSseServer<PreparedStream>({
    // The arguments were prepared (and validated) before the stream opened.
    onSubscribe: (req) => req.context.args as never,
    execute: (args) => execution.execute(args),
    subscribe: (args) => execution.subscribe(args),
    onNext: (_ctx, _req, result) => ('errors' in result ? execution.formatResult(result as import('graphql').ExecutionResult) : undefined),
  });

  return async function sse(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let identity: Identity;
    try {
      identity = options.resolveIdentity(req.headers.authorization);
    } catch (error) {
      const e = error as GraphQLError;
      const { http: _http, ...extensions } = e.extensions ?? {};
      return sendGraphQLError(res, 401, String(extensions.code ?? 'UNAUTHENTICATED'), e.message, extensions, { 'www-authenticate': 'tma' });
    }
    let params: SseRequestParams;
    if (req.method === 'GET') {
      params = paramsFromSearch(req.url);
    } else if (req.method === 'POST') {
      const parsed = await readGraphQLBody(req, { maxBodyBytes: options.maxBodyBytes });
      if (!parsed.ok) return sendGraphQLError(res, parsed.status, parsed.code, parsed.message);
      if (!parsed.body || typeof parsed.body !== 'object' || Array.isArray(parsed.body)) {
        return sendGraphQLError(
          res,
          400,
          'BAD_REQUEST',
          'A GraphQL-over-SSE request is one JSON object: { query, variables, operationName }',
        );
      }
      params = parsed.body as SseRequestParams;
    } else {
      return sendGraphQLError(res, 405, 'METHOD_NOT_ALLOWED', 'Use GET or POST', {}, { allow: 'GET, POST' });
    }
    const prepared = await execution.prepare(params, identity, 'sse', req);
    if (!prepared.ok) {
      const code = String(prepared.errors[0]?.extensions.code ?? 'BAD_REQUEST');
      return sendJson(res, STATUS_BY_CODE[code] ?? 400, execution.formatResult({ errors: prepared.errors }));
    }
    const { args } = prepared;
    // graphql-sse re-reads the operation from these params; onSubscribe then hands it the prepared arguments.
    await serve(req, res, { query: args.contextValue.query, variables: args.variableValues, operationName: args.operationName }, { args });
  };
}
