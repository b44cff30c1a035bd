/**
 * `POST|GET /public/graphql`: the partner endpoint (DESIGN.md "Trust
 * boundaries"). Order of checks, each answered before any work it protects:
 *
 *   1. API key (X-Api-Key or Bearer) → 401 UNAUTHENTICATED
 *      (PARTNER_API_KEYS, or the key store of `npm run keys`: registry.ts)
 *   2. monthly quota                  → 429 QUOTA_EXCEEDED + Retry-After, resetAt
 *   3. per-key rate limit            → 429 RATE_LIMITED + Retry-After
 *      (invalid documents count too, so the limits also cap probing)
 *   4. document vs the contract      → 400 GRAPHQL_PARSE_FAILED / GRAPHQL_VALIDATION_FAILED
 *   5. key scopes for the root fields → 403 FORBIDDEN naming the scope (nothing executed)
 *   6. introspection → graphql-js on the contract; data → the federation
 *      engine behind a partner-only ApolloServer, as identity
 *      `{ roles: [], audience: 'partner' }` in the signed internal token.
 *
 * Keys are never logged or echoed; logs and /metrics name the key's `name`.
 * Partner-specific limits (per-key rpm, monthly quota) live here; the
 * gateway-wide limits are the gateway's.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApolloServer, HeaderMap, type HTTPGraphQLResponse } from '@apollo/server';
import type { Registry } from 'prom-client';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import type { Config } from '../../../lib/config.ts';
import type { Logger } from '../../../lib/logger.ts';
import type { Identity } from '../../../lib/internalToken.ts';
import { ErrorCode } from '../../../lib/errors.ts';
import { readGraphQLBody, writeApolloResponse } from '../../../lib/http/apollo.ts';
import { refuseTooLarge, sendJson } from '../../../lib/http/io.ts';
import type { GatewayContext } from '../context.ts';
import { createEngine, engineSettings } from '../executors.ts';
import type { SubgraphHook } from '@tma/engine';
import { formatGatewayError } from '../errors.ts';
import { operationNamePlugin } from '../clientErrors.ts';
import type { RouteHandler } from '../route.ts';
import { parsePartnerKeys, presentedKey, type PartnerKey } from './keys.ts';
import { openKeyStore } from './keyStore.ts';
import { createPartnerRegistry } from './registry.ts';
import { createPartnerRateLimiter } from './rateLimit.ts';
import { createPartnerMetrics } from './metrics.ts';
import { loadPublicSchema } from './schema.ts';
import { requestFields } from './request.ts';
import { prepareOperation } from './document.ts';
import { checkScopes } from './scopes.ts';
import { introspect } from './introspection.ts';
import { sendError, sendErrors } from './respond.ts';
import { createQueryLimiter, type QueryLimits } from '../limits/queryLimits.ts';
import { createParsedDocumentCache } from '../parsedDocuments.ts';

export interface PartnerRouteOptions {
  config: Config;
  log: Logger;
  supergraphSdl: string;
  urlOverride: (name: string, url: string) => string;
  signToken?: (identity: Identity) => Promise<string>;
  /** The same query limits as /graphql, checked against the contract schema. */
  queryLimits: QueryLimits;
  /** The gateway's /metrics registry: per-key usage is registered there. */
  metricsRegistry: Registry;
  /** The gateway's hooks on each subgraph HTTP request (metrics): partner fetches are subgraph calls like any other. */
  fetchHooks: SubgraphHook[];
}

export interface PartnerRoute {
  route: RouteHandler;
  stop(): Promise<void>;
}

/** Who a partner request runs as downstream: nobody in particular, never an operator. */
const PARTNER_IDENTITY: Identity = Object.freeze({ roles: [], audience: 'partner' }) as Identity;
/** Catalog queries are small; a large body is abuse, refused before parsing. */
const MAX_BODY_BYTES = 64 * 1024;
/** Heap bytes of the parsed partner documents Apollo keeps (partners send few distinct operations). */
const PARTNER_DOCUMENT_STORE_BYTES = 8 * 1024 * 1024;
const UNAUTHENTICATED_HEADERS = { 'www-authenticate': 'Bearer realm="public", charset="UTF-8"' };
/** Responses differ by key (rate-limit headers, scope refusals): a shared cache must key on it. */
const VARY = 'x-api-key, authorization';
/** GraphQL errors in a JSON response body (an escaped `\"errors\":[` inside a string value does not match). */
const HAS_GRAPHQL_ERRORS = /(^|[^\\])"errors":\[/;

function hasGraphQLErrors(response: HTTPGraphQLResponse): boolean {
  return response.body.kind === 'complete' && HAS_GRAPHQL_ERRORS.test(response.body.string);
}

export async function createPartnerRoute(options: PartnerRouteOptions): Promise<PartnerRoute> {
  const { config, log } = options;
  const registry = createPartnerRegistry({
    configured: parsePartnerKeys(config.PARTNER_API_KEYS),
    openStore: () => openKeyStore({ databaseUrl: config.DATABASE_URL, dataDir: config.dataDir }),
    log,
  });
  const schema = loadPublicSchema();
  const limiter = createPartnerRateLimiter({ redisUrl: config.REDIS_URL, log });
  const queryLimits = createQueryLimiter(options.queryLimits, () => schema);
  const metrics = createPartnerMetrics(options.metricsRegistry);

  // The engine is built on the first request with a valid key (keys may appear at any time):
  // a gateway without partners never pays its start-up time and memory.
  let apollo: Promise<ApolloServer<GatewayContext>> | undefined;
  const partnerApollo = () => {
    apollo ??= startPartnerApollo(options).catch((error: unknown) => {
      apollo = undefined; // the next request tries again
      throw error;
    });
    return apollo;
  };
  log.info({ rateLimit: limiter.kind }, 'partner endpoint ready');

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    res.setHeader('vary', VARY);
    if (req.method !== 'GET' && req.method !== 'POST') return sendError(res, 405, 'BAD_REQUEST', 'Use GET or POST', { allow: 'GET, POST' });

    const presented = presentedKey(req.headers);
    await registry.ready();
    const partner = presented ? registry.identify(presented) : undefined;
    if (!partner) {
      log.debug({ reason: presented ? 'unknown key' : 'no key' }, 'partner request refused');
      return sendError(res, 401, ErrorCode.UNAUTHENTICATED, 'Send a valid API key in the X-Api-Key header', UNAUTHENTICATED_HEADERS);
    }
    const started = performance.now();
    let graphqlErrors = false;
    res.once('finish', () => metrics.observe(partner.name, res.statusCode, graphqlErrors, (performance.now() - started) / 1000));
    await serve(req, res, partner, (failed) => (graphqlErrors = failed));
  }

  async function serve(
    req: IncomingMessage,
    res: ServerResponse,
    partner: PartnerKey,
    reportErrors: (failed: boolean) => void,
  ): Promise<void> {
    const quota = registry.checkQuota(partner);
    if (!quota.allowed) {
      const resetAt = new Date(quota.resetAt).toISOString();
      log.debug({ partner: partner.name }, 'partner quota exceeded');
      return sendError(
        res,
        429,
        ErrorCode.QUOTA_EXCEEDED,
        `Monthly quota of ${quota.limit} requests used up; it resets at ${resetAt}`,
        {
          'retry-after': String(Math.max(1, Math.ceil((quota.resetAt - Date.now()) / 1000))),
        },
        { resetAt },
      );
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
    registry.recordUse(partner);

    const parsed = await readGraphQLBody(req, { maxBodyBytes: MAX_BODY_BYTES });
    if (!parsed.ok) {
      if (parsed.status === 413) return refuseTooLarge(req, res, MAX_BODY_BYTES);
      return sendError(res, parsed.status, parsed.code, parsed.message);
    }
    const fields = requestFields(req, parsed.body);
    if (!fields.ok) return sendError(res, fields.status, fields.code, fields.message);
    const operation = prepareOperation(schema, fields.fields);
    if (!operation.ok) return sendErrors(res, operation.status, operation.errors);
    const verdict = queryLimits.check(operation.query, operation.operationName, operation.variables);
    if (!verdict.ok) return sendError(res, verdict.status, verdict.code, verdict.message);

    const scopes = checkScopes(operation.rootFields, partner.scopes);
    if (!scopes.ok)
      return sendError(
        res,
        403,
        ErrorCode.FORBIDDEN,
        scopes.message,
        {},
        scopes.requiredScope ? { requiredScope: scopes.requiredScope } : {},
      );

    if (operation.introspection) {
      const result = await introspect(schema, operation);
      reportErrors(result.body.errors !== undefined);
      return sendJson(res, result.status, result.body, { 'cache-control': 'no-store' });
    }

    const internalToken = options.signToken ? await options.signToken(PARTNER_IDENTITY) : undefined;
    // A fresh JSON POST with just the validated fields: nothing else of the original request reaches Apollo.
    const headers = new HeaderMap([['content-type', 'application/json']]);
    const response = await (await partnerApollo()).executeHTTPGraphQLRequest({
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
    reportErrors(hasGraphQLErrors(response));
    await writeApolloResponse(res, response);
  }

  return {
    route,
    async stop() {
      await (await apollo?.catch(() => undefined))?.stop();
      await limiter.close();
      await registry.stop();
    },
  };
}

/** The federation engine behind an ApolloServer of its own: an ApolloServer owns the gateway object it is given (load/stop). */
async function startPartnerApollo(options: PartnerRouteOptions): Promise<ApolloServer<GatewayContext>> {
  const engine = await createEngine({
    ...engineSettings(options.config),
    supergraphSdl: options.supergraphSdl,
    urlOverride: options.urlOverride,
    fetchHooks: options.fetchHooks,
  });
  const apollo = new ApolloServer<GatewayContext>({
    gateway: engine,
    // Defence in depth: introspection is answered from the contract before Apollo is reached.
    introspection: false,
    // Only validated full query text is executed here: no APQ, no batches.
    persistedQueries: false,
    allowBatchedHttpRequests: false,
    // Apollo's default store would count each document at a quarter of its heap (parsedDocuments.ts)
    documentStore: createParsedDocumentCache(PARTNER_DOCUMENT_STORE_BYTES),
    includeStacktraceInErrorResponses: false,
    // server.ts stops this instance in close(); Apollo must not race it on SIGTERM.
    stopOnTerminationSignals: false,
    formatError: formatGatewayError(options.log, { production: options.config.NODE_ENV === 'production' }),
    plugins: [ApolloServerPluginLandingPageDisabled(), operationNamePlugin()],
  });
  await apollo.start();
  return apollo;
}
