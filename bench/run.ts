/**
 * `npm run bench`: this product's workloads, our gateway against stock
 * @apollo/gateway (in @apollo/server 5) on the same subgraphs, in the same run.
 *
 *   npm run bench -- [--duration 15] [--warmup 5] [--connections 50] [--runs 1] [--only a,b,c]
 *
 * Layout: sandbox, subgraphs and the load generator on CPU 0; the gateway under
 * test alone on CPU 1 (taskset), one gateway at a time, order alternating
 * between runs. Before measuring, one response of each gateway is compared:
 * a speed-up that changes a response is a bug. Results: bench/results/.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { Agent, request } from 'undici';
import { freePort, ROOT, startStack, type Stack } from '../scripts/lib/stack.ts';
import { signInitData } from '../gateway/src/auth/initData.ts';
import { SANDBOX_CREDENTIALS } from '../sandbox/src/credentials.ts';
import { createInternalTokenSigner } from '../lib/internalToken.ts';
import { WORKLOADS, ME_EVERYTHING, type Workload } from './workloads.ts';
import { createReplay } from './replay.ts';

const args = process.argv.slice(2);
const opt = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? fallback : (args[i + 1] ?? fallback);
};
const DURATION = Number(opt('duration', '15'));
const WARMUP = Number(opt('warmup', '5'));
const CONNECTIONS = Number(opt('connections', '50'));
const RUNS = Number(opt('runs', '1'));
const ONLY = new Set(opt('only', 'a,b,c').split(','));
/** PostgreSQL for the subgraphs' state (production setup) instead of embedded PGlite; BENCH_DATABASE_URL works too. */
const DATABASE_URL = opt('database-url', process.env.BENCH_DATABASE_URL ?? '');
const OPERATOR = '100000059';
const USERS = Array.from({ length: 200 }, (_, i) => String(100000001 + i));

const canPin = cpus().length >= 2 && spawnSync('taskset', ['-c', '0', 'true']).status === 0;
const pin = (cpu: number) => (canPin ? ['taskset', '-c', String(cpu)] : []);

function authorizationFor(userId: string): string {
  const user = { id: Number(userId), first_name: `User${userId}`, language_code: 'en' };
  return `tma ${signInitData({ user: JSON.stringify(user), auth_date: String(Math.floor(Date.now() / 1000)), chat_type: 'sender' }, SANDBOX_CREDENTIALS.telegramBotToken)}`;
}

const agent = new Agent({ keepAliveTimeout: 10_000, connections: 4 });
async function post(url: string, query: string, authorization?: string): Promise<{ status: number; body: unknown; text: string }> {
  const res = await request(url, {
    method: 'POST',
    dispatcher: agent,
    headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
    body: JSON.stringify({ query }),
  });
  const text = await res.body.text();
  return { status: res.statusCode, body: JSON.parse(text) as unknown, text };
}

async function waitReady(url: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`gateway exited (${child.exitCode})`);
    try {
      const res = await post(url, '{ __typename }');
      if (res.status === 200) return;
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`gateway at ${url} not ready`);
}

type Target = 'stock' | 'ours';

/**
 * The gateways run against the sandbox, which production mode refuses (it never uses a sandbox value), so
 * NODE_ENV is not `production` here. The workloads measure the engine from one client address at tens of
 * thousands of requests a minute: the per-IP rate limit and the cost limit would refuse them, so they are
 * raised for the benchmark (stock has neither).
 */
const BENCH_LIMITS = { RATE_LIMIT_ANONYMOUS_PER_MINUTE: '100000000', RATE_LIMIT_USER_PER_MINUTE: '100000000', MAX_QUERY_COST: '100000000' };

async function startGateway(target: Target, stack: Stack, workload: Workload): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const script = target === 'stock' ? 'bench/stock-gateway.ts' : 'gateway/src/main.ts';
  const env = {
    ...stack.env,
    PORT: String(port),
    HOST: '127.0.0.1',
    NODE_ENV: 'benchmark',
    LOG_LEVEL: 'warn',
    OPERATOR_USER_IDS: OPERATOR,
    ...BENCH_LIMITS,
    ...(target === 'ours' ? workload.oursEnv : {}),
  };
  const [cmd, ...prefix] = [...pin(1), process.execPath];
  const child = spawn(cmd!, [...prefix, script], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'inherit'] });
  const url = `http://127.0.0.1:${port}/graphql`;
  await waitReady(url, child);
  return { url, child };
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

function rssMb(pid: number): number {
  try {
    const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
    return kb / 1024;
  } catch {
    return 0;
  }
}

/** CPU time (user + system) a process has used, in ms. */
function cpuMs(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return 0;
  }
}

interface LoadResult {
  rps: number;
  ok: number;
  non2xx: number;
  errors: number;
  mismatches: number;
  p50: number;
  p95: number;
  p99: number;
  /** Gateway CPU per successful response, ms. */
  cpuPerRequestMs?: number;
  backendCpuPerRequestMs?: Record<string, number>;
}

function runLoad(config: Record<string, unknown>): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const [cmd, ...prefix] = [...pin(0), process.execPath];
    const child = spawn(cmd!, [...prefix, 'bench/load.ts', JSON.stringify(config)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.on('exit', () => {
      try {
        resolve(JSON.parse(out.trim().split('\n').pop() ?? '') as LoadResult);
      } catch {
        reject(new Error(`load generator failed: ${out}`));
      }
    });
  });
}

function callersOf(workload: Workload): string[] | undefined {
  if (workload.callers === 'anonymous') return undefined;
  if (workload.callers === 'operator') return [authorizationFor(OPERATOR)];
  return USERS.map(authorizationFor);
}

/** Latencies of `n` sequential calls (connections = 1): the overhead measurement. */
async function sequential(n: number, call: () => Promise<void>): Promise<{ p50: number; p99: number }> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await call();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  const pct = (p: number) => times[Math.min(times.length - 1, Math.floor((p / 100) * times.length))]!;
  return { p50: pct(50), p99: pct(99) };
}

async function main() {
  const dataDir = mkdtempSync(join(tmpdir(), 'tma-bench-'));
  const [sandboxPort, telegram, payments, crm, analytics] = await Promise.all(Array.from({ length: 5 }, freePort));
  console.log(
    `bench: duration ${DURATION}s, warm-up ${WARMUP}s, ${CONNECTIONS} connections, ${RUNS} run(s), pinning ${canPin ? 'on' : 'off'}, state ${DATABASE_URL ? 'PostgreSQL' : 'PGlite'}`,
  );
  const stack = await startStack({
    withoutGateway: true,
    sandboxPort,
    subgraphPorts: { telegram, payments, crm, analytics },
    logs: 'quiet',
    wrapper: pin(0),
    env: {
      DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      OPERATOR_USER_IDS: OPERATOR,
      NODE_ENV: 'production',
      ...(DATABASE_URL ? { DATABASE_URL } : {}),
    },
  });
  const results: Record<string, unknown>[] = [];
  try {
    // Every bench user signs in once, so the user directory knows them (as in production).
    const warmGateway = await startGateway('ours', stack, WORKLOADS[1]!);
    for (const u of USERS) await post(warmGateway.url, '{ me { id } }', authorizationFor(u));
    await stopProcess(warmGateway.child);

    for (const workload of WORKLOADS.filter((w) => ONLY.has(w.id))) {
      const callers = callersOf(workload);
      const reference: Partial<Record<Target, unknown>> = {};
      const perTarget: Record<Target, LoadResult[]> = { stock: [], ours: [] };
      const peakRss: Record<Target, number> = { stock: 0, ours: 0 };
      for (let run = 0; run < RUNS; run++) {
        const order: Target[] = run % 2 === 0 ? ['stock', 'ours'] : ['ours', 'stock'];
        for (const target of order) {
          const gw = await startGateway(target, stack, workload);
          const sample = await post(gw.url, workload.query, callers?.[0]);
          if (sample.status !== 200 || (sample.body as { errors?: unknown }).errors)
            throw new Error(`${target} answered ${sample.status}: ${JSON.stringify(sample.body).slice(0, 300)}`);
          reference[target] = sample.body;
          // Byte-exact length of this gateway's own answer (stock ends its JSON with a newline, we do not).
          const expectLength = sample.text.length;
          const load = {
            url: gw.url,
            connections: CONNECTIONS,
            body: JSON.stringify({ query: workload.query }),
            rotateAuthorization: callers,
          };
          await runLoad({ ...load, durationSec: WARMUP });
          let peak = 0;
          const sampler = setInterval(() => (peak = Math.max(peak, rssMb(gw.child.pid!))), 200);
          const cpuBefore = cpuMs(gw.child.pid!);
          const stackBefore = new Map([...stack.processes].map(([name, child]) => [name, cpuMs(child.pid!)]));
          // Responses differ per user in (b); the length check applies where every response is the same.
          const result = await runLoad({ ...load, durationSec: DURATION, ...(workload.callers === 'many-users' ? {} : { expectLength }) });
          clearInterval(sampler);
          result.cpuPerRequestMs = (cpuMs(gw.child.pid!) - cpuBefore) / Math.max(1, result.ok);
          // Where the other core goes: CPU per response of each process behind the gateway.
          result.backendCpuPerRequestMs = Object.fromEntries(
            [...stack.processes].map(([name, child]) => [
              name,
              round((cpuMs(child.pid!) - stackBefore.get(name)!) / Math.max(1, result.ok)),
            ]),
          );
          peakRss[target] = Math.max(peakRss[target], peak);
          perTarget[target].push(result);
          console.log(
            `  ${workload.id} ${target.padEnd(5)} run ${run + 1}: ${result.rps.toFixed(0)} req/s, p50 ${result.p50} ms, p99 ${result.p99} ms, peak RSS ${peak.toFixed(0)} MB, gateway CPU ${result.cpuPerRequestMs.toFixed(3)} ms/request (behind it: ${JSON.stringify(result.backendCpuPerRequestMs)}), errors ${result.errors}, non-2xx ${result.non2xx}, mismatches ${result.mismatches}`,
          );
          await stopProcess(gw.child);
        }
      }
      const identical = isDeepStrictEqual(reference.stock, reference.ours);
      const median = (xs: number[]) => {
        const sorted = [...xs].sort((a, b) => a - b);
        const mid = Math.floor(sorted.length / 2);
        return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
      };
      const summary = (t: Target) => ({
        rps: median(perTarget[t].map((r) => r.rps)),
        p50: median(perTarget[t].map((r) => r.p50)),
        p99: median(perTarget[t].map((r) => r.p99)),
        peakRssMb: Math.round(peakRss[t]),
        cpuPerRequestMs: round(median(perTarget[t].map((r) => r.cpuPerRequestMs ?? 0))),
        errors: perTarget[t].reduce((n, r) => n + r.errors + r.non2xx + r.mismatches, 0),
      });
      const entry: Record<string, unknown> = {
        workload: workload.id,
        name: workload.name,
        target: workload.target,
        identicalResponses: identical,
        stock: summary('stock'),
        ours: summary('ours'),
        ratio: summary('ours').rps / summary('stock').rps,
      };
      if (workload.id === 'b') entry.overhead = await measureOverhead(stack, workload);
      results.push(entry);
      console.log(
        `  ${workload.id}: ratio ${(entry.ratio as number).toFixed(2)}x (target ${workload.target}), identical responses: ${identical}`,
      );
    }
  } finally {
    await stack.stop();
    await agent.close();
  }
  writeResults(results);
}

/** Workload (b) at one connection: gateway p99 vs the same subgraph calls made directly. */
async function measureOverhead(stack: Stack, workload: Workload) {
  const userId = USERS[0]!;
  const authorization = authorizationFor(userId);
  const gw = await startGateway('ours', stack, workload);
  const token = await createInternalTokenSigner(stack.env.INTERNAL_JWT_SECRET!)({
    userId,
    profile: { firstName: `User${userId}`, languageCode: 'en', isPremium: false },
    roles: [],
    audience: 'miniapp',
  });
  const replay = createReplay({
    supergraphSdl: readFileSync(join(ROOT, 'schema/supergraph.graphql'), 'utf8'),
    query: ME_EVERYTHING,
    subgraphUrls: stack.subgraphUrls,
    token,
    userId,
  });
  const n = Math.max(300, DURATION * 100);
  for (let i = 0; i < 100; i++) await post(gw.url, ME_EVERYTHING, authorization);
  for (let i = 0; i < 100; i++) await replay.once();
  // Interleave halves so machine noise hits both sides alike.
  const g1 = await sequential(n / 2, async () => void (await post(gw.url, ME_EVERYTHING, authorization)));
  const r1 = await sequential(n / 2, async () => void (await replay.once()));
  const g2 = await sequential(n / 2, async () => void (await post(gw.url, ME_EVERYTHING, authorization)));
  const r2 = await sequential(n / 2, async () => void (await replay.once()));
  await replay.close();
  await stopProcess(gw.child);
  const gatewayP99 = (g1.p99 + g2.p99) / 2;
  const subgraphP99 = (r1.p99 + r2.p99) / 2;
  const result = {
    requests: n,
    gatewayP50: round((g1.p50 + g2.p50) / 2),
    gatewayP99: round(gatewayP99),
    subgraphsP50: round((r1.p50 + r2.p50) / 2),
    subgraphsP99: round(subgraphP99),
    p99OverheadMs: round(gatewayP99 - subgraphP99),
  };
  console.log(
    `  b overhead at 1 connection: gateway p99 ${result.gatewayP99} ms, subgraphs alone p99 ${result.subgraphsP99} ms → overhead ${result.p99OverheadMs} ms`,
  );
  return result;
}

const round = (n: number) => Math.round(n * 100) / 100;

function writeResults(results: Record<string, unknown>[]) {
  const date = new Date().toISOString().slice(0, 16).replace(':', '');
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, node ${process.version}`;
  mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
  const meta = {
    date: new Date().toISOString(),
    machine,
    durationSec: DURATION,
    warmupSec: WARMUP,
    connections: CONNECTIONS,
    runs: RUNS,
    pinned: canPin,
    state: DATABASE_URL ? 'postgresql' : 'pglite',
  };
  writeFileSync(join(ROOT, `bench/results/product-${date}.json`), `${JSON.stringify({ meta, results }, null, 2)}\n`);
  const lines = [
    `# Product benchmark, ${date}`,
    '',
    `Machine: ${machine}. Subgraph state: ${DATABASE_URL ? 'PostgreSQL 15 (local server)' : 'embedded PGlite'}. ${CONNECTIONS} connections, ${WARMUP} s warm-up + ${DURATION} s measured, ${RUNS} run(s)${canPin ? ', gateway pinned to CPU 1, everything else on CPU 0' : ''}.`,
    'Stock = @apollo/gateway 2.14.4 in @apollo/server 5 standalone, with the same initData verification and identity forwarding.',
    '',
    '| workload | stock req/s | ours req/s | ratio | target | stock p50/p99 ms | ours p50/p99 ms | gateway CPU ms/request stock / ours | stock / ours peak RSS MB | identical responses | errors (stock/ours) |',
    '|---|---:|---:|---:|---|---:|---:|---:|---:|---|---:|',
    ...results.map((r) => {
      const s = r.stock as Record<string, number>;
      const o = r.ours as Record<string, number>;
      return `| (${r.workload}) ${r.name} | ${s.rps!.toFixed(0)} | ${o.rps!.toFixed(0)} | **${(r.ratio as number).toFixed(2)}x** | ${r.target} | ${round(s.p50!)}/${round(s.p99!)} | ${round(o.p50!)}/${round(o.p99!)} | ${s.cpuPerRequestMs} / ${o.cpuPerRequestMs} | ${s.peakRssMb} / ${o.peakRssMb} | ${r.identicalResponses} | ${s.errors}/${o.errors} |`;
    }),
  ];
  const overhead = results.find((r) => r.overhead)?.overhead as Record<string, number> | undefined;
  if (overhead) {
    lines.push(
      '',
      `(b) at one connection, ${overhead.requests} requests: gateway p50 ${overhead.gatewayP50} ms / p99 ${overhead.gatewayP99} ms; the same subgraph calls made directly (root fetch, then the entity fetches in parallel) p50 ${overhead.subgraphsP50} ms / p99 ${overhead.subgraphsP99} ms → **gateway p99 overhead ${overhead.p99OverheadMs} ms** (target < 5 ms).`,
    );
  }
  writeFileSync(join(ROOT, `bench/results/product-${date}.md`), `${lines.join('\n')}\n`);
  console.log(`\n${lines.join('\n')}`);
}

await main();
process.exit(0);
