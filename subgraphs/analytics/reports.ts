/**
 * Operator reports, read from the rollups (rollups.ts) rather than the events,
 * so their cost follows the number of users (funnel) or of days (retention,
 * daily active users), not the number of events.
 *
 * Funnel semantics: a user reaches step 1 with their first step-1 event in the
 * window; step k with their first step-k event at or after the moment they
 * reached step k-1 (strictly after when both steps are the same event name),
 * still inside the window. Taking the earliest event at each step is what makes
 * the count maximal (greedy), so no ordering of a user's events is missed.
 * Times are compared to the millisecond; days are UTC.
 */
import type { Queryable } from '../shared/db.ts';
import { KEY_ORIGIN_MS, KEY_SHIFT } from './rollups.ts';

/**
 * The funnel query for `stepNames` (already known to have ranks): $1 window start and $2 end (ms since
 * KEY_ORIGIN_MS), $3.. each step's key base (rank · KEY_SHIFT). One pass over user_timelines: per step,
 * `e` is the user's first key at or after (base + time reached so far), found by binary search, and
 * the step is reached when that key is still of this step's name and inside the window. Built from a
 * fixed template (layers stop the planner from evaluating a search twice), never from input.
 */
export function funnelSql(stepNames: readonly string[]): string {
  let sql = `SELECT user_id, keys, keys[width_bucket($3::bigint + $1::bigint - 1, keys) + 1] AS e0 FROM user_timelines`;
  const reached: string[] = [];
  stepNames.forEach((name, i) => {
    const base = `$${i + 3}::bigint`;
    const carried = reached.join(', ');
    sql = `SELECT user_id, keys${carried ? `, ${carried}` : ''}, CASE WHEN e${i} < ${base} + ${KEY_SHIFT} AND e${i} - ${base} <= $2::bigint THEN e${i} - ${base} END AS t${i} FROM (${sql} OFFSET 0) l${i}e`;
    reached.push(`t${i}`);
    const next = stepNames[i + 1];
    if (next === undefined) return;
    // The next step's first event at or after t (strictly after when it is the same event name).
    const nextBase = `$${i + 4}::bigint`;
    const bound = next === name ? `${nextBase} + t${i}` : `${nextBase} + t${i} - 1`;
    sql = `SELECT user_id, keys, ${reached.join(', ')}, CASE WHEN t${i} IS NOT NULL THEN keys[width_bucket(${bound}, keys) + 1] END AS e${i + 1} FROM (${sql} OFFSET 0) l${i}t`;
  });
  return `SELECT ${stepNames.map((_, i) => `count(t${i})::int AS n${i}`).join(', ')} FROM (${sql} OFFSET 0) f`;
}

export async function funnel(db: Queryable, steps: string[], window: { from: Date; to: Date }) {
  const ranks = new Map(
    (await db.query<{ name: string; rank: number }>('SELECT name, rank FROM event_names WHERE name = ANY($1::text[])', [steps])).map(
      (r) => [r.name, Number(r.rank)],
    ),
  );
  // A step nobody ever did ends the funnel there: count only the prefix of known steps.
  const known = steps.findIndex((name) => !ranks.has(name));
  const counted = known === -1 ? steps : steps.slice(0, known);
  let reached: number[] = [];
  if (counted.length > 0) {
    const rel = (d: Date) => Math.max(0, d.getTime() - KEY_ORIGIN_MS);
    const [row] = await db.query<Record<string, number>>(funnelSql(counted), [
      rel(window.from),
      rel(window.to),
      ...counted.map((name) => String(BigInt(ranks.get(name)!) * BigInt(KEY_SHIFT))),
    ]);
    reached = counted.map((_, i) => Number(row?.[`n${i}`] ?? 0));
  }
  const users = steps.map((_, i) => reached[i] ?? 0);
  const base = users[0] ?? 0;
  return steps.map((name, i) => ({ name, users: users[i]!, conversion: base === 0 ? 0 : users[i]! / base }));
}

export const RETENTION_SQL = `SELECT to_char(cohort, 'YYYY-MM-DD') AS cohort, day_offset, users FROM retention_counts
   WHERE cohort BETWEEN ($1::timestamptz AT TIME ZONE 'UTC')::date AND ($2::timestamptz AT TIME ZONE 'UTC')::date AND day_offset < $3 AND users > 0
   ORDER BY cohort, day_offset`;

export async function retention(db: Queryable, days: number, window: { from: Date; to: Date }) {
  const rows = await db.query<{ cohort: string; day_offset: number; users: number }>(RETENTION_SQL, [
    window.from.toISOString(),
    window.to.toISOString(),
    days,
  ]);
  const cohorts = new Map<string, number[]>();
  for (const r of rows) {
    const counts = cohorts.get(r.cohort) ?? new Array<number>(days).fill(0);
    counts[Number(r.day_offset)] = Number(r.users);
    cohorts.set(r.cohort, counts);
  }
  return [...cohorts].map(([cohort, counts]) => {
    const size = counts[0] ?? 0;
    return { cohort, size, retained: counts.map((n) => (size === 0 ? 0 : n / size)) };
  });
}

/** Every UTC day of the window with its active users (0 included): the diagonal of retention_counts. */
export const DAILY_ACTIVE_SQL = `WITH span AS (
     SELECT ($1::timestamptz AT TIME ZONE 'UTC')::date AS first_day, ($2::timestamptz AT TIME ZONE 'UTC')::date AS last_day
   ), counted AS (
     SELECT r.cohort + r.day_offset AS day, sum(r.users)::int AS users
     FROM retention_counts r, span
     WHERE r.cohort <= span.last_day AND r.cohort + r.day_offset BETWEEN span.first_day AND span.last_day
     GROUP BY 1
   )
   SELECT to_char(d, 'YYYY-MM-DD') AS day, coalesce(c.users, 0) AS users
   FROM span, generate_series(span.first_day, span.last_day, interval '1 day') AS d
   LEFT JOIN counted c ON c.day = d::date
   ORDER BY d`;

export async function dailyActiveUsers(db: Queryable, window: { from: Date; to: Date }) {
  const rows = await db.query<{ day: string; users: number }>(DAILY_ACTIVE_SQL, [window.from.toISOString(), window.to.toISOString()]);
  return rows.map((r) => ({ day: r.day, users: Number(r.users) }));
}

/** Cap on the rows of one eventCounts answer: a partner report, not an export. */
export const MAX_EVENT_COUNT_ROWS = 1000;

/** Daily counts per event name over every user: the aggregate partners may read (no user ids, no properties). */
export async function eventCounts(db: Queryable, window: { from: Date; to: Date }) {
  return db.query<{ day: string; name: string; events: number; users: number }>(
    `SELECT to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, name, count(*)::int AS events, count(DISTINCT user_id)::int AS users
     FROM events WHERE occurred_at BETWEEN $1 AND $2 GROUP BY 1, 2 ORDER BY 1, 2 LIMIT ${MAX_EVENT_COUNT_ROWS}`,
    [window.from.toISOString(), window.to.toISOString()],
  );
}
