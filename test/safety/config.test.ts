/**
 * Configuration fails closed (issue: production safety). The matrix is checked twice: on the
 * config module itself (every rule, every problem listed at once), and on real processes (the
 * gateway and a subgraph refuse to start, naming each variable; a production subgraph without a
 * service's credentials answers SERVICE_NOT_CONFIGURED instead of calling the sandbox).
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../lib/config.ts';
import { SANDBOX_CREDENTIALS } from '../../lib/demo/credentials.ts';
import { createInternalTokenSigner } from '../../lib/internalToken.ts';
import { freePort, ROOT, waitForHttp } from '../../scripts/lib/stack.ts';
import { stack } from '../helpers/client.ts';

const SECRET = 'production-test-secret-0123456789abcdef';
const LIVE_BOT = { TELEGRAM_BOT_TOKEN: '7000000001:LIVE-LOOKING-TOKEN', TELEGRAM_WEBHOOK_SECRET: 'live-webhook-secret' };
const PRODUCTION = { NODE_ENV: 'production', INTERNAL_JWT_SECRET: SECRET, ...LIVE_BOT };

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
    return [];
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.problems;
  }
}

describe('configuration fails closed', () => {
  it('a live Stripe key without its webhook secret refuses to start, in every mode; an empty value counts as unset', () => {
    for (const mode of ['development', 'test', 'production']) {
      const env = {
        ...(mode === 'production' ? PRODUCTION : {}),
        NODE_ENV: mode,
        STRIPE_SECRET_KEY: 'sk_live_x',
        STRIPE_WEBHOOK_SECRET: '  ',
      };
      expect(problemsOf(env).join('\n')).toMatch(/^STRIPE_WEBHOOK_SECRET: required when STRIPE_SECRET_KEY is set/m);
    }
  });

  it('a live bot token without TELEGRAM_WEBHOOK_SECRET refuses to start', () => {
    expect(problemsOf({ TELEGRAM_BOT_TOKEN: '7000000001:X' }).join('\n')).toMatch(/^TELEGRAM_WEBHOOK_SECRET: required/m);
  });

  it('production requires the bot token and a 32-character internal secret, and lists every problem at once', () => {
    const problems = problemsOf({ NODE_ENV: 'production', STRIPE_SECRET_KEY: 'sk_live_x', MAX_REQUEST_BYTES: 'lots' });
    const text = problems.join('\n');
    expect(text).toMatch(/^TELEGRAM_BOT_TOKEN: required in production/m);
    expect(text).toMatch(/^INTERNAL_JWT_SECRET: required in production/m);
    expect(text).toMatch(/^STRIPE_WEBHOOK_SECRET: /m);
    expect(text).toMatch(/^MAX_REQUEST_BYTES: /m);
    expect(problemsOf({ ...PRODUCTION, INTERNAL_JWT_SECRET: 'short' }).join('\n')).toMatch(
      /^INTERNAL_JWT_SECRET: must be at least 32 characters/m,
    );
  });

  it('production refuses any sandbox demo value', () => {
    const env = {
      ...PRODUCTION,
      TELEGRAM_BOT_TOKEN: SANDBOX_CREDENTIALS.telegramBotToken,
      STRIPE_SECRET_KEY: 'sk_live_x',
      STRIPE_WEBHOOK_SECRET: SANDBOX_CREDENTIALS.stripeWebhookSecret,
    };
    const text = problemsOf(env).join('\n');
    expect(text).toMatch(/^TELEGRAM_BOT_TOKEN: is the sandbox's public demo value/m);
    expect(text).toMatch(/^STRIPE_WEBHOOK_SECRET: is the sandbox's public demo value/m);
  });

  it('production switches a service without credentials off, never to the sandbox', () => {
    const config = loadConfig(PRODUCTION);
    expect(config.telegram).toMatchObject({ mode: 'live', enabled: true, baseUrl: 'https://api.telegram.org' });
    for (const service of [config.stripe, config.hubspot, config.mixpanel, config.amplitude, config.toncenter]) {
      expect(service).toMatchObject({ mode: 'off', enabled: false, sandbox: false, baseUrl: '' });
    }
    expect(config.stripe.webhookSecret).toBe('');
    expect(config.introspection).toBe(false);
    // Development keeps the sandbox (the one-command laptop stack).
    expect(loadConfig({}).stripe).toMatchObject({ mode: 'sandbox', webhookSecret: SANDBOX_CREDENTIALS.stripeWebhookSecret });
  });

  it('no production code imports the sandbox', () => {
    const offenders: string[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        if (name === 'node_modules' || name === 'generated') continue;
        if (statSync(path).isDirectory()) walk(path);
        else if (path.endsWith('.ts') && /from ['"][^'"]*sandbox\/src\//.test(readFileSync(path, 'utf8')))
          offenders.push(relative(ROOT, path));
      }
    };
    for (const dir of ['gateway', 'subgraphs', 'lib']) walk(join(ROOT, dir));
    expect(offenders).toEqual([]);
  });
});

/** Runs a process to its exit and returns what it printed (it must exit by itself: it refuses to start). */
function runToExit(args: string[], env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.stderr.on('data', (c: Buffer) => chunks.push(c));
    child.once('exit', (code) => resolve({ code, output: Buffer.concat(chunks).toString('utf8') }));
  });
}

describe('processes refuse a bad configuration', () => {
  it('the gateway with a live Stripe key and no webhook secret exits non-zero naming the variable (the sandbox secret can no longer mark payments PAID)', async () => {
    const port = await freePort();
    const { code, output } = await runToExit(['gateway/src/main.ts'], {
      PORT: String(port),
      STRIPE_SECRET_KEY: 'sk_live_x',
      INTERNAL_JWT_SECRET: SECRET,
    });
    expect(code).not.toBe(0);
    expect(output).toMatch(/STRIPE_WEBHOOK_SECRET: required when STRIPE_SECRET_KEY is set/);
    expect(output).not.toMatch(/\n\s+at /); // a list of problems, not a stack trace
  });

  it('a subgraph in production without the bot token or the JWT secret exits naming both', async () => {
    const { code, output } = await runToExit(['subgraphs/shared/main.ts', 'payments'], {
      NODE_ENV: 'production',
      SUBGRAPH_PORT: String(await freePort()),
    });
    expect(code).not.toBe(0);
    expect(output).toMatch(/TELEGRAM_BOT_TOKEN: required in production/);
    expect(output).toMatch(/INTERNAL_JWT_SECRET: required in production/);
  });

  it('a production subgraph without Stripe credentials answers SERVICE_NOT_CONFIGURED and never calls the sandbox', async () => {
    const port = await freePort();
    const dataDir = mkdtempSync(join(tmpdir(), 'tma-prod-'));
    // A sandbox stand-in of this test's own that counts what reaches it: production must never call it.
    let sandboxCalls = 0;
    const fakeSandbox = createServer((_req, res) => {
      sandboxCalls++;
      res.writeHead(500).end();
    });
    await new Promise<void>((r) => fakeSandbox.listen(0, '127.0.0.1', () => r()));
    const sandboxUrl = `http://127.0.0.1:${(fakeSandbox.address() as AddressInfo).port}`;
    const child = spawn(process.execPath, ['subgraphs/shared/main.ts', 'payments'], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        ...PRODUCTION,
        INTERNAL_JWT_SECRET: stack().internalJwtSecret,
        SUBGRAPH_PORT: String(port),
        DATA_DIR: dataDir,
        SANDBOX_URL: sandboxUrl,
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    try {
      await waitForHttp(`http://127.0.0.1:${port}/healthz`, 170_000, () => child.exitCode === null);
      const token = await createInternalTokenSigner(stack().internalJwtSecret)({ roles: [], audience: 'miniapp' });
      const res = await fetch(`http://127.0.0.1:${port}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: '{ products { id } }' }),
      });
      const body = (await res.json()) as { errors?: { extensions?: { code?: string; service?: string } }[] };
      expect(body.errors?.[0]?.extensions).toMatchObject({ code: 'SERVICE_NOT_CONFIGURED', service: 'stripe' });
      expect(sandboxCalls).toBe(0);
    } finally {
      fakeSandbox.close();
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 180_000); // a subgraph process opens its embedded database first: slow on a loaded machine
});
