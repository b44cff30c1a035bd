/**
 * A PostgreSQL server and a redis-server of a test's own, on free ports, so the
 * test may restart and stop them (the chaos run) without touching the shared
 * ones every other suite uses.
 *
 * PostgreSQL refuses to run as root, and CI runs as root: the server is a
 * Debian cluster (`pg_createcluster`, `pg_ctlcluster`), which runs it as the
 * `postgres` user. Without root or the Debian tools, `ownServersUnavailable()`
 * says why, and the caller skips.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, readdirSync } from 'node:fs';
import { freePort } from '../../scripts/lib/stack.ts';

const PG_ROOT = '/usr/lib/postgresql';

function postgresVersion(): string | undefined {
  if (!existsSync(PG_ROOT)) return undefined;
  return readdirSync(PG_ROOT)
    .filter((v) => existsSync(`${PG_ROOT}/${v}/bin/postgres`))
    .sort((a, b) => Number(a) - Number(b))
    .pop();
}

function onPath(command: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Why this machine cannot host the servers (undefined: it can). */
export function ownServersUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (pg_ctlcluster runs PostgreSQL as the postgres user); CI runs as root';
  if (!postgresVersion()) return `no PostgreSQL server under ${PG_ROOT}`;
  for (const tool of ['pg_createcluster', 'pg_ctlcluster', 'pg_dropcluster', 'redis-server'])
    if (!onPath(tool)) return `${tool} is not installed`;
  return undefined;
}

/** Runs as the postgres user from `/` (it cannot read the checkout's directory). */
function asPostgres(command: string, args: string[]): string {
  return execFileSync(command, args, { cwd: '/', encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Clusters are named `<prefix>_<pid of the test process>`: drops those whose process is gone (a run that was
 * killed before its afterAll), so they do not pile up.
 */
function dropAbandonedClusters(version: string, name: string): void {
  const prefix = name.replace(/_\d+$/, '');
  const listed = asPostgres('pg_lsclusters', ['-h']).split('\n');
  for (const line of listed) {
    const [v, cluster] = line.trim().split(/\s+/);
    const pid = cluster?.startsWith(`${prefix}_`) ? Number(cluster.slice(prefix.length + 1)) : NaN;
    if (v !== version || !Number.isInteger(pid)) continue;
    if (cluster === name || !processExists(pid)) asPostgres('pg_dropcluster', ['--stop', version, cluster!]);
  }
}

export interface OwnPostgres {
  url: string;
  port: number;
  /** A real server restart (fast shutdown: every connection is cut, then it starts again); the caller's event loop keeps running. */
  restart(): Promise<void>;
  drop(): void;
}

/**
 * A fresh cluster `name` on a free port with user/password `tma`/`tma` and database `tma`.
 * Tuned for tests (no fsync) and for two replicas of four subgraphs (200 connections).
 */
export async function startOwnPostgres(name: string): Promise<OwnPostgres> {
  const version = postgresVersion()!;
  const port = await freePort();
  dropAbandonedClusters(version, name);
  asPostgres('pg_createcluster', [
    version,
    name,
    '--port',
    String(port),
    '-o',
    'fsync=off',
    '-o',
    'synchronous_commit=off',
    '-o',
    'full_page_writes=off',
    '-o',
    'max_connections=200',
  ]);
  const ctl = (action: string, ...extra: string[]) => asPostgres('pg_ctlcluster', [version, name, action, ...extra]);
  const psql = (sql: string) => asPostgres('su', ['postgres', '-c', `psql -p ${port} -qtAc "${sql}"`]);
  try {
    ctl('start');
    psql(`CREATE USER tma WITH PASSWORD 'tma' SUPERUSER`);
    psql('CREATE DATABASE tma OWNER tma');
  } catch (error) {
    asPostgres('pg_dropcluster', ['--stop', version, name]);
    throw error;
  }
  return {
    url: `postgres://tma:tma@127.0.0.1:${port}/tma`,
    port,
    restart: async () => {
      await promisify(execFile)('pg_ctlcluster', [version, name, 'restart', '-m', 'fast'], { cwd: '/' });
    },
    drop: () => asPostgres('pg_dropcluster', ['--stop', version, name]),
  };
}

export interface OwnRedis {
  url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
}

/** redis-server as a child on a free port, without persistence (a stop loses everything, as a crash would). */
export async function startOwnRedis(): Promise<OwnRedis> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const exited = (c: ChildProcess) =>
    new Promise<void>((r) => (c.exitCode !== null || c.signalCode !== null ? r() : c.once('exit', () => r())));

  async function start(): Promise<void> {
    const c = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: 'ignore',
    });
    child = c;
    const { createClient } = await import('@redis/client');
    for (let i = 0; ; i++) {
      if (c.exitCode !== null) throw new Error(`redis-server exited with ${c.exitCode}`);
      const client = createClient({ url: `redis://127.0.0.1:${port}`, socket: { reconnectStrategy: false, connectTimeout: 1_000 } });
      client.on('error', () => {});
      try {
        await client.connect();
        await client.ping();
        await client.close();
        return;
      } catch {
        if (i > 100) throw new Error(`redis-server on port ${port} did not answer`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    start,
    async stop() {
      if (!child) return;
      const c = child;
      child = undefined;
      const done = exited(c);
      c.kill('SIGTERM');
      await done;
    },
  };
}
