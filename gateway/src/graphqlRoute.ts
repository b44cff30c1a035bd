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

export interface GraphQLRouteOptions {
  apollo: ApolloServer<GatewayContext>;
  resolveIdentity: (authorization: string | undefined) => Identity;
  signToken?: (identity: Identity) => Promise<string>;
  trusted: TrustedDocuments;
  collapsing: boolean;
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
    if (fields) {
      const resolved = options.trusted.resolve(fields);
      if (!resolved.ok) return sendGraphQLError(res, resolved.status, resolved.code, resolved.message);
      if (resolved.request !== fields) {
        if (isGet) search = toSearch(search, resolved.request);
        else body = resolved.request;
      }
    } else if (options.trusted.mode === 'enforce' && Array.isArray(body)) {
      return sendGraphQLError(res, 400, 'PERSISTED_DOCUMENT_REQUIRED', 'Batched requests are not accepted with trusted documents enforced');
    }

    const internalToken = options.signToken ? await options.signToken(identity) : undefined;
    const context = async (): Promise<GatewayContext> => ({ identity, internalToken });
    const run = () => executeApollo(options.apollo, req, body, context, search);

    const request = isGet ? getRequestFields(search) : (body as GraphQLRequestFields | undefined);
    const query = typeof request?.query === 'string' ? request.query : undefined;
    const operationName = typeof request?.operationName === 'string' ? request.operationName : null;
    if (options.collapsing && query && operationType(query, operationName) === 'query') {
      // The raw body is the request as sent; a documentId request collapses with its twins the same way.
      const key = JSON.stringify([req.method, search, parsed.raw, identity.userId ?? null, identity.audience, req.headers['apollo-require-preflight'] ?? null]);
      return writeApolloResponse(res, await collapse(key, run));
    }
    await writeApolloResponse(res, await run());
  };
}
