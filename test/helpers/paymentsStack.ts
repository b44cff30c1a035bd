/**
 * A dedicated payments stack next to the shared one: its own sandbox (so its
 * webhooks point at its own gateway), its own payments subgraph (own data dir
 * or a PostgreSQL DATABASE_URL) and its own gateway; the other subgraphs are
 * the shared stack's. Used by the PostgreSQL variant and the crash test.
 */
import { TEST_RATE_LIMITS } from '../setup/global.ts';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { freePort, ROOT, waitForHttp } from '../../scripts/lib/stack.ts';
import { registerSandboxWebhooks } from '../../scripts/lib/webhooks.ts';
import { stack } from './client.ts';

export interface PaymentsStack {
  gatewayUrl: string;
  gatewayBase: string;
  sandboxUrl: string;
  /** Starts the payments subgraph again (after it died or was killed), with extra env. */
  startPayments(extraEnv?: Record<string, string>): Promise<void>;
  /** Resolves when the payments process has exited (e.g. killed by its crash hook). */
  paymentsExited(): Promise<void>;
  stop(): Promise<void>;
}

export async function startPaymentsStack(
  options: { env?: Record<string, string>; paymentsEnv?: Record<string, string> } = {},
): Promise<PaymentsStack> {
  const shared = stack();
  const [sandboxPort, paymentsPort, gatewayPort] = await Promise.all([freePort(), freePort(), freePort()]);
  const dataDir = mkdtempSync(join(tmpdir(), 'tma-payments-'));
  const sandboxUrl = `http://127.0.0.1:${sandboxPort}`;
  const gatewayBase = `http://127.0.0.1:${gatewayPort}`;
  const base: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) base[k] = v;
  delete base.DATABASE_URL;
  Object.assign(base, {
    INTERNAL_JWT_SECRET: shared.internalJwtSecret,
    SANDBOX_URL: sandboxUrl,
    DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    NODE_ENV: 'test',
    OPERATOR_USER_IDS: shared.operatorId,
    TON_POLL_INTERVAL_MS: '300',
    ...TEST_RATE_LIMITS,
    ...options.env,
  });
  const children = new Map<string, ChildProcess>();

  async function launch(name: string, args: string[], env: Record<string, string>, health: string): Promise<void> {
    const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    for (const s of [child.stdout!, child.stderr!]) {
      createInterface({ input: s }).on('line', (line) => {
        if (/"level":(5|6)\d/.test(line)) process.stdout.write(`[${name}] ${line}\n`);
      });
    }
    children.set(name, child);
    // Generous: a PGlite subgraph opening while the rest of the suite runs can take minutes on 2 cores.
    await waitForHttp(health, 180_000, () => child.exitCode === null && child.signalCode === null);
  }

  const paymentsEnv = (extra: Record<string, string> = {}) => ({
    ...base,
    ...options.paymentsEnv,
    ...extra,
    SUBGRAPH_PORT: String(paymentsPort),
  });
  const exited = (name: string) =>
    new Promise<void>((resolve) => {
      const child = children.get(name);
      if (!child || child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
    });

  const result: PaymentsStack = {
    gatewayUrl: `${gatewayBase}/graphql`,
    gatewayBase,
    sandboxUrl,
    startPayments: (extra) =>
      launch('payments', ['subgraphs/shared/main.ts', 'payments'], paymentsEnv(extra), `http://127.0.0.1:${paymentsPort}/healthz`),
    paymentsExited: () => exited('payments'),
    async stop() {
      // Gateway and payments first, the sandbox last (so nothing polls a dead sandbox meanwhile).
      const order = [...children.entries()].sort(([a], [b]) => Number(a === 'sandbox') - Number(b === 'sandbox'));
      for (const [name, child] of order) {
        await (async () => {
          const done = exited(name);
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
          await done;
          clearTimeout(timer);
        })();
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  try {
    await launch(
      'sandbox',
      ['sandbox/src/main.ts'],
      { ...base, SANDBOX_PORT: String(sandboxPort), SANDBOX_LOG: '0' },
      `${sandboxUrl}/__sandbox/health`,
    );
    await result.startPayments();
    await launch(
      'gateway',
      ['gateway/src/main.ts'],
      {
        ...base,
        PORT: String(gatewayPort),
        HOST: '127.0.0.1',
        SUBGRAPH_URL_PAYMENTS: `http://127.0.0.1:${paymentsPort}/graphql`,
        SUBGRAPH_URL_TELEGRAM: shared.subgraphUrls.telegram,
        SUBGRAPH_URL_CRM: shared.subgraphUrls.crm,
        SUBGRAPH_URL_ANALYTICS: shared.subgraphUrls.analytics,
      },
      `${gatewayBase}/healthz`,
    );
    await registerSandboxWebhooks({ sandboxUrl, gatewayBaseUrl: gatewayBase, env: base });
  } catch (error) {
    await result.stop();
    throw error;
  }
  return result;
}
