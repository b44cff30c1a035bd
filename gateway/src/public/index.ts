/**
 * `POST|GET /public/graphql`: the partner endpoint (DESIGN.md "Trust
 * boundaries"). Order of checks, each answered before any work it protects:
 *
 *   1. API key (X-Api-Key or Bearer) → 401 UNAUTHENTICATED
 *   2. per-key rate limit            → 429 RATE_LIMITED + Retry-After
 *      (invalid documents count too, so the limit also caps probing)
 *   3. document vs the contract      → 400 GRAPHQL_PARSE_FAILED / GRAPHQL_VALIDATION_FAILED
 *   4. key scopes for the root fields → 403 FORBIDDEN
 *   5. introspection → graphql-js on the contract; data → the federation
 *      engine behind a partner-only ApolloServer, as identity
 *      `{ roles: [], audience: 'partner' }` in the signed internal token.
 *
 * Keys are never logged or echoed; logs name the key's configured `name`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApolloServer, HeaderMap } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import type { Config } from '../../../lib/config.ts';
import type { Logger } from '../../../lib/logger.ts';
import type { Identity } from '../../../lib/internalToken.ts';
import { ErrorCode } from '../../../lib/errors.ts';
import { readGraphQLBody, writeApolloResponse } from '../../../lib/http/apollo.ts';
import { sendJson } from '../../../lib/http/io.ts';
import type { GatewayContext } from '../context.ts';
import { createEngine } from '../executors.ts';
import { formatGatewayError } from '../errors.ts';
import type { RouteHandler } from '../server.ts';
import { createKeyRegistry, parsePartnerKeys, presentedKey } from './keys.ts';
import { createPartnerRateLimiter } from './rateLimit.ts';
import { loadPublicSchema } from './schema.ts';
import { requestFields } from './request.ts';
import { prepareOperation } from './document.ts';
import { checkScopes } from './scopes.ts';
import { introspect } from './introspection.ts';
import { sendError, sendErrors } from './respond.ts';

export interface PublicRouteOptions {
  config: Config;
  log: Logger;
  supergraphSdl: string;
  urlOverride: (name: string, url: string) => string;
  signToken?: (identity: Identity) => Promise<string>;
}

export interface PublicRoute {
  route: RouteHandler;
  stop(): Promise<void>;
}

/** Who a partner request runs as downstream: nobody in particular, never an operator. */
const PARTNER_IDENTITY: Identity = Object.freeze({ roles: [], audience: 'partner' }) as Identity;
/** Catalog queries are small; a large body is abuse, refused before parsing. */
const MAX_BODY_BYTES = 64 * 1024;
const UNAUTHENTICATED_HEADERS = { 'www-authenticate': 'Bearer realm="public", charset="UTF-8"' };
/** Responses differ by key (rate-limit headers, scope refusals): a shared cache must key on it. */
const VARY = 'x-api-key, authorization';

export async function createPublicRoute(options: PublicRouteOptions): Promise<PublicRoute> {
  const { config, log } = options;
  const keys = parsePartnerKeys(config.PARTNER_API_KEYS);
  const registry = createKeyRegistry(keys);
  const schema = loadPublicSchema();
  const limiter = await createPartnerRateLimiter({ keys, redisUrl: config.REDIS_URL, log });

  // No keys configured: every request is 401, so no engine is built (it costs start-up time and memory).
  const apollo = keys.length > 0 ? await startPartnerApollo(options) : undefined;
  log.info({ keys: keys.length, rateLimit: limiter.kind }, 'partner endpoint ready');

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    res.setHeader('vary', VARY);
    if (req.method !== 'GET' && req.method !== 'POST') return sendError(res, 405, 'BAD_REQUEST', 'Use GET or POST', { allow: 'GET, POST' });

    const presented = presentedKey(req.headers);
    const partner = presented ? registry.identify(presented) : undefined;
    if (!partner || !apollo) {
      log.debug({ reason: presented ? 'unknown key' : 'no key' }, 'partner request refused');
      return sendError(res, 401, ErrorCode.UNAUTHENTICATED, 'Send a valid API key in the X-Api-Key header', UNAUTHENTICATED_HEADERS);
    }

    const rate = await limiter.consume(partner);
    res.setHeader('x-ratelimit-limit', String(rate.limit));
    if (!rate.allowed) {
      log.debug({ partner: partner.name }, 'partner rate limited');
      res.setHeader('x-ratelimit-remaining', '0');
      return sendError(res, 429, ErrorCode.RATE_LIMITED, `Rate limit of ${rate.limit} requests per minute exceeded`, {
        'retry-after': String(rate.retryAfterSeconds),
      });
    }
    res.setHeader('x-ratelimit-remaining', String(rate.remaining));
    res.setHeader('x-ratelimit-reset', String(rate.resetSeconds));

    const parsed = await readGraphQLBody(req, { maxBodyBytes: MAX_BODY_BYTES });
    if (!parsed.ok) return sendError(res, parsed.status, parsed.code, parsed.message);
    const fields = requestFields(req, parsed.body);
    if (!fields.ok) return sendError(res, fields.status, fields.code, fields.message);
    const operation = prepareOperation(schema, fields.fields);
    if (!operation.ok) return sendErrors(res, operation.status, operation.errors);

    const scopes = checkScopes(operation.rootFields, partner.scopes);
    if (!scopes.ok) return sendError(res, 403, ErrorCode.FORBIDDEN, scopes.message);

    if (operation.introspection) {
      const result = await introspect(schema, operation);
      return sendJson(res, result.status, result.body, { 'cache-control': 'no-store' });
    }

    const internalToken = options.signToken ? await options.signToken(PARTNER_IDENTITY) : undefined;
    // A fresh JSON POST with just the validated fields: nothing else of the original request reaches Apollo.
    const headers = new HeaderMap([['content-type', 'application/json']]);
    const response = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: {
        method: 'POST',
        headers,
        search: '',
        // Absent fields stay absent: Apollo refuses a present-but-undefined `variables`.
        body: {
          query: operation.query,
          ...(operation.operationName !== undefined ? { operationName: operation.operationName } : {}),
          ...(operation.variables !== undefined ? { variables: operation.variables } : {}),
        },
      },
      context: async () => ({ identity: PARTNER_IDENTITY, internalToken }),
    });
    await writeApolloResponse(res, response);
  }

  return {
    route,
    async stop() {
      await apollo?.stop();
      await limiter.close();
    },
  };
}

/** The federation engine behind an ApolloServer of its own: an ApolloServer owns the gateway object it is given (load/stop). */
async function startPartnerApollo(options: PublicRouteOptions): Promise<ApolloServer<GatewayContext>> {
  const engine = await createEngine({ engine: options.config.GATEWAY_ENGINE, planner: options.config.GATEWAY_PLANNER, supergraphSdl: options.supergraphSdl, urlOverride: options.urlOverride });
  const apollo = new ApolloServer<GatewayContext>({
    gateway: engine,
    // Defence in depth: introspection is answered from the contract before Apollo is reached.
    introspection: false,
    // Only validated full query text is executed here: no APQ, no batches.
    persistedQueries: false,
    allowBatchedHttpRequests: false,
    includeStacktraceInErrorResponses: false,
    // server.ts stops this instance in close(); Apollo must not race it on SIGTERM.
    stopOnTerminationSignals: false,
    formatError: formatGatewayError(options.log),
    plugins: [ApolloServerPluginLandingPageDisabled()],
  });
  await apollo.start();
  return apollo;
}
