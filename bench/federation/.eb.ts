// scratch: engine CPU per op against the harness subgraphs
import { readFileSync } from 'node:fs';
import { ApolloServer } from '@apollo/server';
const engineModule = process.argv[2] ?? '@tma/engine';
const { createFastGateway } = (await import(engineModule)) as typeof import('@tma/engine');
const sdl = readFileSync('/tmp/gwbench-9/generated/supergraph.graphql', 'utf8');
const body = JSON.parse(readFileSync('/tmp/gwbench-9/generated/request-body.json', 'utf8'));
const gateway = createFastGateway({ supergraphSdl: sdl, planner: 'hive', dedupeInflight: true });
const server = new ApolloServer({ gateway, logger: { debug() {}, info() {}, warn() {}, error() {} } });
await server.start();
const conc = Number(process.argv[3] ?? 8);
const run = async () => { const r = await server.executeOperation({ query: body.query, operationName: body.operationName }); JSON.stringify((r.body as any).singleResult); return r; };
for (let i = 0; i < 300; i++) await Promise.all(Array.from({ length: conc }, run));
const r = await run();
if ((r.body as any).singleResult.errors) throw new Error(JSON.stringify((r.body as any).singleResult.errors));
for (let k = 0; k < 5; k++) {
  const c0 = process.cpuUsage(); const n = 2400;
  for (let i = 0; i < n / conc; i++) await Promise.all(Array.from({ length: conc }, run));
  const c = process.cpuUsage(c0);
  console.log('cpu us/op', ((c.user + c.system) / n).toFixed(0));
}
await server.stop();
