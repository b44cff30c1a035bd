/**
 * `npm start`: composes the supergraph if a subgraph schema changed, then runs
 * sandbox, subgraphs and gateway in one terminal with prefixed logs,
 * supervised: a crashed process is restarted with backoff (logged) while the
 * others keep serving. Ctrl-C stops everything.
 *
 * `NODE_ENV=production npm start`: the gateway and the four subgraphs in
 * production mode, without the sandbox, from your environment (README
 * "Running in production"); the configuration is checked first and every
 * problem is listed before anything starts.
 */
import { spawnSync } from 'node:child_process';
import { ConfigError, loadConfig } from '../lib/config.ts';
import { ROOT, startStack } from './lib/stack.ts';

const production = process.env.NODE_ENV === 'production';
try {
  loadConfig();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exit(1);
}

const check = spawnSync(process.execPath, ['scripts/compose.ts', '--check'], { cwd: ROOT, stdio: 'ignore' });
if (check.status !== 0) {
  const compose = spawnSync(process.execPath, ['scripts/compose.ts'], { cwd: ROOT, stdio: 'inherit' });
  if (compose.status !== 0) process.exit(compose.status ?? 1);
}

const port = Number(process.env.PORT ?? 4000);
const stack = await startStack({ gatewayPort: port, logs: 'pretty', withoutSandbox: production, supervise: true }).catch((error: Error) => {
  console.error(`start failed: ${error.message}`);
  process.exit(1);
});

console.log(production ? `
  Gateway   ${stack.gatewayUrl}  (production mode: no sandbox, introspection off, metrics on METRICS_PORT)
  Stop:     Ctrl-C
` : `
  Gateway   ${stack.gatewayUrl}
  Sandbox   ${stack.sandboxUrl}  (emulated Telegram, Stripe, HubSpot, Mixpanel, Amplitude, toncenter)
  Sign in:  npm run initdata -- 279058397   → use the printed header
  Stop:     Ctrl-C
`);

let stopping = false;
const shutdown = async () => {
  if (stopping) return;
  stopping = true;
  console.log('\nstopping…');
  await stack.stop();
  process.exit(0);
};
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
// A process that crashes is restarted with backoff by the stack (supervise), the others keep serving.
