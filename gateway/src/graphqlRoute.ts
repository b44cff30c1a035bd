/**
 * The GraphQL endpoint in front of Apollo Server: read the body, verify the
 * caller (401 before anything runs), resolve trusted documents, collapse
 * identical in-flight queries, then execute. Everything per request lives in
 * this closure and the context object; nothing outlives the request.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { GraphQLError } from 'graphql';
import type { ApolloServer } from '@apollo/server';
import type { Identity } from '../../lib/internalToken.ts';
import { executeApollo, readGraphQLBody, searchOf, sendGraphQLError, writeApolloResponse } from '../../lib/http/apollo.ts';
import type { GatewayContext } from './context.ts';
import type { TrustedDocuments, GraphQLRequestFields } from './persisted/trustedDocuments.ts';
import { createCollapser, createOperationTypeLookup } from './collapse.ts';
import type { PublicResponseCache } from './cache/publicResponseCache.ts';

export interface GraphQLRouteOptions {
  apollo: ApolloServer<GatewayContext>;
  resolveIdentity: (authorization: string | undefined) => Identity;
  signToken?: (identity: Identity) => Promise<string>;
  trusted: TrustedDocuments;
  collapsing: boolean;
  /** First-level cache of public responses; absent when RESPONSE_CACHE=off. */
  publicCache?: PublicResponseCache;
  /** @defer queries (realtime/multipart.ts): answered incrementally, or the request to run as usual. */
  respondDeferred?: (req: IncomingMessage, res: ServerResponse, request: GraphQLRequestFields, identity: Identity) => Promise<{ answered: true } | { answered: false; request: GraphQLRequestFields }>;
  maxBodyBytes?: number;
}

const GET_FIELDS = ['query', 'operationName', 'variables', 'extensions', 'documentId'] as const;

function getRequestFields(search: string): GraphQLRequestFields {
  const params = new URLSearchParams(search);
  const fields: GraphQLRequestFields = {};
  for (const name of GET_FIELDS) {
    const value = params.get(name);
    if (value === null) continue;
    if (name === 'extensions') {
      try {
        fields.extensions = JSON.parse(value);
      } catch {
        fields.extensions = value; // Apollo reports the malformed value
      }
    } else fields[name] = value;
  }
  return fields;
}

function toSearch(original: string, fields: GraphQLRequestFields): string {
  const params = new URLSearchParams(original);
  params.delete('documentId');
  if (typeof fields.query === 'string') params.set('query', fields.query);
  return `?${params.toString()}`;
}

export function createGraphQLRoute(options: GraphQLRouteOptions) {
  const collapse = createCollapser();
  const operationType = createOperationTypeLookup();

  return async function graphql(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const parsed = await readGraphQLBody(req, { maxBodyBytes: options.maxBodyBytes });
    if (!parsed.ok) return sendGraphQLError(res, parsed.status, parsed.code, parsed.message);

    let identity: Identity;
    try {
      identity = options.resolveIdentity(req.headers.authorization);
    } catch (error) {
      const e = error as GraphQLError;
      const { http: _http, ...extensions } = e.extensions ?? {};
      return sendGraphQLError(res, 401, String(extensions.code ?? 'UNAUTHENTICATED'), e.message, extensions, { 'www-authenticate': 'tma' });
    }

    let body = parsed.body;
    let search = searchOf(req);
    const isGet = req.method === 'GET';
    const fields: GraphQLRequestFields | undefined = isGet
      ? getRequestFields(search)
      : body && typeof body === 'object' && !Array.isArray(body)
        ? (body as GraphQLRequestFields)
        : undefined;
    // The request as Apollo will see it (after trusted-document resolution).
    let request = fields;
    if (fields) {
      const resolved = options.trusted.resolve(fields);
      if (!resolved.ok) return sendGraphQLError(res, resolved.status, resolved.code, resolved.message);
      request = resolved.request;
      if (resolved.request !== fields) {
        if (isGet) search = toSearch(search, resolved.request);
        else body = resolved.request;
      }
    } else if (options.trusted.mode === 'enforce' && Array.isArray(body)) {
      return sendGraphQLError(res, 400, 'PERSISTED_DOCUMENT_REQUIRED', 'Batched requests are not accepted with trusted documents enforced');
    }

    const query = typeof request?.query === 'string' ? request.query : undefined;
    const operationName = typeof request?.operationName === 'string' ? request.operationName : null;
    const isQuery = query !== undefined && operationType(query, operationName) === 'query';
    // The request as sent, plus every header that changes how Apollo treats it (CSRF rules, content type).
    const requestKey = isQuery
      ? JSON.stringify([req.method, search, parsed.raw, identity.audience, req.headers['content-type'] ?? null, req.headers['apollo-require-preflight'] ?? null, req.headers['x-apollo-operation-name'] ?? null])
      : undefined;

    if (isQuery && request && options.respondDeferred) {
      const deferred = await options.respondDeferred(req, res, request, identity);
      if (deferred.answered) return;
      if (deferred.request !== request) {
        request = deferred.request;
        if (isGet) search = toSearch(search, request);
        else body = request;
      }
    }

    if (requestKey && options.publicCache) {
      const hit = options.publicCache.get(requestKey);
      if (hit) {
        for (const [name, value] of hit.response.headers) res.setHeader(name, value);
        res.setHeader('age', String(hit.ageSec));
        res.end(hit.response.body);
        return;
      }
    }

    const internalToken = options.signToken ? await options.signToken(identity) : undefined;
    const context = async (): Promise<GatewayContext> => ({ identity, internalToken });
    const run = () => executeApollo(options.apollo, req, body, context, search);

    let response;
    if (requestKey && options.collapsing) {
      // Collapsing is per caller: identical requests of one user (or of anonymous callers) share one execution.
      response = await collapse(`${identity.userId ?? '-'}\n${requestKey}`, run); // user ids have no newline: the prefix cannot collide
    } else {
      response = await run();
    }
    if (requestKey && options.publicCache) options.publicCache.offer(requestKey, response);
    await writeApolloResponse(res, response);
  };
}
