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
 * Days are UTC.
 */
import type { Queryable } from '../shared/db.ts';

/** The funnel query for `steps` steps: $1 from, $2 to, $3.. step names. Built from a fixed template, never from input. */
export function funnelSql(stepNames: readonly string[]): string {
  const ctes = stepNames.map((name, i) => {
    const first = `times[width_bucket($1::timestamptz - interval '1 microsecond', times) + 1]`;
    // First element >= t: skip the elements < t (those <= t - 1 µs); same name as before: first element > t.
    const after = `u.times[width_bucket(p.t - interval '${name === stepNames[i - 1] ? '0' : '1 microsecond'}', u.times) + 1]`;
    return i === 0
      ? `s0 AS (SELECT user_id, t FROM (SELECT user_id, ${first} AS t FROM event_times WHERE name = $3 OFFSET 0) x WHERE t <= $2::timestamptz)`
      : `s${i} AS (SELECT user_id, t FROM (SELECT u.user_id, ${after} AS t FROM s${i - 1} p JOIN event_times u ON u.user_id = p.user_id AND u.name = $${i + 3} OFFSET 0) x WHERE t <= $2::timestamptz)`;
  });
  const counts = stepNames.map((_, i) => `(SELECT count(*)::int FROM s${i}) AS n${i}`);
  return `WITH ${ctes.join(',\n')}\nSELECT ${counts.join(', ')}`;
}

export async function funnel(db: Queryable, steps: string[], window: { from: Date; to: Date }) {
  const [row] = await db.query<Record<string, number>>(funnelSql(steps), [window.from.toISOString(), window.to.toISOString(), ...steps]);
  const reached = steps.map((_, i) => Number(row?.[`n${i}`] ?? 0));
  const base = reached[0] ?? 0;
  return steps.map((name, i) => ({ name, users: reached[i]!, conversion: base === 0 ? 0 : reached[i]! / base }));
}

export const RETENTION_SQL = `SELECT to_char(cohort, 'YYYY-MM-DD') AS cohort, day_offset, users FROM retention_counts
   WHERE cohort BETWEEN ($1::timestamptz AT TIME ZONE 'UTC')::date AND ($2::timestamptz AT TIME ZONE 'UTC')::date AND day_offset < $3 AND users > 0
   ORDER BY cohort, day_offset`;

export async function retention(db: Queryable, days: number, window: { from: Date; to: Date }) {
  const rows = await db.query<{ cohort: string; day_offset: number; users: number }>(RETENTION_SQL, [window.from.toISOString(), window.to.toISOString(), days]);
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
