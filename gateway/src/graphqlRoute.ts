/**
 * The GraphQL endpoint in front of Apollo Server. Each step answers before the
 * work it protects:
 *   body (MAX_REQUEST_BYTES, 413) → caller (initData, 401) → trusted documents
 *   → query limits (400) and rate limits (429) → first-level cache / collapsing
 *   → Apollo Server and the engine.
 * Everything per request lives in this closure and the context object; what
 * outlives a request (memos, caches) is keyed by a hash, never by raw text.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { GraphQLError } from 'graphql';
import type { ApolloServer } from '@apollo/server';
import type { Identity } from '../../lib/internalToken.ts';
import { executeApollo, readGraphQLBody, searchOf, sendGraphQLError, writeApolloResponse } from '../../lib/http/apollo.ts';
import { refuseTooLarge } from '../../lib/http/io.ts';
import type { GatewayContext } from './context.ts';
import type { TrustedDocuments, GraphQLRequestFields } from './persisted/trustedDocuments.ts';
import { createCollapser } from './collapse.ts';
import type { PublicResponseCache } from './cache/publicResponseCache.ts';
import { createHash } from 'node:crypto';
import type { QueryLimiter } from './limits/queryLimits.ts';
import { clientIp, COSTLY_MUTATIONS, type GatewayRateLimiter } from './limits/rateLimits.ts';
import { checkGetParams } from './clientErrors.ts';

export interface GraphQLRouteOptions {
  apollo: ApolloServer<GatewayContext>;
  resolveIdentity: (authorization: string | undefined) => Identity;
  signToken?: (identity: Identity) => Promise<string>;
  trusted: TrustedDocuments;
  collapsing: boolean;
  /**
   * Let the engine answer data as JSON bytes (GatewayContext.serializedData): only when no Apollo plugin
   * reads the data (the response cache plugin does), and with stringifyResult from resultJson.ts.
   */
  serializedData: boolean;
  /** First-level cache of public responses; absent when RESPONSE_CACHE=off. */
  publicCache?: PublicResponseCache;
  maxBodyBytes: number;
  limits: QueryLimiter;
  rateLimits: GatewayRateLimiter;
  trustedProxyHops: number;
  /** Query text of an APQ hash registered earlier (possibly by another replica), for the limits. */
  registeredQuery: (hash: string) => Promise<string | undefined>;
  /** @defer queries (realtime/multipart.ts): answered incrementally, or the request to run as usual. */
  respondDeferred?: (
    req: IncomingMessage,
    res: ServerResponse,
    request: GraphQLRequestFields,
    identity: Identity,
  ) => Promise<{ answered: true } | { answered: false; request: GraphQLRequestFields }>;
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

/** sha256 over length-prefixed parts: no part can run into the next, and no 100 KB concatenation is built first. */
function hashParts(parts: readonly string[]): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(`${part.length}:`).update(part);
  return hash.digest('hex');
}

function apqHashOf(extensions: unknown): string | undefined {
  const hash = (extensions as { persistedQuery?: { sha256Hash?: unknown } } | undefined)?.persistedQuery?.sha256Hash;
  return typeof hash === 'string' && /^[0-9a-f]{64}$/i.test(hash) ? hash.toLowerCase() : undefined;
}

/** Variables as the cost estimate needs them: GET sends them as a JSON string. */
function variablesOf(request: GraphQLRequestFields | undefined): unknown {
  const variables = request?.variables;
  if (typeof variables !== 'string') return variables;
  try {
    return JSON.parse(variables);
  } catch {
    return undefined; // Apollo answers the malformed value
  }
}

export function createGraphQLRoute(options: GraphQLRouteOptions) {
  const collapse = createCollapser();

  return async function graphql(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const parsed = await readGraphQLBody(req, { maxBodyBytes: options.maxBodyBytes });
    if (!parsed.ok) {
      if (parsed.status === 413) return refuseTooLarge(req, res, options.maxBodyBytes);
      return sendGraphQLError(res, parsed.status, parsed.code, parsed.message);
    }

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
    // Bounded nesting before variable coercion (recursive) runs; POST bodies were checked when read.
    const outOfBounds = isGet ? checkGetParams(new URLSearchParams(search)) : undefined;
    if (outOfBounds) return sendGraphQLError(res, outOfBounds.status, outOfBounds.code, outOfBounds.message);
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

    const apqHash = apqHashOf(request?.extensions);
    const query = typeof request?.query === 'string' ? request.query : apqHash ? await options.registeredQuery(apqHash) : undefined;
    const operationName = typeof request?.operationName === 'string' ? request.operationName : null;
    // A text with an APQ hash is hashed by the limiter itself: a client's hash is not trusted to name another text.
    const verdict =
      query !== undefined
        ? options.limits.check(query, operationName, variablesOf(request), typeof request?.query === 'string' ? undefined : apqHash)
        : undefined;

    // Refused documents count too, so the limit also caps probing.
    const operation = verdict?.ok ? verdict.operation : undefined;
    const costly = operation?.type === 'mutation' ? operation.rootFields.filter((f) => COSTLY_MUTATIONS.has(f)) : [];
    const rate = await options.rateLimits.consume({ userId: identity.userId, ip: clientIp(req, options.trustedProxyHops) }, costly);
    if (!rate.allowed)
      return sendGraphQLError(
        res,
        429,
        'RATE_LIMITED',
        rate.message,
        { retryAfterSeconds: rate.retryAfterSeconds },
        { 'retry-after': String(rate.retryAfterSeconds) },
      );
    if (verdict && !verdict.ok) return sendGraphQLError(res, verdict.status, verdict.code, verdict.message);

    const isQuery = operation?.type === 'query';
    // The request as sent, plus every header that changes how Apollo treats it (CSRF rules, content type), hashed:
    // what a memo keeps per request is 64 bytes, whatever the size of the query. Only the response cache
    // and collapsing use it: not computed (a sha256 of the whole body) when both are off.
    const requestKey =
      isQuery && (options.publicCache || options.collapsing)
        ? hashParts([
            req.method ?? '',
            search,
            parsed.raw,
            identity.audience,
            req.headers['content-type'] ?? '',
            String(req.headers['apollo-require-preflight'] ?? ''),
            String(req.headers['x-apollo-operation-name'] ?? ''),
          ])
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
    const collapsed = !!requestKey && options.collapsing;
    // A collapsed execution serves several clients: one of them leaving must not cancel it.
    const signal = collapsed ? undefined : abortOnClientGone(res);
    // a collapsed response is written to several clients: its bytes must not go back to a pool after the first
    const serializedData = options.serializedData && !collapsed;
    const context = async (): Promise<GatewayContext> => ({ identity, internalToken, signal, serializedData });
    const run = () => executeApollo(options.apollo, req, body, context, search);

    let response;
    if (collapsed) {
      // Collapsing is per caller: identical requests of one user (or of anonymous callers) share one execution.
      response = await collapse(`${identity.userId ?? '-'}\n${requestKey}`, run); // user ids have no newline: the prefix cannot collide
    } else {
      response = await run();
    }
    if (requestKey && options.publicCache) options.publicCache.offer(requestKey, response);
    await writeApolloResponse(res, response);
  };
}

/** A signal aborted when the client connection closes before the response was sent. */
function abortOnClientGone(res: ServerResponse): AbortSignal {
  const controller = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) controller.abort(new Error('client disconnected'));
  });
  return controller.signal;
}
