/**
 * An unexpected error (here: a subgraph resolver returning an enum value its
 * schema does not have) keeps its message in development and is masked in
 * production; both answers carry an errorId that the log line carries too.
 * A real subgraph server (the shared runtime), queried over HTTP with a token.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../lib/config.ts';
import { createInternalTokenSigner } from '../lib/internalToken.ts';
import { defineSubgraph, startSubgraph, type RunningSubgraph } from '../subgraphs/shared/subgraph.ts';

const SECRET = 'x'.repeat(40);
const schemaFile = join(mkdtempSync(join(tmpdir(), 'tma-enum-')), 'schema.graphql');
writeFileSync(
  schemaFile,
  `extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@shareable"])
enum PaymentStatus { PENDING PAID }
type Query { status: PaymentStatus! }
`,
);

const running: RunningSubgraph<object>[] = [];
afterAll(async () => Promise.all(running.map((s) => s.close())));

async function statusAnswer(nodeEnv: string) {
  const lines: string[] = [];
  const log = pino({ level: 'error', base: undefined }, { write: (line: string) => void lines.push(line) });
  const definition = defineSubgraph({
    name: 'enumtest',
    defaultPort: 0,
    schemaUrl: pathToFileURL(schemaFile),
    createServices: async () => ({}),
    resolvers: () => ({ Query: { status: () => 'DISPUTED' } }),
  });
  const subgraph = await startSubgraph(definition, {
    config: loadConfig({
      INTERNAL_JWT_SECRET: SECRET,
      NODE_ENV: nodeEnv,
      TELEGRAM_BOT_TOKEN: '7000000001:test-only',
      TELEGRAM_WEBHOOK_SECRET: 'test-only-secret',
    }),
    port: 0,
    log,
  });
  running.push(subgraph);
  const token = await createInternalTokenSigner(SECRET)({
    userId: '1',
    profile: { firstName: 'A', isPremium: false },
    roles: [],
    audience: 'miniapp',
  });
  const res = await fetch(subgraph.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: '{"query":"{ status }"}',
  });
  const body = (await res.json()) as { errors: { message: string; extensions: { code: string; errorId: string } }[] };
  return { error: body.errors[0]!, log: lines.join('') };
}

describe('unexpected errors', () => {
  it('development: the message says what went wrong, with an errorId found in the log', async () => {
    const { error, log } = await statusAnswer('development');
    expect(error.extensions.code).toBe('INTERNAL_SERVER_ERROR');
    expect(error.message).toBe('Internal server error: Enum "PaymentStatus" cannot represent value: "DISPUTED"');
    expect(log).toContain(error.extensions.errorId);
  });

  it('production: masked, with the errorId to find it in the log', async () => {
    const { error, log } = await statusAnswer('production');
    expect(error.message).toBe('Internal server error');
    expect(error.extensions.errorId).toMatch(/^[0-9a-f-]{36}$/);
    expect(log).toContain(error.extensions.errorId);
    expect(log).toContain('DISPUTED');
  });
});
