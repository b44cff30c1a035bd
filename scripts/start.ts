/**
 * `npm start [-- --base-port N]`: composes the supergraph if a subgraph schema
 * changed, then runs sandbox, subgraphs and gateway in one terminal with
 * prefixed logs. Ctrl-C stops everything. Refuses to start (exit 1, no stack
 * trace) when one of its ports is taken, instead of probing another stack.
 */
import { spawnSync } from 'node:child_process';
import { ROOT, busyPorts, stackPorts, startStack } from './lib/stack.ts';
import { basePortFromArgs, refuseBusyPorts, superviseStack } from './lib/cli.ts';

const base = basePortFromArgs();
const ports = stackPorts(base);
await refuseBusyPorts('npm start', ports, busyPorts);

const check = spawnSync(process.execPath, ['scripts/compose.ts', '--check'], { cwd: ROOT, stdio: 'ignore' });
if (check.status !== 0) {
  const compose = spawnSync(process.execPath, ['scripts/compose.ts'], { cwd: ROOT, stdio: 'inherit' });
  if (compose.status !== 0) process.exit(compose.status ?? 1);
}

const stack = await startStack({ ...ports, logs: 'pretty' }).catch((error: Error) => {
  console.error(`start failed: ${error.message}`);
  process.exit(1);
});
superviseStack(stack, { exitWithChild: true });
