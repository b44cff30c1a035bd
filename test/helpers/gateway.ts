/** An extra gateway process in front of the shared test stack's subgraphs, with its own configuration. */
import { spawn, type ChildProcess } from 'node:child_process';
import { freePort, ROOT, waitForHttp } from '../../scripts/lib/stack.ts';
import { stack } from './client.ts';

export interface ExtraGateway {
  url: string;
  /** Everything the process wrote to stdout and stderr (only with `captureOutput`). */
  output(): string;
  stop(): Promise<void>;
}

export async function startExtraGateway(env: Record<string, string>, options: { captureOutput?: boolean } = {}): Promise<ExtraGateway> {
  const port = await freePort();
  const s = stack();
  const child: ChildProcess = spawn(process.execPath, ['gateway/src/main.ts'], {
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
      ...Object.fromEntries(Object.entries(s.subgraphUrls).map(([n, u]) => [`SUBGRAPH_URL_${n.toUpperCase()}`, u])),
      ...env,
    },
  });
  const chunks: Buffer[] = [];
  child.stdout?.on('data', (c: Buffer) => chunks.push(c));
  child.stderr?.on('data', (c: Buffer) => chunks.push(c));
  try {
    await waitForHttp(`http://127.0.0.1:${port}/healthz`, 90_000, () => child.exitCode === null);
  } catch (error) {
    child.kill('SIGKILL'); // never leave a gateway behind when it did not come up in time
    throw error;
  }
  return {
    url: `http://127.0.0.1:${port}/graphql`,
    output: () => Buffer.concat(chunks).toString('utf8'),
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
