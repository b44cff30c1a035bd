// Minimal standalone entry (until gateway/src/main.ts is wired):
//   SUPERGRAPH_PATH=... PORT=4000 HOST=127.0.0.1 node gateway/src/engine/serve.ts
// node:http + ApolloServer.executeHTTPGraphQLRequest; CSRF prevention on,
// landing page off, GET /healthz. GATEWAY_ENGINE=apollo serves stock
// @apollo/gateway with the same HTTP layer (for A/B profiling).
import { readFileSync } from 'node:fs';
import v8 from 'node:v8';

if (process.env['GATEWAY_V8_FLAGS']) v8.setFlagsFromString(process.env['GATEWAY_V8_FLAGS']);
import { createServer } from 'node:http';
import { ApolloServer } from '@apollo/server';
import type { GatewayInterface } from '@apollo/server-gateway-interface';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { createFastGateway } from './index.ts';
import { createGraphQLHttpHandler } from './http.ts';

const supergraphPath = process.env['SUPERGRAPH_PATH'];
if (!supergraphPath) {
  console.error('SUPERGRAPH_PATH is required');
  process.exit(1);
}
const supergraphSdl = readFileSync(supergraphPath, 'utf8');
const port = Number(process.env['PORT'] || 4000);
const host = process.env['HOST'] || '127.0.0.1';
const engine = process.env['GATEWAY_ENGINE'] || 'fast';

let gateway: GatewayInterface;
if (engine === 'apollo') {
  const { ApolloGateway } = await import('@apollo/gateway');
  gateway = new ApolloGateway({ supergraphSdl }) as unknown as GatewayInterface;
} else {
  gateway = createFastGateway({ supergraphSdl });
}

const server = new ApolloServer({
  gateway,
  csrfPrevention: true,
  // no pretty-printing / trailing newline: one flat string (as gateway/src/server.ts does)
  stringifyResult: (value) => JSON.stringify(value),
  plugins: [ApolloServerPluginLandingPageDisabled()],
});
await server.start();

const httpServer = createServer(createGraphQLHttpHandler(server, { context: async (req) => ({ headers: req.headers }) }));
httpServer.keepAliveTimeout = 65_000;
httpServer.listen(port, host, () => {
  console.log(`gateway (${engine}) ready at http://${host}:${port}/graphql`);
});

if (process.env['GATEWAY_MEMLOG']) {
  setInterval(() => {
    const m = process.memoryUsage();
    const mb = (n: number) => (n / 1048576).toFixed(0);
    console.log(`mem rss=${mb(m.rss)} heapTotal=${mb(m.heapTotal)} heapUsed=${mb(m.heapUsed)} ext=${mb(m.external)} ab=${mb(m.arrayBuffers)}`);
  }, Number(process.env['GATEWAY_MEMLOG'])).unref();
}

// Diagnostics: sampled allocation profile (incl. objects already collected),
// written to $GATEWAY_ALLOC_PROF on SIGINT/SIGTERM.
let stopAllocProfile: (() => Promise<void>) | undefined;
if (process.env['GATEWAY_ALLOC_PROF']) {
  const { Session } = await import('node:inspector/promises');
  const { writeFileSync } = await import('node:fs');
  const session = new Session();
  session.connect();
  await session.post('HeapProfiler.startSampling', {
    samplingInterval: 4096,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  stopAllocProfile = async () => {
    const { profile } = await session.post('HeapProfiler.stopSampling');
    writeFileSync(process.env['GATEWAY_ALLOC_PROF']!, JSON.stringify(profile));
  };
}

for (const sig of ['SIGTERM', 'SIGINT'] as const) {
  process.on(sig, async () => {
    await stopAllocProfile?.();
    httpServer.close();
    server.stop().finally(() => process.exit(0));
  });
}
