/**
 * A whole stack of its own (sandbox, four subgraphs, gateway) for fault tests
 * that kill processes or cut database connections, so the shared stack other
 * tests use is never disturbed. On PostgreSQL when TEST_DATABASE_URL is set
 * (in a database of its own, `<test database>_<suffix>`, empty each run, so
 * suites that reset the `payments` schema do not pull it from under us),
 * embedded PGlite otherwise.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startStack, type Stack } from '../../scripts/lib/stack.ts';
import { freshDatabaseUrl } from './freshDatabase.ts';

export interface FaultStack {
  stack: Stack;
  /** The PostgreSQL URL the subgraphs use, if any. */
  databaseUrl: string | undefined;
  stop(): Promise<void>;
}

export async function startFaultStack(options: { databaseSuffix: string; env?: Record<string, string> }): Promise<FaultStack> {
  const databaseUrl = await freshDatabaseUrl(options.databaseSuffix);
  const dataDir = mkdtempSync(join(tmpdir(), 'tma-faults-'));
  const [gatewayPort, sandboxPort, telegram, payments, crm, analytics] = await Promise.all(Array.from({ length: 6 }, freePort));
  const stack = await startStack({
    gatewayPort,
    sandboxPort,
    subgraphPorts: { telegram, payments, crm, analytics },
    logs: 'quiet',
    // Like `npm start`: a process that dies on its own is restarted (kill/restart stay manual).
    supervise: true,
    env: {
      DATA_DIR: dataDir,
      DATABASE_URL: databaseUrl,
      LOG_LEVEL: 'warn',
      NODE_ENV: 'test',
      SANDBOX_LOG: '0',
      TON_POLL_INTERVAL_MS: '300',
      ...options.env,
    },
  });
  return {
    stack,
    databaseUrl,
    async stop() {
      await stack.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
