/** An extra gateway process in front of the shared test stack's subgraphs, with its own configuration. */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { freePort, ROOT, waitForHttp } from '../../scripts/lib/stack.ts';
import { stack } from './client.ts';
import { TEST_RATE_LIMITS } from '../setup/global.ts';

export interface ExtraGateway {
  url: string;
  /** Base URL (no path) and process id, for HTTP-surface and memory checks. */
  base: string;
  pid: number;
  /** Everything the process wrote to stdout and stderr (only with `captureOutput`). */
  output(): string;
  stop(): Promise<void>;
}

/** `viaLauncher`: start it as production does, through bin/tma-gateway (node with the launcher's heap flags). */
export async function startExtraGateway(
  env: Record<string, string>,
  options: { captureOutput?: boolean; viaLauncher?: boolean } = {},
): Promise<ExtraGateway> {
  const port = await freePort();
  const s = stack();
  const [command, args] = options.viaLauncher ? [join(ROOT, 'bin/tma-gateway'), []] : [process.execPath, ['gateway/src/main.ts']];
  const child: ChildProcess = spawn(command, args, {
    cwd: ROOT,
    stdio: options.captureOutput ? ['ignore', 'pipe', 'pipe'] : ['ignore', 'ignore', 'inherit'],
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      INTERNAL_JWT_SECRET: s.internalJwtSecret,
      SANDBOX_URL: s.sandboxUrl,
      OPERATOR_USER_IDS: s.operatorId,
      ...TEST_RATE_LIMITS,
      ...Object.fromEntries(Object.entries(s.subgraphUrls).map(([n, u]) => [`SUBGRAPH_URL_${n.toUpperCase()}`, u])),
      ...env,
    },
  });
  const chunks: Buffer[] = [];
  child.stdout?.on('data', (c: Buffer) => chunks.push(c));
  child.stderr?.on('data', (c: Buffer) => chunks.push(c));
  try {
    // Generous: a gateway takes ~10 s to start on 2 cores busy with other stacks.
    await waitForHttp(`http://127.0.0.1:${port}/healthz`, 90_000, () => child.exitCode === null);
  } catch (error) {
    child.kill('SIGKILL'); // never leave a half-started gateway behind
    throw error;
  }
  return {
    url: `http://127.0.0.1:${port}/graphql`,
    base: `http://127.0.0.1:${port}`,
    pid: child.pid!,
    output: () => Buffer.concat(chunks).toString('utf8'),
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
