/** What `npm start` and `npm run dev` share: ports, the refusal when one is taken, the banner, Ctrl-C. */
import type { Stack, stackPorts } from './stack.ts';

/** `--base-port N` (gateway N, subgraphs N+1…N+4, sandbox N+100); else PORT for the gateway's, 4000 by default. */
export function basePortFromArgs(argv = process.argv): number {
  const flag = argv.indexOf('--base-port');
  const value = flag === -1 ? (process.env.PORT ?? '4000') : argv[flag + 1];
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65_435) {
    console.error(`invalid port ${value}: use --base-port <1-65435>`);
    process.exit(2);
  }
  return port;
}

export async function refuseBusyPorts(
  command: string,
  ports: ReturnType<typeof stackPorts>,
  busyPorts: (ports: Record<string, number>) => Promise<[string, number][]>,
): Promise<void> {
  const busy = await busyPorts({ gateway: ports.gatewayPort, sandbox: ports.sandboxPort, ...ports.subgraphPorts });
  if (busy.length === 0) return;
  const list = busy.map(([name, port]) => `${port} (${name})`).join(', ');
  console.error(
    `${command}: port ${list} ${busy.length === 1 ? 'is' : 'are'} already in use (another stack running?).\n` +
      `Stop it, or run this one on other ports: ${command} -- --base-port 5000  (gateway 5000, subgraphs 5001-5004, sandbox 5100)`,
  );
  process.exit(1);
}

/** Prints where things are and stops the stack on Ctrl-C / SIGTERM (and, for `npm start`, when any process dies). */
export function superviseStack(stack: Stack, options: { exitWithChild: boolean; onStop?: () => void; production?: boolean }): void {
  if (options.production) {
    console.log(`
  Gateway   ${stack.gatewayUrl}  (production mode: no sandbox, no explorer, introspection off, metrics on METRICS_PORT)
  Stop:     Ctrl-C
`);
  } else
    console.log(`
  Gateway   ${stack.gatewayUrl}   (open it in a browser: GraphQL explorer, development only)
  Sandbox   ${stack.sandboxUrl}  (emulated Telegram, Stripe, HubSpot, Mixpanel, Amplitude, toncenter)
  Sign in:  npm run initdata -- 279058397   → use the printed header
  Stop:     Ctrl-C
`);
  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    console.log('\nstopping…');
    options.onStop?.();
    await stack.stop();
    process.exit(0);
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
  stopWhenOrphaned(shutdown);
  if (!options.exitWithChild) return;
  for (const [name, child] of stack.processes) {
    child.on('exit', (code, signal) => {
      if (!stopping) {
        console.error(`${name} exited (${signal ?? code}); stopping the stack`);
        void shutdown();
      }
    });
  }
}

/**
 * The parent when this script started, read when this module loads, before the stack starts. Read
 * only once the stack was up, it missed a launcher that died during the start: by then this process
 * had already been handed to a new parent, which was taken for the launcher (seen on a loaded CI machine).
 */
const LAUNCHED_BY = process.ppid;

/**
 * Stops the stack when the process that launched it is gone. `npm start` runs this script under
 * npm (and a shell); a SIGTERM to npm (`docker stop`, a supervisor, `kill <npm pid>`) ends npm
 * without reaching this process, which would otherwise keep the whole stack running, orphaned.
 */
function stopWhenOrphaned(stop: () => void, everyMs = 1000): void {
  const timer = setInterval(() => {
    if (process.ppid !== LAUNCHED_BY) {
      clearInterval(timer);
      console.error('the process that started the stack is gone: stopping');
      stop();
    }
  }, everyMs);
  timer.unref();
}
