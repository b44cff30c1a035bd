/**
 * `npm run gateway`: the gateway in the foreground.
 * Serves SUPERGRAPH_PATH (default schema/supergraph.graphql) on HOST:PORT.
 * With the project's own supergraph it also mounts the webhook ingress.
 * Exits promptly on SIGTERM/SIGINT.
 */
import { loadConfig, ConfigError } from '../../lib/config.ts';
import { createLogger } from '../../lib/logger.ts';
import { DEFAULT_SUPERGRAPH_PATH, readSupergraph, subgraphUrls } from './supergraph.ts';
import { startGateway } from './server.ts';
import { createWebhookRoutes } from './webhooks/index.ts';
import { createInternalTokenSigner } from '../../lib/internalToken.ts';
import { initTracing, shutdownTracing } from '../../lib/tracing.ts';
import { stopServingPrecompiledModules } from '../../lib/precompiledModules.ts';

const log = createLogger('gateway');
try {
  const config = loadConfig();
  initTracing('gateway', config.OTEL_EXPORTER_OTLP_ENDPOINT);
  const supergraph = readSupergraph(config.SUPERGRAPH_PATH);
  // Webhook ingress only in front of the project's own subgraphs (not when serving a foreign supergraph).
  const urls = subgraphUrls(supergraph.sdl);
  const paymentsUrl = urls.get('payments');
  const secret = config.INTERNAL_JWT_SECRET;
  const routes =
    supergraph.path === DEFAULT_SUPERGRAPH_PATH && paymentsUrl && secret
      ? (hooks: { versions: import('./cache/responseCache.ts').CacheVersions }) =>
          createWebhookRoutes({
            config,
            log,
            paymentsUrl,
            crmUrl: urls.get('crm'),
            versions: hooks.versions,
            signToken: createInternalTokenSigner(secret),
          })
      : undefined;
  const gateway = await startGateway({ config, log, supergraphSdl: supergraph.sdl, routes });
  // every module is loaded: the preload's hooks would only slow each later require() (Apollo's per-request one)
  stopServingPrecompiledModules();
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    log.info({ graceMs: config.SHUTDOWN_GRACE_MS }, 'stopping: draining in-flight requests');
    setTimeout(() => process.exit(0), config.SHUTDOWN_GRACE_MS + 3_000).unref();
    gateway
      .close()
      .then(shutdownTracing)
      .finally(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
} catch (error) {
  if (error instanceof ConfigError) log.fatal(error.message);
  else log.fatal({ err: error }, 'gateway failed to start');
  process.exit(1);
}
