/**
 * Starts the whole local stack as child processes: sandbox, the four
 * subgraphs, the gateway. Used by `npm start` (fixed ports, readable prefixed
 * logs) and by the tests (free ports, quiet, one stack per test run).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { randomBytes } from 'node:crypto';
import { resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { registerSandboxWebhooks } from './webhooks.ts';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const PRECOMPILED = resolve(ROOT, 'bin/precompiled.mjs');
export const SUBGRAPH_PORTS = { telegram: 4001, payments: 4002, crm: 4003, analytics: 4004 } as const;
export type SubgraphName = keyof typeof SUBGRAPH_PORTS;

export interface StackOptions {
  gatewayPort?: number;
  sandboxPort?: number;
  subgraphPorts?: Partial<Record<SubgraphName, number>>;
  /** Extra environment for every process (DATA_DIR, DATABASE_URL, ...). */
  env?: Record<string, string | undefined>;
  /** Extra environment for the gateway only. */
  gatewayEnv?: Record<string, string | undefined>;
  /** 'pretty' prints prefixed, readable lines; 'quiet' keeps only warnings and errors. */
  logs?: 'pretty' | 'quiet';
  /** Skip starting the sandbox (live credentials for every service). */
  withoutSandbox?: boolean;
  /** Skip starting the gateway (benchmarks start their own). */
  withoutGateway?: boolean;
  /** Command prefix for every process, e.g. ['taskset', '-c', '0'] to pin them to a core. */
  wrapper?: string[];
  /**
   * Restart a process that exits on its own (crash, OOM, SIGKILL), with exponential backoff
   * (0.5 s doubling to 30 s, reset after 60 s of uptime), logged; the others keep serving.
   * `npm start` supervises; processes stopped through `kill`/`stop` are never restarted.
   */
  supervise?: boolean;
}

export interface Stack {
  gatewayUrl: string;
  sandboxUrl: string;
  subgraphUrls: Record<SubgraphName, string>;
  env: Record<string, string>;
  processes: Map<string, ChildProcess>;
  /** Starts (or restarts) one process by name. */
  restart(name: string): Promise<void>;
  kill(name: string, signal?: NodeJS.Signals): Promise<void>;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

/** Every port of a stack started from `base`: gateway base, subgraphs base+1…base+4, sandbox base+100 (4000 → the defaults). */
export function stackPorts(base: number): { gatewayPort: number; sandboxPort: number; subgraphPorts: Record<SubgraphName, number> } {
  return {
    gatewayPort: base,
    sandboxPort: base + 100,
    subgraphPorts: { telegram: base + 1, payments: base + 2, crm: base + 3, analytics: base + 4 },
  };
}

/** The ports among `ports` that something already listens on (127.0.0.1), by process name. */
export async function busyPorts(ports: Record<string, number>): Promise<[string, number][]> {
  const checks = await Promise.all(
    Object.entries(ports).map(
      ([name, port]) =>
        new Promise<[string, number] | undefined>((resolveCheck) => {
          const server = createServer();
          server.once('error', () => resolveCheck([name, port]));
          server.listen(port, '127.0.0.1', () => server.close(() => resolveCheck(undefined)));
        }),
    ),
  );
  return checks.filter((c): c is [string, number] => c !== undefined);
}

const COLORS = ['\x1b[36m', '\x1b[35m', '\x1b[33m', '\x1b[32m', '\x1b[34m', '\x1b[91m'];
const LEVELS: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };

/** pino JSON → `name  level message key=value`, so six processes stay readable in one terminal. */
function formatLine(line: string): { text: string; level: number } {
  try {
    const {
      level,
      time: _t,
      name: _n,
      msg,
      ...rest
    } = JSON.parse(line) as { level: number; time?: number; name?: string; msg?: string } & Record<string, unknown>;
    const extras = Object.entries(rest)
      .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
      .join(' ');
    const label = LEVELS[level] ?? String(level);
    return { text: `${label === 'info' ? '' : `${label.toUpperCase()} `}${msg ?? ''}${extras ? ` ${extras}` : ''}`, level };
  } catch {
    return { text: line, level: 30 };
  }
}

export async function waitForHttp(url: string, timeoutMs = 30_000, isAlive?: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1_000) });
      if (res.ok) return;
    } catch {
      // not up yet
    }
    if (isAlive && !isAlive()) throw new Error(`process behind ${url} exited before it became ready`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${url}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const logs = options.logs ?? 'pretty';
  const gatewayPort = options.gatewayPort ?? 4000;
  const sandboxPort = options.sandboxPort ?? 4100;
  const ports: Record<SubgraphName, number> = { ...SUBGRAPH_PORTS, ...options.subgraphPorts };
  const sandboxUrl = `http://127.0.0.1:${sandboxPort}`;
  const subgraphUrls = Object.fromEntries(
    Object.entries(ports).map(([name, port]) => [name, `http://127.0.0.1:${port}/graphql`]),
  ) as Record<SubgraphName, string>;

  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...process.env, ...options.env })) if (v !== undefined) env[k] = v;
  // One key for this stack: the gateway signs identities with it, the subgraphs verify them.
  // Production never gets a made-up secret: it must come from the environment (config refuses otherwise).
  if (env.NODE_ENV !== 'production') env.INTERNAL_JWT_SECRET ||= randomBytes(32).toString('base64url');
  env.SANDBOX_URL = sandboxUrl;
  for (const [name, url] of Object.entries(subgraphUrls)) env[`SUBGRAPH_URL_${name.toUpperCase()}`] = url;

  const processes = new Map<string, ChildProcess>();
  /** Names being stopped on purpose (kill/stop): their exit is not a crash. */
  const stoppingOnPurpose = new Set<string>();
  let stackStopping = false;
  const crashes = new Map<string, { count: number; startedAt: number }>();
  const specs = new Map<string, { args: string[]; env: Record<string, string>; health: string }>();
  let colorIndex = 0;
  const colors = new Map<string, string>();

  function launch(name: string): ChildProcess {
    const spec = specs.get(name)!;
    const [command, ...wrapperArgs] = [...(options.wrapper ?? []), process.execPath];
    // bin/precompiled.mjs: the servers load the type-stripped copies written on install (less memory each)
    const child = spawn(command!, [...wrapperArgs, '--import', PRECOMPILED, ...spec.args], {
      cwd: ROOT,
      env: spec.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (!colors.has(name)) colors.set(name, COLORS[colorIndex++ % COLORS.length]!);
    const prefix = `${colors.get(name)}${name.padEnd(9)}\x1b[0m│ `;
    for (const stream of [child.stdout!, child.stderr!]) {
      createInterface({ input: stream }).on('line', (line) => {
        const { text, level } = formatLine(line);
        if (logs === 'pretty' || level >= 40) process.stdout.write(`${prefix}${text}\n`);
      });
    }
    processes.set(name, child);
    const startedAt = Date.now();
    child.once('exit', (code, signal) => {
      if (!options.supervise || stackStopping || stoppingOnPurpose.has(name) || processes.get(name) !== child) return;
      const previous = crashes.get(name);
      // A process that stayed up a minute starts its backoff afresh.
      const count = previous && startedAt - previous.startedAt < 60_000 ? previous.count + 1 : 1;
      crashes.set(name, { count, startedAt });
      const delay = Math.min(30_000, 500 * 2 ** (count - 1));
      process.stdout.write(
        `${colors.get(name)}${name.padEnd(9)}\x1b[0m│ ERROR exited (${signal ?? `code ${code}`}); restarting in ${delay} ms (crash ${count})\n`,
      );
      setTimeout(() => {
        if (stackStopping || stoppingOnPurpose.has(name) || processes.get(name) !== child) return;
        start(name).catch((error: Error) => process.stdout.write(`${name.padEnd(9)}│ ERROR restart failed: ${error.message}\n`));
      }, delay).unref();
    });
    return child;
  }

  async function start(name: string): Promise<void> {
    stoppingOnPurpose.delete(name);
    const child = launch(name);
    // Generous: four PGlite subgraphs opening at once on a loaded machine can take minutes.
    await waitForHttp(specs.get(name)!.health, 180_000, () => child.exitCode === null && child.signalCode === null);
  }

  async function kill(name: string, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    stoppingOnPurpose.add(name);
    const child = processes.get(name);
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill(signal);
    // Past the drain grace period (SHUTDOWN_GRACE_MS, 10 s by default) plus closing time.
    const timer = setTimeout(() => child.kill('SIGKILL'), Number(env.SHUTDOWN_GRACE_MS ?? 10_000) + 6_000);
    await exited;
    clearTimeout(timer);
  }

  if (!options.withoutSandbox) {
    specs.set('sandbox', {
      args: ['sandbox/src/main.ts'],
      env: { ...env, SANDBOX_PORT: String(sandboxPort) },
      health: `${sandboxUrl}/__sandbox/health`,
    });
  }
  for (const [name, port] of Object.entries(ports)) {
    specs.set(name, {
      args: ['subgraphs/shared/main.ts', name],
      env: { ...env, SUBGRAPH_PORT: String(port) },
      health: `http://127.0.0.1:${port}/healthz`,
    });
  }
  const gatewayEnv: Record<string, string> = { ...env, PORT: String(gatewayPort), HOST: '127.0.0.1' };
  for (const [k, v] of Object.entries(options.gatewayEnv ?? {})) if (v !== undefined) gatewayEnv[k] = v;
  if (!options.withoutGateway)
    specs.set('gateway', { args: ['gateway/src/main.ts'], env: gatewayEnv, health: `http://127.0.0.1:${gatewayPort}/healthz` });

  const stack: Stack = {
    gatewayUrl: `http://127.0.0.1:${gatewayPort}/graphql`,
    sandboxUrl,
    subgraphUrls,
    env,
    processes,
    restart: async (name) => {
      await kill(name);
      await start(name);
    },
    kill,
    async stop() {
      stackStopping = true;
      // Outside in: the gateway first, then the subgraphs, the sandbox they call last.
      await kill('gateway');
      await Promise.all([...processes.keys()].filter((n) => n !== 'gateway' && n !== 'sandbox').map((name) => kill(name)));
      await kill('sandbox');
    },
  };
  try {
    if (specs.has('sandbox')) await start('sandbox');
    await Promise.all(Object.keys(ports).map((name) => start(name)));
    if (specs.has('gateway')) await start('gateway');
    // Sandbox mode: Telegram and Stripe deliver their webhooks to this gateway.
    if (specs.has('sandbox')) await registerSandboxWebhooks({ sandboxUrl, gatewayBaseUrl: `http://127.0.0.1:${gatewayPort}`, env });
  } catch (error) {
    await stack.stop();
    throw error;
  }
  return stack;
}
