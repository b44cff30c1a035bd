/**
 * One real stack for the whole test run (sandbox, four subgraphs, gateway as
 * child processes on free ports, embedded databases in a temp dir). Tests
 * that need a differently configured gateway start their own next to it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { freePort, startStack, type Stack } from '../../scripts/lib/stack.ts';

export const OPERATOR_ID = '100000059';
/**
 * Every test runs from 127.0.0.1, often as the same few users: the shared stack's rate limits are raised so
 * suites cannot starve each other. test/limits.test.ts checks the limits on a gateway of its own.
 */
export const TEST_RATE_LIMITS = {
  RATE_LIMIT_USER_PER_MINUTE: '1000000',
  RATE_LIMIT_ANONYMOUS_PER_MINUTE: '1000000',
  RATE_LIMIT_COSTLY_MUTATION_PER_MINUTE: '1000000',
};

let stack: Stack | undefined;
let dataDir: string | undefined;

export async function setup(project: TestProject) {
  dataDir = mkdtempSync(join(tmpdir(), 'tma-test-'));
  const [gatewayPort, sandboxPort, telegram, payments, crm, analytics] = await Promise.all(Array.from({ length: 6 }, freePort));
  stack = await startStack({
    gatewayPort,
    sandboxPort,
    subgraphPorts: { telegram, payments, crm, analytics },
    logs: 'quiet',
    env: {
      DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      OPERATOR_USER_IDS: OPERATOR_ID,
      NODE_ENV: 'test',
      TON_POLL_INTERVAL_MS: '300',
      ...TEST_RATE_LIMITS,
    },
  });
  project.provide('stack', {
    gatewayUrl: stack.gatewayUrl,
    sandboxUrl: stack.sandboxUrl,
    subgraphUrls: stack.subgraphUrls,
    internalJwtSecret: stack.env.INTERNAL_JWT_SECRET!,
    dataDir,
    operatorId: OPERATOR_ID,
  });
}

export async function teardown() {
  await stack?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
}

declare module 'vitest' {
  export interface ProvidedContext {
    stack: {
      gatewayUrl: string;
      sandboxUrl: string;
      subgraphUrls: Record<'telegram' | 'payments' | 'crm' | 'analytics', string>;
      internalJwtSecret: string;
      dataDir: string;
      operatorId: string;
    };
  }
}
