/**
 * The gateway's HTTP surface (DESIGN.md): one port, node:http, routes
 *   POST|GET /graphql   Mini Apps (Apollo Server + the federation engine)
 *   POST /webhooks/*    Telegram / Stripe ingress (when the product stack runs)
 *   GET /healthz        alive and the supergraph is loaded
 *   GET /readyz         and every subgraph answers
 *   GET /metrics        Prometheus text (in production on METRICS_PORT instead)
 * Every response carries X-Content-Type-Options: nosniff and X-Request-Id; CORS
 * headers only on the GraphQL endpoints (auth travels in a header, never a cookie).
 */
import { createServer, type Server } from 'node:http';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import type { GraphQLSchema } from 'graphql';
import { createParsedDocumentCache } from './parsedDocuments.ts';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import type { GatewayInterface } from '@apollo/server-gateway-interface';
import { request as undiciRequest } from 'undici';
import type { Config } from '../../lib/config.ts';
import type { Logger } from '../../lib/logger.ts';
import { createInternalTokenSigner } from '../../lib/internalToken.ts';
import { closeServer, pathOf, sendJson, sendText } from '../../lib/http/io.ts';
import { createInitDataVerifier } from './auth/initData.ts';
import { createIdentityResolver } from './auth/identity.ts';
import type { GatewayContext } from './context.ts';
import { createEngine, engineSettings } from './executors.ts';
import { formatGatewayError } from './errors.ts';
import { operationNamePlugin } from './clientErrors.ts';
import { unauthenticatedStatusPlugin } from './plugins/unauthenticatedStatus.ts';
import { createMetrics } from './metrics.ts';
import { subgraphMetricsText } from './subgraphMetrics.ts';
import { requestIdFrom, runWithRequestId } from '../../lib/requestContext.ts';
import { withServerSpan } from '../../lib/tracing.ts';
import { PROJECT_ROOT, subgraphUrlOverride, subgraphUrls } from './supergraph.ts';
import { createGatewayStore } from './cache/store.ts';
import { createCacheVersions, invalidateOnMutation, responseCache, type CacheVersions } from './cache/responseCache.ts';
import { loadManifests } from './persisted/manifest.ts';
import { openDocumentStore, watchDocumentStore } from './persisted/documentStore.ts';
import { createTrustedDocuments } from './persisted/trustedDocuments.ts';
import { createGraphQLRoute } from './graphqlRoute.ts';
import { createPublicResponseCache } from './cache/publicResponseCache.ts';
import { createPartnerRoute } from './partners/index.ts';
import type { RouteHandler } from './route.ts';
import { createQueryLimiter, type QueryLimits } from './limits/queryLimits.ts';
import { createGatewayRateLimiter } from './limits/rateLimits.ts';
import { createStreamAdmission } from './limits/streamAdmission.ts';
import { createExplorer, wantsExplorer } from './explorer.ts';
import { resolve } from 'node:path';
import { acceptsEventStream } from '../../lib/http/sse.ts';
import type { FastGateway } from '@tma/engine';
import { createStreamRegistry } from './realtime/registry.ts';
import { createStreamExecution, type AdmitOperation } from './realtime/execution.ts';
import { createSseRoute } from './realtime/sse.ts';
import { attachWebSocket } from './realtime/ws.ts';
import { createDeferredResponder } from './realtime/multipart.ts';
import { stringifyResult } from './resultJson.ts';

/** The manifest `npm run codegen` writes; more can be listed in PERSISTED_DOCUMENTS_MANIFESTS. */
export const DEFAULT_MANIFEST = resolve(PROJECT_ROOT, 'schema/client/persisted-documents.json');

export type { RouteHandler } from './route.ts';

export interface GatewayOptions {
  config: Config;
  log: Logger;
  supergraphSdl: string;
  /** Extra routes by exact path (webhooks); built once the cache versions exist, so they can invalidate. */
  routes?: (hooks: { versions: CacheVersions }) => Record<string, RouteHandler>;
  /** Test hook: the clock used for initData freshness. */
  now?: () => number;
  /** Test hook: Ed25519 public keys accepted for third-party initData signatures. */
  initDataPublicKeys?: readonly string[];
  /** Limits / rate limits for streams and deferred queries (realtime/execution.ts AdmitOperation). */
  admitStreamOperation?: AdmitOperation;
}

export interface RunningGateway {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Paths that browsers may call cross-origin: the GraphQL endpoints only, never webhooks, health or metrics. */
const CORS_PATHS = new Set(['/graphql', '/public/graphql']);
const CORS_ALLOW_HEADERS = [
  'authorization',
  'content-type',
  'apollo-require-preflight',
  'x-apollo-operation-name',
  'x-api-key',
  'x-request-id',
  // Tracing headers front-end SDKs add (W3C Trace Context, Sentry): a preflight must not fail on them.
  'traceparent',
  'tracestate',
  'sentry-trace',
  'baggage',
].join(', ');

/** Heap bytes of the parsed documents Apollo keeps: ~500 documents the size of the federation benchmark's query. */
const DOCUMENT_STORE_BYTES = 16 * 1024 * 1024;

/** Apollo's API schema as it loads, for the checks that run before Apollo (query limits). */
function schemaHolder(): { plugin: ApolloServerPlugin<GatewayContext>; get: () => GraphQLSchema | undefined } {
  let schema: GraphQLSchema | undefined;
  return {
    get: () => schema,
    plugin: {
      async serverWillStart() {
        return {
          schemaDidLoadOrUpdate({ apiSchema }) {
            schema = apiSchema;
          },
        };
      },
    },
  };
}

export function queryLimitsFrom(config: Config): QueryLimits {
  return {
    maxDepth: config.MAX_QUERY_DEPTH,
    maxAliases: config.MAX_QUERY_ALIASES,
    maxTokens: config.MAX_QUERY_TOKENS,
    maxCost: config.MAX_QUERY_COST,
    defaultListSize: config.QUERY_COST_DEFAULT_LIST_SIZE,
  };
}

export async function startGateway(options: GatewayOptions): Promise<RunningGateway> {
  const { config, log } = options;
  const urlOverride = subgraphUrlOverride();
  const metrics = createMetrics();
  // Metrics on every subgraph HTTP request of both engines (Mini App and partner); createEngine adds the
  // tracing hook (on every fetch of every client request) only when tracing is on.
  const fetchHooks = [metrics.subgraphHook];
  const engine: GatewayInterface & { stop(): Promise<void> } = await createEngine({
    ...engineSettings(config),
    supergraphSdl: options.supergraphSdl,
    urlOverride,
    fetchHooks,
  });

  const verifyInitData = createInitDataVerifier({
    botToken: config.telegram.botToken,
    maxAgeSeconds: config.INIT_DATA_MAX_AGE_SECONDS,
    publicKeys: options.initDataPublicKeys,
    now: options.now,
  });
  const resolveIdentity = createIdentityResolver(verifyInitData, config.OPERATOR_USER_IDS);
  // Without a configured key (any-supergraph mode against foreign subgraphs) no token is attached.
  const signToken = config.INTERNAL_JWT_SECRET ? createInternalTokenSigner(config.INTERNAL_JWT_SECRET, options.now) : undefined;

  const store = await createGatewayStore(config.REDIS_URL, log);
  const versions = createCacheVersions(store);
  const manifestPaths = [DEFAULT_MANIFEST, ...config.PERSISTED_DOCUMENTS_MANIFESTS];
  // Manifest files read at start, plus documents pushed at run time (`npm run documents -- push`).
  const live =
    config.PERSISTED_DOCUMENTS === 'off'
      ? undefined
      : await watchDocumentStore(await openDocumentStore({ redisUrl: config.REDIS_URL, dataDir: config.dataDir }), {
          onError: (err) => log.error({ err }, 'persisted documents store unreadable; serving the last documents read'),
          onReload: (count) => log.info({ count }, 'pushed persisted documents loaded'),
        });
  const files = config.PERSISTED_DOCUMENTS === 'off' ? new Map<string, string>() : loadManifests(manifestPaths).byHash;
  const trusted = createTrustedDocuments(config.PERSISTED_DOCUMENTS, {
    byHash: { get: (hash) => files.get(hash) ?? live?.get(hash), has: (hash) => files.has(hash) || live?.get(hash) !== undefined },
    size: files.size,
  });

  const apiSchema = schemaHolder();
  const apollo = new ApolloServer<GatewayContext>({
    gateway: engine,
    // Off in production (INTROSPECTION=on overrides): the schema is published as schema/api.graphql instead.
    introspection: config.introspection,
    documentStore: createParsedDocumentCache(DOCUMENT_STORE_BYTES),
    includeStacktraceInErrorResponses: false,
    stringifyResult,
    // main.ts owns the termination signals and stops this server in close(), after the HTTP drain.
    stopOnTerminationSignals: false,
    formatError: formatGatewayError(log, { production: config.production }),
    // APQ on the shared store: a hash registered on one replica is known to all of them.
    persistedQueries: { cache: store.cache, ttl: 86_400 },
    cache: store.cache,
    plugins: [
      ApolloServerPluginLandingPageDisabled(),
      apiSchema.plugin,
      unauthenticatedStatusPlugin(),
      operationNamePlugin(),
      invalidateOnMutation(versions),
      ...(config.RESPONSE_CACHE === 'on' ? [responseCache(store, versions)] : []),
    ],
  });
  await apollo.start();
  const limits = queryLimitsFrom(config);
  const rateLimits = await createGatewayRateLimiter({
    userPerMinute: config.RATE_LIMIT_USER_PER_MINUTE,
    anonymousPerMinute: config.RATE_LIMIT_ANONYMOUS_PER_MINUTE,
    costlyMutationPerMinute: config.RATE_LIMIT_COSTLY_MUTATION_PER_MINUTE,
    redisUrl: config.REDIS_URL,
    log,
  });
  // Partner endpoint: always mounted; with no key configured or stored every request is 401.
  const partnerRoute = await createPartnerRoute({
    config,
    log,
    supergraphSdl: options.supergraphSdl,
    urlOverride,
    signToken,
    metricsRegistry: metrics.registry,
    fetchHooks,
    queryLimits: limits,
  });

  const subgraphs = subgraphUrls(options.supergraphSdl, urlOverride);

  const queryLimiter = createQueryLimiter(limits, apiSchema.get);
  // Realtime (subscriptions over SSE and WebSocket, @defer): fast engine only.
  const streamingEngine = 'subscribe' in engine ? (engine as unknown as FastGateway) : undefined;
  const streams = createStreamRegistry({ perUserLimit: config.SUBSCRIPTIONS_PER_USER, metrics: metrics.registry });
  const execution = createStreamExecution({
    engine: streamingEngine,
    apollo,
    trusted,
    registry: streams,
    signToken,
    formatError: formatGatewayError(log, { production: config.production }),
    // Stream operations count toward the same query limits and rate limits as HTTP requests.
    admit: createStreamAdmission({
      limits: queryLimiter,
      rateLimits,
      trustedProxyHops: config.TRUSTED_PROXY_HOPS,
      next: options.admitStreamOperation,
    }),
  });
  const sse = createSseRoute({ execution, resolveIdentity });

  const graphql = createGraphQLRoute({
    apollo,
    resolveIdentity,
    signToken,
    trusted,
    collapsing: config.REQUEST_COLLAPSING === 'on',
    // the response cache plugin reads the data of every response
    serializedData: config.RESPONSE_CACHE === 'off',
    publicCache: config.RESPONSE_CACHE === 'on' ? createPublicResponseCache() : undefined,
    maxBodyBytes: config.MAX_REQUEST_BYTES,
    limits: queryLimiter,
    rateLimits,
    trustedProxyHops: config.TRUSTED_PROXY_HOPS,
    registeredQuery: async (hash) => (await store.cache.get(`apq:${hash}`)) ?? undefined,
    respondDeferred: createDeferredResponder({ engine: streamingEngine, execution, registry: streams }),
  });

  async function readiness(): Promise<{ ready: boolean; subgraphs: Record<string, string> }> {
    const checks = await Promise.all(
      [...subgraphs].map(async ([name, url]) => {
        try {
          const res = await undiciRequest(new URL('/healthz', url), { method: 'GET', signal: AbortSignal.timeout(1_000) });
          await res.body.dump();
          // Any HTTP answer means the process is up; foreign subgraphs may not have /healthz.
          return [name, 'reachable'] as const;
        } catch {
          return [name, 'unreachable'] as const;
        }
      }),
    );
    return { ready: checks.every(([, s]) => s === 'reachable'), subgraphs: Object.fromEntries(checks) };
  }

  // Development only: GraphiQL on GET /graphql from a browser, and `/` pointing to it.
  const explorer = createExplorer(config);
  const routes: Record<string, RouteHandler> = {
    '/graphql': async (req, res) =>
      acceptsEventStream(req) ? sse(req, res) : explorer && wantsExplorer(req) ? explorer.page(req, res) : graphql(req, res),
    ...explorer?.routes,
    '/public/graphql': partnerRoute.route,
    '/healthz': async (_req, res) => sendJson(res, 200, { status: 'ok' }),
    '/readyz': async (_req, res) => {
      const state = await readiness();
      sendJson(res, state.ready ? 200 : 503, state);
    },
    ...options.routes?.({ versions }),
  };
  // One scrape shows the gateway and every subgraph's per-service figures (calls, errors, retries, breakers, queues).
  const serveMetrics: RouteHandler = async (_req, res) => {
    const [own, ofSubgraphs] = await Promise.all([metrics.registry.metrics(), subgraphMetricsText(subgraphs)]);
    sendText(res, 200, ofSubgraphs ? `${own}\n${ofSubgraphs}` : own, metrics.registry.contentType);
  };
  // In production /metrics stays off the public port: it lists routes, versions and load to anyone who asks.
  const metricsPort = config.METRICS_PORT ?? (config.production ? DEFAULT_METRICS_PORT : undefined);
  if (metricsPort === undefined) routes['/metrics'] = serveMetrics;

  const http: Server = createServer((req, res) => {
    const started = performance.now();
    const path = pathOf(req);
    const handler = routes[path];
    const requestId = requestIdFrom(req.headers['x-request-id']);
    res.setHeader('x-request-id', requestId);
    res.setHeader('x-content-type-options', 'nosniff');
    const cors = CORS_PATHS.has(path) ? corsHeaders(req.headers.origin, config.CORS_ORIGINS) : undefined;
    if (cors) for (const [k, v] of Object.entries(cors)) res.setHeader(k, v);
    res.on('finish', () => metrics.observe(handler ? path : 'unknown', res.statusCode, (performance.now() - started) / 1000));
    if (req.method === 'OPTIONS' && cors) {
      res.writeHead(204).end();
      return;
    }
    if (!handler) return sendJson(res, 404, { errors: [{ message: `No route ${path}`, extensions: { code: 'NOT_FOUND' } }] });
    runWithRequestId(requestId, () =>
      withServerSpan(
        `${req.method} ${path}`,
        req.headers,
        { 'http.request.method': req.method ?? '', 'url.path': path, 'request.id': requestId },
        async (span) => {
          await handler(req, res);
          span.setAttribute('http.response.status_code', res.statusCode);
        },
      ),
    ).catch((error: unknown) => {
      log.error({ err: error, path }, 'request failed');
      if (!res.headersSent)
        sendJson(res, 500, { errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR', requestId } }] });
      else res.destroy();
    });
  });
  http.keepAliveTimeout = 65_000;
  const websocket = attachWebSocket({ http, path: '/graphql', execution, resolveIdentity });

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(config.PORT, config.HOST, () => resolve());
  });
  const metricsServer = metricsPort === undefined ? undefined : await listenMetrics(metricsPort, config.HOST, serveMetrics);
  const address = http.address();
  const port = typeof address === 'object' && address ? address.port : config.PORT;
  const url = `http://${config.HOST}:${port}/graphql`;
  log.info(
    {
      url,
      engine: config.GATEWAY_ENGINE,
      store: store.kind,
      responseCache: config.RESPONSE_CACHE,
      collapsing: config.REQUEST_COLLAPSING,
      persistedDocuments: `${config.PERSISTED_DOCUMENTS} (${trusted.mode === 'off' ? 0 : 'loaded'})`,
    },
    'gateway ready',
  );
  return {
    url,
    port,
    async close() {
      // Streams first: every open subscription gets its `complete` (SSE) or a 1001 close (WebSocket).
      streams.closeAll();
      await websocket.close();
      await closeServer(http, config.SHUTDOWN_GRACE_MS);
      if (metricsServer) await closeServer(metricsServer);
      await apollo.stop();
      await partnerRoute.stop();
      await rateLimits.close();
      await live?.stop();
      await store.close();
    },
  };
}

/** The production metrics port when METRICS_PORT is not set (the port OpenTelemetry's Prometheus exporter uses). */
export const DEFAULT_METRICS_PORT = 9464;

async function listenMetrics(port: number, host: string, serve: RouteHandler): Promise<Server> {
  const server = createServer((req, res) => {
    res.setHeader('x-content-type-options', 'nosniff');
    if (pathOf(req) !== '/metrics' || req.method !== 'GET') return sendJson(res, 404, { error: 'not found' });
    void serve(req, res).catch(() => res.destroy());
  });
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolveListen());
  });
  return server;
}

/** CORS for the GraphQL endpoints: any origin by default (no cookies are ever used), or the CORS_ORIGINS list. */
function corsHeaders(origin: string | undefined, allowed: readonly string[]): Record<string, string> | undefined {
  const base = {
    'access-control-allow-methods': 'GET, POST, OPTIONS',
    'access-control-allow-headers': CORS_ALLOW_HEADERS,
    'access-control-expose-headers': 'x-request-id, retry-after, age',
    'access-control-max-age': '600',
  };
  if (allowed.length === 0) return { 'access-control-allow-origin': '*', ...base };
  if (!origin || !allowed.includes(origin)) return { vary: 'origin' };
  return { 'access-control-allow-origin': origin, vary: 'origin', ...base };
}
