/**
 * `npm run bench:analytics`: the operator reports at a real app's volume.
 *
 * Generates 1,000,000 events from 50,000 users over 90 days inside the
 * database (generate_series, seconds instead of a million round trips), builds
 * the rollups the way the store maintains them, then times `funnel` (3 steps),
 * `retention` (7 days) and `dailyActiveUsers` over the whole 90 days, on
 * PostgreSQL (BENCH_DATABASE_URL, else TEST_DATABASE_URL, else DATABASE_URL;
 * schema `analytics_bench`, dropped first) and on the embedded PGlite (a temp
 * dir). Each query runs 7 times; the first is a warm-up, the median and best
 * of the rest are reported, as wall-clock time and as CPU time spent on it
 * (PGlite: this process; PostgreSQL: the server backend, from /proc, in 10 ms
 * ticks averaged over the runs). On a shared, overloaded machine wall-clock
 * time mostly measures the wait for a core; CPU time is what an idle core
 * would need. EXPLAIN (ANALYZE, BUFFERS) of each query goes to
 * bench/analytics-plans/<engine>-<report>.txt and the figures to
 * bench/analytics-plans/RESULTS.md.
 *
 * Options: --engines=postgres,pglite  --events=1000000  --users=50000
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir, cpus } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openDatabase, type Database } from '../subgraphs/shared/db.ts';
import { STORE_MIGRATIONS } from '../subgraphs/analytics/store.ts';
import { REBUILD_ROLLUPS } from '../subgraphs/analytics/rollups.ts';
import { DAILY_ACTIVE_SQL, RETENTION_SQL, funnelSql } from '../subgraphs/analytics/reports.ts';
import { KEY_ORIGIN_MS, KEY_SHIFT } from '../subgraphs/analytics/rollups.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const PLANS = join(ROOT, 'bench/analytics-plans');
const arg = (name: string, fallback: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const EVENTS = Number(arg('events', '1000000'));
const USERS = Number(arg('users', '50000'));
const DAYS = 90;
const START = '2026-06-01T00:00:00Z';
const END = new Date(Date.parse(START) + DAYS * 86_400_000 - 1).toISOString();
const RUNS = 7;
const pgUrl = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL;
const engines = arg('engines', pgUrl ? 'postgres,pglite' : 'pglite').split(',');

/**
 * Users start on a day spread over the first 70 days and are active in the 20 days after;
 * names: 40% app_open, 30% view_product, 20% add_to_cart, 10% purchase.
 */
const GENERATE = `INSERT INTO events (user_id, insert_id, name, properties, occurred_at)
  SELECT (1000000 + i % $2)::text, 'bench-' || i,
    (ARRAY['app_open','app_open','app_open','app_open','view_product','view_product','view_product','add_to_cart','add_to_cart','purchase'])[1 + floor(random() * 10)::int],
    '{}'::jsonb,
    $3::timestamptz + (((i % $2) % 70) + random() * 20) * interval '1 day'
  FROM generate_series(1, $1::int) AS i`;

const FUNNEL = ['app_open', 'view_product', 'purchase'];

/** The three reports' SQL and parameters, as the resolvers send them (funnel: name ranks resolved first). */
async function reportQueries(db: Database) {
  const ranks = new Map(
    (await db.query<{ name: string; rank: number }>('SELECT name, rank FROM event_names')).map((r) => [r.name, Number(r.rank)]),
  );
  const rel = (iso: string) => Date.parse(iso) - KEY_ORIGIN_MS;
  return {
    funnel: {
      sql: funnelSql(FUNNEL),
      params: [rel(START), rel(END), ...FUNNEL.map((n) => String(BigInt(ranks.get(n)!) * BigInt(KEY_SHIFT)))],
    },
    retention: { sql: RETENTION_SQL, params: [START, END, 7] },
    dailyActiveUsers: { sql: DAILY_ACTIVE_SQL, params: [START, END] },
  };
}

async function timed<T>(work: () => Promise<T>): Promise<[T, number]> {
  const started = performance.now();
  const value = await work();
  return [value, performance.now() - started];
}

/** CPU milliseconds a process has used so far (utime + stime from /proc; 100 ticks a second). */
function processCpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** Runs `sql` on one fixed server connection, so the backend's CPU time can be read. */
async function postgresRunner(url: string) {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: url, options: '-c search_path=analytics_bench' });
  await client.connect();
  const [{ pid }] = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows as [{ pid: number }];
  return {
    query: async (sql: string, params: unknown[]) => (await client.query(sql, params)).rows,
    cpuMs: () => processCpuMs(pid),
    close: () => client.end(),
  };
}

async function load(db: Database): Promise<Record<string, number>> {
  const steps: Record<string, number> = {};
  await db.query('SELECT setseed(0.42)');
  [, steps.generateMs] = await timed(() => db.query(GENERATE, [EVENTS, USERS, START]));
  [, steps.rollupsMs] = await timed(() =>
    db.transaction(async (tx) => {
      for (const statement of REBUILD_ROLLUPS) await tx.query(statement);
    }),
  );
  [, steps.analyzeMs] = await timed(() => db.query('VACUUM ANALYZE'));
  return steps;
}

interface Figures {
  medianMs: number;
  bestMs: number;
  cpuMs: number;
  answer: string;
}

async function bench(engine: string): Promise<{ engine: string; load: Record<string, number>; reports: Record<string, Figures> }> {
  let dir: string | undefined;
  let db: Database;
  if (engine === 'postgres') {
    if (!pgUrl) throw new Error('set BENCH_DATABASE_URL (or TEST_DATABASE_URL / DATABASE_URL) for the PostgreSQL run');
    const { default: pg } = await import('pg');
    const client = new pg.Client({ connectionString: pgUrl });
    await client.connect();
    await client.query('DROP SCHEMA IF EXISTS analytics_bench CASCADE');
    await client.end();
    db = await openDatabase({ name: 'analytics_bench', dataDir: tmpdir(), databaseUrl: pgUrl, migrations: STORE_MIGRATIONS });
  } else {
    dir = mkdtempSync(join(tmpdir(), 'tma-bench-analytics-'));
    db = await openDatabase({ name: 'analytics', dataDir: dir, migrations: STORE_MIGRATIONS });
  }
  try {
    console.log(
      `[${engine}] generating ${EVENTS.toLocaleString('en')} events from ${USERS.toLocaleString('en')} users over ${DAYS} days...`,
    );
    const loadSteps = await load(db);
    const [counts] = await db.query<{ events: number; users: number; rollup_rows: number }>(
      `SELECT (SELECT count(*)::int FROM events) AS events, (SELECT count(*)::int FROM user_activity) AS users, (SELECT count(*)::int FROM user_timelines) AS timelines`,
    );
    console.log(
      `[${engine}] loaded ${JSON.stringify(counts)} ${JSON.stringify(Object.fromEntries(Object.entries(loadSteps).map(([k, v]) => [k, Math.round(v)])))}`,
    );
    const reports: Record<string, Figures> = {};
    const runner =
      engine === 'postgres'
        ? await postgresRunner(pgUrl!)
        : {
            query: (sql: string, params: unknown[]) => db.query(sql, params),
            cpuMs: () => {
              const u = process.cpuUsage();
              return (u.user + u.system) / 1000;
            },
            close: async () => {},
          };
    for (const [name, report] of Object.entries(await reportQueries(db))) {
      const times: number[] = [];
      let rows: unknown[] = [];
      let cpu = 0;
      for (let run = 0; run < RUNS; run++) {
        const cpuBefore = runner.cpuMs();
        const [result, ms] = await timed(() => runner.query(report.sql, report.params as unknown as unknown[]));
        rows = result;
        if (run > 0) {
          times.push(ms);
          cpu += runner.cpuMs() - cpuBefore;
        }
      }
      times.sort((a, b) => a - b);
      const plan = await db.query<{ 'QUERY PLAN': string }>(
        `EXPLAIN (ANALYZE, BUFFERS) ${report.sql}`,
        report.params as unknown as unknown[],
      );
      writeFileSync(
        join(PLANS, `${engine}-${name}.txt`),
        `-- ${name} on ${engine}: ${EVENTS} events, ${USERS} users, ${DAYS} days (npm run bench:analytics)\n-- params: ${JSON.stringify(report.params)}\n${report.sql}\n\n${plan.map((r) => r['QUERY PLAN']).join('\n')}\n`,
      );
      const answer = name === 'funnel' ? JSON.stringify(rows[0]) : `${rows.length} rows`;
      const round = (n: number) => Math.round(n * 10) / 10;
      reports[name] = {
        medianMs: round(times[Math.floor(times.length / 2)]!),
        bestMs: round(times[0]!),
        cpuMs: round(cpu / (RUNS - 1)),
        answer,
      };
      console.log(
        `[${engine}] ${name.padEnd(17)} median ${reports[name]!.medianMs} ms, best ${reports[name]!.bestMs} ms, CPU ${reports[name]!.cpuMs} ms (${answer})`,
      );
    }
    await runner.close();
    return { engine, load: loadSteps, reports };
  } finally {
    await db.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
    if (engine === 'postgres') {
      const { default: pg } = await import('pg');
      const client = new pg.Client({ connectionString: pgUrl });
      await client.connect();
      await client.query('DROP SCHEMA IF EXISTS analytics_bench CASCADE');
      await client.end();
    }
  }
}

mkdirSync(PLANS, { recursive: true });
const results = [];
for (const engine of engines) results.push(await bench(engine));
const loadAverage = loadavg()
  .map((n) => n.toFixed(1))
  .join(' / ');
const lines = [
  '# Analytics reports at scale (last `npm run bench:analytics`)',
  '',
  `${EVENTS.toLocaleString('en')} events, ${USERS.toLocaleString('en')} users, ${DAYS} days; whole-range windows; median of ${RUNS - 1} runs after a warm-up.`,
  `Machine: ${cpus().length} CPUs, load average ${loadAverage} at the end of the run (1/5/15 min).`,
  '',
  'Each cell: median wall-clock time (best) / CPU time per run.',
  '',
  '| engine | funnel (3 steps) | retention (7 days) | dailyActiveUsers |',
  '|---|---|---|---|',
  ...results.map((r) => {
    const cell = (f: Figures) => `${f.medianMs} ms (${f.bestMs}) / ${f.cpuMs} ms CPU`;
    return `| ${r.engine} | ${cell(r.reports.funnel!)} | ${cell(r.reports.retention!)} | ${cell(r.reports.dailyActiveUsers!)} |`;
  }),
  '',
  'Plans: `<engine>-<report>.txt` next to this file.',
  '',
];
writeFileSync(join(PLANS, 'RESULTS.md'), lines.join('\n'));
console.log(lines.join('\n'));
