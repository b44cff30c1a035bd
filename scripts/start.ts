/**
 * `npm start [-- --base-port N]`: composes the supergraph if a subgraph schema
 * changed, then runs sandbox, subgraphs and gateway in one terminal with
 * prefixed logs, supervised: a crashed process is restarted with backoff
 * (logged) while the others keep serving. Ctrl-C stops everything. Refuses to
 * start (exit 1, no stack trace) when one of its ports is taken.
 *
 * `NODE_ENV=production npm start`: the gateway and the four subgraphs in
 * production mode, without the sandbox, from your environment (README
 * "Running in production"); the configuration is checked first and every
 * problem is listed before anything starts.
 */
import { spawnSync } from 'node:child_process';
import { ConfigError, loadConfig } from '../lib/config.ts';
import { ROOT, busyPorts, stackPorts, startStack } from './lib/stack.ts';
import { basePortFromArgs, refuseBusyPorts, superviseStack } from './lib/cli.ts';

const production = process.env.NODE_ENV === 'production';
try {
  loadConfig();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exit(1);
}

const ports = stackPorts(basePortFromArgs());
await refuseBusyPorts('npm start', ports, busyPorts);

const check = spawnSync(process.execPath, ['scripts/compose.ts', '--check'], { cwd: ROOT, stdio: 'ignore' });
if (check.status !== 0) {
  const compose = spawnSync(process.execPath, ['scripts/compose.ts'], { cwd: ROOT, stdio: 'inherit' });
  if (compose.status !== 0) process.exit(compose.status ?? 1);
}

const stack = await startStack({ ...ports, logs: 'pretty', withoutSandbox: production, supervise: true }).catch((error: Error) => {
  console.error(`start failed: ${error.message}`);
  process.exit(1);
});
// A process that crashes is restarted with backoff by the stack (supervise); the others keep serving.
superviseStack(stack, { exitWithChild: false, production });
