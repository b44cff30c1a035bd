/**
 * Process entry of one subgraph: `node subgraphs/shared/main.ts <name>`.
 * Port from SUBGRAPH_PORT (else the subgraph's default), host from
 * SUBGRAPH_HOST (default 127.0.0.1). Stops cleanly on SIGINT/SIGTERM.
 */
import { loadConfig, ConfigError } from '../../lib/config.ts';
import { createLogger } from '../../lib/logger.ts';
import { startSubgraph } from './subgraph.ts';
import { initTracing, shutdownTracing } from '../../lib/tracing.ts';
import { SUBGRAPHS, type AnySubgraph, type SubgraphName } from '../index.ts';

const name = process.argv[2] as SubgraphName | undefined;
if (!name || !(name in SUBGRAPHS)) {
  console.error(`usage: node subgraphs/shared/main.ts <${Object.keys(SUBGRAPHS).join('|')}>`);
  process.exit(2);
}
const log = createLogger(name);
try {
  const config = loadConfig();
  initTracing(`subgraph-${name}`, config.OTEL_EXPORTER_OTLP_ENDPOINT);
  const def: AnySubgraph = await SUBGRAPHS[name]();
  const running = await startSubgraph(def, {
    config,
    log,
    port: process.env.SUBGRAPH_PORT ? Number(process.env.SUBGRAPH_PORT) : undefined,
    host: process.env.SUBGRAPH_HOST,
  });
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    log.info({ graceMs: config.SHUTDOWN_GRACE_MS }, 'stopping: draining in-flight requests');
    // Drain within the grace period, then a few seconds for workers and pools; never hang.
    const timer = setTimeout(() => process.exit(1), config.SHUTDOWN_GRACE_MS + 5_000);
    timer.unref();
    await running.close().catch((error) => log.error({ err: error }, 'shutdown failed'));
    await shutdownTracing();
    log.info('stopped');
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
} catch (error) {
  if (error instanceof ConfigError) {
    log.fatal(error.message);
  } else {
    log.fatal({ err: error }, 'subgraph failed to start');
  }
  process.exit(1);
}
