/**
 * The gateway's HTTP surface (DESIGN.md): one port, node:http, routes
 *   POST|GET /graphql   Mini Apps (Apollo Server + the federation engine)
 *   POST /webhooks/*    Telegram / Stripe ingress (when the product stack runs)
 *   GET /healthz        alive and the supergraph is loaded
 *   GET /readyz         and every subgraph answers
 *   GET /metrics        Prometheus text
 */
import { createServer, type IncomingMessage, type ServerResponse, type Server } from 'node:http';
import { ApolloServer } from '@apollo/server';
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
import { createEngine } from './executors.ts';
import { formatGatewayError } from './errors.ts';
import { unauthenticatedStatusPlugin } from './plugins/unauthenticatedStatus.ts';
import { createMetrics } from './metrics.ts';
import { PROJECT_ROOT, subgraphUrlOverride, subgraphUrls } from './supergraph.ts';
import { createGatewayStore } from './cache/store.ts';
import { createCacheVersions, invalidateOnMutation, responseCache, type CacheVersions } from './cache/responseCache.ts';
import { loadManifests } from './persisted/manifest.ts';
import { createTrustedDocuments } from './persisted/trustedDocuments.ts';
import { createGraphQLRoute } from './graphqlRoute.ts';
import { createPublicResponseCache } from './cache/publicResponseCache.ts';
import { createPublicRoute } from './public/index.ts'; // partner endpoint (gateway/src/public)
import { resolve } from 'node:path';
import { acceptsEventStream } from '../../lib/http/sse.ts';
import type { FastGateway } from './engine/index.ts';
import { createStreamRegistry } from './realtime/registry.ts';
import { createStreamExecution, type AdmitOperation } from './realtime/execution.ts';
import { createSseRoute } from './realtime/sse.ts';
import { attachWebSocket } from './realtime/ws.ts';
import { createDeferredResponder } from './realtime/multipart.ts';

/** The manifest `npm run codegen` writes; more can be listed in PERSISTED_DOCUMENTS_MANIFESTS. */
export const DEFAULT_MANIFEST = resolve(PROJECT_ROOT, 'schema/client/persisted-documents.json');

export type RouteHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

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

const CORS_HEADERS = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'GET, POST, OPTIONS',
  'access-control-allow-headers': 'authorization, content-type, apollo-require-preflight, x-apollo-operation-name',
  'access-control-max-age': '600',
};

export async function startGateway(options: GatewayOptions): Promise<RunningGateway> {
  const { config, log } = options;
  const urlOverride = subgraphUrlOverride();
  const engine: GatewayInterface & { stop(): Promise<void> } = await createEngine({
    engine: config.GATEWAY_ENGINE,
    supergraphSdl: options.supergraphSdl,
    urlOverride,
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
  const manifestPaths = [DEFAULT_MANIFEST, ...(process.env.PERSISTED_DOCUMENTS_MANIFESTS ?? '').split(',').map((p) => p.trim()).filter(Boolean)];
  const trusted = createTrustedDocuments(config.PERSISTED_DOCUMENTS, config.PERSISTED_DOCUMENTS === 'off' ? { byHash: new Map(), size: 0 } : loadManifests(manifestPaths));

  const apollo = new ApolloServer<GatewayContext>({
    gateway: engine,
    introspection: true,
    includeStacktraceInErrorResponses: false,
    stringifyResult: (value) => JSON.stringify(value),
    formatError: formatGatewayError(log),
    // APQ on the shared store: a hash registered on one replica is known to all of them.
    persistedQueries: { cache: store.cache, ttl: 86_400 },
    cache: store.cache,
    plugins: [
      ApolloServerPluginLandingPageDisabled(),
      unauthenticatedStatusPlugin(),
      invalidateOnMutation(versions),
      ...(config.RESPONSE_CACHE === 'on' ? [responseCache(store, versions)] : []),
    ],
  });
  await apollo.start();
  // Partner endpoint: always mounted; with no PARTNER_API_KEYS every request is 401.
  const publicRoute = await createPublicRoute({ config, log, supergraphSdl: options.supergraphSdl, urlOverride, signToken });

  const metrics = createMetrics();
  const subgraphs = subgraphUrls(options.supergraphSdl, urlOverride);

  // Realtime (subscriptions over SSE and WebSocket, @defer): fast engine only.
  const streamingEngine = 'subscribe' in engine ? (engine as unknown as FastGateway) : undefined;
  const streams = createStreamRegistry({ perUserLimit: config.SUBSCRIPTIONS_PER_USER, metrics: metrics.registry });
  const execution = createStreamExecution({
    engine: streamingEngine,
    apollo,
    trusted,
    registry: streams,
    signToken,
    formatError: formatGatewayError(log),
    admit: options.admitStreamOperation,
  });
  const sse = createSseRoute({ execution, resolveIdentity });

  const graphql = createGraphQLRoute({
    apollo,
    resolveIdentity,
    signToken,
    trusted,
    collapsing: config.REQUEST_COLLAPSING === 'on',
    publicCache: config.RESPONSE_CACHE === 'on' ? createPublicResponseCache() : undefined,
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

  const routes: Record<string, RouteHandler> = {
    '/graphql': (req, res) => (acceptsEventStream(req) ? sse(req, res) : graphql(req, res)),
    '/public/graphql': publicRoute.route,
    '/healthz': async (_req, res) => sendJson(res, 200, { status: 'ok' }),
    '/readyz': async (_req, res) => {
      const state = await readiness();
      sendJson(res, state.ready ? 200 : 503, state);
    },
    '/metrics': async (_req, res) => sendText(res, 200, await metrics.registry.metrics(), metrics.registry.contentType),
    ...options.routes?.({ versions }),
  };

  const http: Server = createServer((req, res) => {
    const started = performance.now();
    const path = pathOf(req);
    const handler = routes[path];
    for (const [k, v] of Object.entries(CORS_HEADERS)) res.setHeader(k, v);
    res.on('finish', () => metrics.observe(handler ? path : 'unknown', res.statusCode, (performance.now() - started) / 1000));
    if (req.method === 'OPTIONS') {
      res.writeHead(204).end();
      return;
    }
    if (!handler) return sendJson(res, 404, { errors: [{ message: `No route ${path}`, extensions: { code: 'NOT_FOUND' } }] });
    handler(req, res).catch((error: unknown) => {
      log.error({ err: error, path }, 'request failed');
      if (!res.headersSent) sendJson(res, 500, { errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] });
      else res.destroy();
    });
  });
  http.keepAliveTimeout = 65_000;
  const websocket = attachWebSocket({ http, path: '/graphql', execution, resolveIdentity });

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(config.PORT, config.HOST, () => resolve());
  });
  const address = http.address();
  const port = typeof address === 'object' && address ? address.port : config.PORT;
  const url = `http://${config.HOST}:${port}/graphql`;
  log.info(
    { url, engine: config.GATEWAY_ENGINE, store: store.kind, responseCache: config.RESPONSE_CACHE, collapsing: config.REQUEST_COLLAPSING, persistedDocuments: `${config.PERSISTED_DOCUMENTS} (${trusted.mode === 'off' ? 0 : 'loaded'})` },
    'gateway ready',
  );
  return {
    url,
    port,
    async close() {
      // Streams first: every open subscription gets its `complete` (SSE) or a 1001 close (WebSocket).
      streams.closeAll();
      await websocket.close();
      await closeServer(http);
      await apollo.stop();
      await publicRoute.stop();
      await store.close();
    },
  };
}
