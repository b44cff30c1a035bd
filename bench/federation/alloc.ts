// Bytes allocated per request by the fast engine (in the gateway process), from
// V8's sampling heap profiler with collected objects included, over N
// sequential requests of the bench-like query on the engine's fixture
// subgraphs (which run in a child process, so their allocations do not count).
//   node bench/federation/alloc.ts [engineModule] [hive|apollo] [requests] [profile.heapprofile]
// (the profile can be summarized with bench/federation/alloc-summary.ts)
// engineModule defaults to @tma/engine; pass another copy's index.ts to compare builds.
import { fork } from 'node:child_process';
import { Session } from 'node:inspector/promises';
import { ApolloServer } from '@apollo/server';
import { startSubgraphs } from '../../packages/engine/test/fixtures/subgraphs.ts';

const QUERY = `fragment U on User { id username name }
fragment R on Review { id body }
fragment P on Product { inStock name price shippingEstimate upc weight }
query Q { users { ...U reviews { ...R product { ... on Product { ...P reviews { ...R author { ...U } } } } } } }`;

if (process.argv[2] === 'serve-subgraphs') {
  const s = await startSubgraphs();
  process.send!(s.supergraphSdl);
} else {
  const engineModule = process.argv[2] ?? '@tma/engine';
  const planner = process.argv[3] ?? 'hive';
  const n = Number(process.argv[4] ?? 400);
  const child = fork(new URL(import.meta.url).pathname, ['serve-subgraphs'], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const supergraphSdl = await new Promise<string>((r) => child.once('message', (m) => r(m as string)));
  const { createFastGateway } = (await import(engineModule)) as typeof import('@tma/engine');
  const gateway = createFastGateway({ supergraphSdl, planner: planner as 'hive' | 'apollo' });
  const server = new ApolloServer({ gateway, logger: { debug() {}, info() {}, warn() {}, error() {} } });
  await server.start();
  const run = () => server.executeOperation({ query: QUERY, operationName: 'Q' });
  for (let i = 0; i < 50; i++) await run(); // warm up: plans, compiled shapers, JIT, connections
  const session = new Session();
  session.connect();
  await session.post('HeapProfiler.startSampling', {
    samplingInterval: 1024,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  for (let i = 0; i < n; i++) await run();
  const { profile } = await session.post('HeapProfiler.stopSampling');
  if (process.argv[5]) (await import('node:fs')).writeFileSync(process.argv[5], JSON.stringify(profile));
  let total = 0;
  const walk = (node: { selfSize: number; children: unknown[] }) => {
    total += node.selfSize;
    for (const c of node.children) walk(c as typeof node);
  };
  walk(profile.head as never);
  console.log(`${engineModule} (${planner}): ${(total / n / 1024).toFixed(1)} KB allocated per request (${n} requests, sampled)`);
  await server.stop();
  child.kill();
}
