/**
 * The common subgraph runtime: every subgraph is a `SubgraphDefinition`
 * (schema file, resolvers, services it opens once) started by `startSubgraph`.
 * This is where the trust boundary is enforced: no operation runs without a
 * valid internal token from the gateway.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readFileSync } from 'node:fs';
import { parse, type DocumentNode, GraphQLError } from 'graphql';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import { createInternalTokenVerifier, InternalTokenError } from '../../lib/internalToken.ts';
import { requireInternalJwtSecret, type Config } from '../../lib/config.ts';
import { createLogger, type Logger } from '../../lib/logger.ts';
import { EXPECTED_CODES, ErrorCode, internalError } from '../../lib/errors.ts';
import { handleGraphQLRequest } from '../../lib/http/apollo.ts';
import { closeServer, pathOf, readBody, sendJson, sendText, BodyTooLargeError } from '../../lib/http/io.ts';
import { acceptsEventStream, createSseServer, paramsFromSearch, type SseRequestParams } from '../../lib/http/sse.ts';
import { LoaderRegistry, type SubgraphContext } from './context.ts';
import { ServiceNotConfiguredError, UpstreamError } from './connector.ts';
import { labelSubgraphMetrics, subgraphRegistry } from './metrics.ts';
import { withServerSpan } from '../../lib/tracing.ts';

export interface ServiceHandle {
  close?(): Promise<void>;
}

export interface SubgraphDefinition<Services extends ServiceHandle> {
  name: string;
  /** Port when SUBGRAPH_PORT is not set (matches supergraph.yaml). */
  defaultPort: number;
  /** URL of the schema.graphql next to the definition (`new URL('./schema.graphql', import.meta.url)`). */
  schemaUrl: URL;
  /** Opens what the subgraph needs for its whole life (database, connectors, workers). */
  createServices(input: { config: Config; log: Logger }): Promise<Services>;
  resolvers(services: Services): GraphQLResolverMap<SubgraphContext<Services>>;
  /** Extra HTTP routes for internal callers (gateway only, same token check), e.g. webhook hand-off. */
  routes?: (
    services: Services,
  ) => Record<string, (body: unknown, ctx: SubgraphContext<Services>) => Promise<{ status: number; body: unknown }>>;
}

export function defineSubgraph<S extends ServiceHandle>(def: SubgraphDefinition<S>): SubgraphDefinition<S> {
  return def;
}

export function loadTypeDefs(schemaUrl: URL): DocumentNode {
  return parse(readFileSync(schemaUrl, 'utf8'));
}

export interface RunningSubgraph<S> {
  url: string;
  port: number;
  services: S;
  close(): Promise<void>;
}

/**
 * Masks anything that is not one of our stable error codes, so an unexpected
 * exception never leaks a message, stack or secret; upstream failures get a
 * clear code and the service name.
 */
export function formatSubgraphError(log: Logger, options: { production: boolean }) {
  return (formatted: import('graphql').GraphQLFormattedError, error: unknown) => {
    const original = error instanceof GraphQLError ? (error.originalError ?? error) : error;
    if (original instanceof ServiceNotConfiguredError) {
      return {
        message: original.message,
        path: formatted.path,
        locations: formatted.locations,
        extensions: { code: ErrorCode.SERVICE_NOT_CONFIGURED, service: original.service },
      };
    }
    if (original instanceof UpstreamError) {
      return {
        message: original.message,
        path: formatted.path,
        locations: formatted.locations,
        extensions: {
          code: original.reason === 'queue_timeout' ? ErrorCode.UPSTREAM_RATE_LIMITED : ErrorCode.UPSTREAM_ERROR,
          service: original.service,
          status: original.status,
        },
      };
    }
    const code = formatted.extensions?.code;
    if (typeof code === 'string' && EXPECTED_CODES.has(code) && code !== ErrorCode.INTERNAL_SERVER_ERROR) {
      const { stacktrace: _drop, ...extensions } = formatted.extensions ?? {};
      return { ...formatted, extensions };
    }
    return internalError(log, original, formatted, options.production);
  };
}

/** Prometheus text, or prom-client's JSON with `?format=json` (what the gateway aggregates). */
async function serveMetrics(req: IncomingMessage, res: ServerResponse): Promise<void> {
  try {
    if (new URL(req.url ?? '/', 'http://x').searchParams.get('format') === 'json') {
      return sendJson(res, 200, await subgraphRegistry.getMetricsAsJSON());
    }
    sendText(res, 200, await subgraphRegistry.metrics(), subgraphRegistry.contentType);
  } catch {
    sendJson(res, 500, { error: 'metrics unavailable' });
  }
}

export async function startSubgraph<S extends ServiceHandle>(
  def: SubgraphDefinition<S>,
  options: { config: Config; port?: number; host?: string; log?: Logger },
): Promise<RunningSubgraph<S>> {
  const log = options.log ?? createLogger(def.name);
  labelSubgraphMetrics(def.name);
  const verify = createInternalTokenVerifier(requireInternalJwtSecret(options.config));
  const services = await def.createServices({ config: options.config, log });
  const formatError = formatSubgraphError(log, { production: options.config.NODE_ENV === 'production' });
  const schema = buildSubgraphSchema([{ typeDefs: loadTypeDefs(def.schemaUrl), resolvers: def.resolvers(services) as never }]);
  const apollo = new ApolloServer<SubgraphContext<S>>({
    schema,
    includeStacktraceInErrorResponses: false,
    // The gateway is the only client; CSRF prevention still applies (it sends JSON).
    plugins: [ApolloServerPluginLandingPageDisabled(), ApolloServerPluginInlineTraceDisabled()],
    formatError,
    // main.ts owns SIGTERM/SIGINT and stops this server in close(). Apollo's own handlers (installed
    // outside NODE_ENV=test) raced it: the drain waited on Apollo's stop until the fallback timer killed the process.
    stopOnTerminationSignals: false,
  });
  await apollo.start();
  const routes = def.routes?.(services) ?? {};
  // Subscriptions reach the gateway over GraphQL over SSE (graphql-sse, distinct connections), on
  // /graphql with `Accept: text/event-stream`, behind the same internal-token check as every request.
  const subscriptions = createSseServer<SubgraphContext<S>>({
    schema,
    onNext: (_ctx, _req, result) =>
      'errors' in result && result.errors
        ? { ...result, errors: result.errors.map((e) => formatError(e.toJSON(), e) as GraphQLError) }
        : undefined,
  });
  const openStreams = new Set<import('node:http').ServerResponse>();

  const http: Server = createServer((req, res) => {
    const path = pathOf(req);
    if (path === '/healthz') return sendJson(res, 200, { status: 'ok', subgraph: def.name });
    // Operational figures only (no user data): open like /healthz, for the gateway's /metrics and scrapers.
    if (path === '/metrics') return void serveMetrics(req, res);
    const route = routes[path];
    if (path !== '/graphql' && !route) return sendJson(res, 404, { error: 'not found' });
    void withServerSpan(
      `subgraph ${def.name} ${req.method} ${path}`,
      req.headers,
      { 'subgraph.name': def.name, 'url.path': path },
      async () => {
        let identity;
        try {
          identity = await verify(req.headers.authorization);
        } catch (error) {
          const message = error instanceof InternalTokenError ? error.message : 'invalid internal token';
          // Subgraphs are reachable only through the gateway: refuse before parsing anything.
          return sendJson(res, 401, {
            errors: [{ message: `Subgraph ${def.name}: ${message}`, extensions: { code: ErrorCode.UNAUTHENTICATED } }],
          });
        }
        const context = async (): Promise<SubgraphContext<S>> => ({ identity, services, log, loaders: new LoaderRegistry() });
        if (route) {
          let body: unknown;
          try {
            body = JSON.parse(await readBody(req));
          } catch {
            return sendJson(res, 400, { error: 'body must be JSON' });
          }
          const out = await route(body, await context());
          return sendJson(res, out.status, out.body);
        }
        if (acceptsEventStream(req)) {
          let params: SseRequestParams;
          try {
            params = req.method === 'POST' ? (JSON.parse(await readBody(req)) as SseRequestParams) : paramsFromSearch(req.url);
          } catch (error) {
            return sendJson(res, error instanceof BodyTooLargeError ? 413 : 400, {
              errors: [{ message: 'Unreadable request body', extensions: { code: 'BAD_REQUEST' } }],
            });
          }
          openStreams.add(res);
          res.once('close', () => openStreams.delete(res));
          return subscriptions(req, res, params, await context());
        }
        await handleGraphQLRequest(apollo, req, res, context);
      },
    ).catch((error) => {
      log.error({ err: error }, 'request failed');
      if (!res.headersSent)
        sendJson(res, 500, { errors: [{ message: 'Internal server error', extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR } }] });
      else res.destroy();
    });
  });
  http.keepAliveTimeout = 65_000;

  const port = options.port ?? def.defaultPort;
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(port, host, () => resolve());
  });
  const address = http.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  const url = `http://${host}:${actualPort}/graphql`;
  log.info({ url }, `subgraph ${def.name} ready`);
  return {
    url,
    port: actualPort,
    services,
    async close() {
      // Open subscription streams end first (the gateway sees the stream close and tells its clients).
      for (const res of openStreams) res.end();
      // Drain: in-flight requests finish (within SHUTDOWN_GRACE_MS), then workers and pools close.
      await closeServer(http, options.config.SHUTDOWN_GRACE_MS);
      await apollo.stop();
      await services.close?.();
    },
  };
}
