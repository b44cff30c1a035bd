/**
 * `npm run dev` recomposes after a subgraph schema edit (warning when the
 * partner contract grows) and survives a composition error; `npm start`
 * refuses clearly when a port it needs is taken. The dev loop runs in a copy
 * of the repository, so editing its schemas never touches this checkout.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, busyPorts, stackPorts } from '../scripts/lib/stack.ts';
import { freshDatabaseUrl } from './helpers/freshDatabase.ts';
import { until as untilWithin } from './helpers/poll.ts';

/** The dev loop restarts whole processes on a loaded machine: minutes, not seconds. */
const until = (check: () => boolean | Promise<boolean>, what: string) => untilWithin(check, what, 180_000, 250);

async function freeBase(): Promise<number> {
  for (;;) {
    const base = 20_000 + Math.floor(Math.random() * 20_000);
    const p = stackPorts(base);
    if ((await busyPorts({ g: p.gatewayPort, s: p.sandboxPort, ...p.subgraphPorts })).length === 0) return base;
  }
}

describe('npm start refuses a taken port', () => {
  let blocker: Server;
  afterAll(() => new Promise<void>((r) => (blocker ? blocker.close(() => r()) : r())));

  it('exits 1 naming the port and the way out, without a stack trace', async () => {
    const base = await freeBase();
    blocker = createServer();
    await new Promise<void>((r) => blocker.listen(base, '127.0.0.1', () => r()));
    const run = spawnSync(process.execPath, ['scripts/start.ts', '--base-port', String(base)], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`port ${base} (gateway) is already in use`);
    expect(run.stderr).toMatch(/--base-port/);
    expect(`${run.stdout}${run.stderr}`).not.toMatch(/EADDRINUSE|\n\s+at |\bready\b/);
  });
});

describe('npm run dev', { timeout: 300_000 }, () => {
  let copy: string;
  let dev: ChildProcess;
  let output = '';
  let gatewayUrl: string;
  const schemaFile = () => join(copy, 'subgraphs/payments/schema.graphql');
  const ask = async (query: string) => {
    const res = await fetch(gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query }),
    });
    return (await res.json()) as { data?: Record<string, unknown>; errors?: unknown[] };
  };
  const productFields = async () => {
    const body = await ask('{ __type(name: "Product") { fields { name } } }');
    return ((body.data?.__type as { fields: { name: string }[] } | undefined)?.fields ?? []).map((f) => f.name);
  };

  beforeAll(async () => {
    // A copy of the tracked sources (with this checkout's node_modules linked in).
    copy = mkdtempSync(join(tmpdir(), 'tma-dev-'));
    const files = spawnSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' })
      .stdout.split('\n')
      .filter(Boolean);
    for (const file of files) {
      mkdirSync(dirname(join(copy, file)), { recursive: true });
      try {
        cpSync(join(ROOT, file), join(copy, file));
      } catch {
        // deleted in the work tree but still in the index
      }
    }
    symlinkSync(join(ROOT, 'node_modules'), join(copy, 'node_modules'));
    const base = await freeBase();
    const databaseUrl = await freshDatabaseUrl('devloop'); // PostgreSQL starts quicker than three PGlites on a loaded machine
    gatewayUrl = `http://127.0.0.1:${base}/graphql`;
    dev = spawn(process.execPath, ['scripts/dev.ts', '--base-port', String(base)], {
      cwd: copy,
      env: { ...process.env, DATA_DIR: join(copy, 'data'), LOG_LEVEL: 'warn', DATABASE_URL: databaseUrl ?? '', REDIS_URL: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    dev.stdout!.on('data', (c: Buffer) => (output += c.toString()));
    dev.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    await until(() => output.includes('watching subgraphs/') || dev.exitCode !== null, 'the dev stack is up');
    expect(dev.exitCode, output).toBeNull();
  }, 300_000);

  afterAll(async () => {
    if (dev && dev.exitCode === null) {
      const exited = new Promise((r) => dev.once('exit', r));
      dev.kill('SIGTERM');
      await exited;
    }
    if (copy) rmSync(copy, { recursive: true, force: true });
  }, 60_000);

  it('recomposes after a schema edit, warns that the partner contract grows, and serves the new field', async () => {
    expect(await productFields()).not.toContain('devLoopProbe');
    const before = output.length;
    writeFileSync(
      schemaFile(),
      readFileSync(schemaFile(), 'utf8').replace(
        /(type Product @key[^{]*\{\n)/,
        '$1  "Added by the dev-loop test."\n  devLoopProbe: String\n',
      ),
    );
    await until(() => /ready \(.*gateway.*restarted\)/.test(output.slice(before)), 'the dev loop restarted the gateway');
    const log = output.slice(before);
    expect(log).toContain('composing');
    expect(log).toMatch(/WARNING: the partner contract \(schema\/public\.graphql\) gains 1 field\(s\): Product\.devLoopProbe/);
    expect(readFileSync(join(copy, 'schema/api.graphql'), 'utf8')).toContain('devLoopProbe');
    expect(await productFields()).toContain('devLoopProbe');
  });

  it('shows a composition error and keeps the stack running on the previous supergraph', async () => {
    const before = output.length;
    writeFileSync(schemaFile(), `${readFileSync(schemaFile(), 'utf8')}\ntype DevLoopBroken {\n  oops: NoSuchType\n}\n`);
    await until(() => output.slice(before).includes('composition failed'), 'the dev loop reported the composition error');
    expect(output.slice(before)).toMatch(/NoSuchType/);
    expect(dev.exitCode).toBeNull();
    const catalog = await ask('{ products { id } }');
    expect((catalog.data?.products as unknown[]).length).toBeGreaterThan(0);
  });
});

describe('npm start stops with its launcher', { timeout: 300_000 }, () => {
  it('when the process that started it dies without passing a signal on (npm on SIGTERM), the whole stack stops', async () => {
    const base = await freeBase();
    const p = stackPorts(base);
    const ports = { g: p.gatewayPort, s: p.sandboxPort, ...p.subgraphPorts };
    const dataDir = mkdtempSync(join(tmpdir(), 'tma-start-'));
    // a stand-in for npm: starts `npm start`'s script and is then killed outright
    const launcher = spawn(
      process.execPath,
      [
        '-e',
        `const c = require('node:child_process').spawn(process.execPath, ['scripts/start.ts', '--base-port', '${base}'], { stdio: 'inherit' }); setInterval(() => {}, 1000);`,
      ],
      { cwd: ROOT, env: { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: 'warn', REDIS_URL: '' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    launcher.stdout!.on('data', (c: Buffer) => (output += c.toString()));
    launcher.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    try {
      // killed while the stack is still starting (the sandbox starts first): the supervisor must know its
      // launcher from the start, not from when the stack is up (it missed that once)
      await until(async () => (await busyPorts({ s: ports.s })).length === 1, 'the sandbox is served');
      launcher.kill('SIGKILL');
      await until(() => output.includes('the process that started the stack is gone: stopping'), 'the supervisor noticed');
      await until(async () => (await busyPorts(ports)).length === 0, 'every port of the stack is free again');
    } finally {
      launcher.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
