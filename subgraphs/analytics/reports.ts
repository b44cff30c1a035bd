/** Operator reports over the event store: ordered funnels and daily retention cohorts. */
import type { Queryable } from '../shared/db.ts';

export async function funnel(db: Queryable, steps: string[], window: { from: Date; to: Date }) {
  const rows = await db.query<{ user_id: string; name: string; t: string }>(
    `SELECT user_id, name, (extract(epoch FROM occurred_at) * 1000)::bigint::text AS t FROM events
     WHERE name = ANY($1::text[]) AND occurred_at BETWEEN $2 AND $3 ORDER BY user_id, occurred_at`,
    [steps, window.from.toISOString(), window.to.toISOString()],
  );
  // Per user, walk the events in time order and advance through the steps in order.
  const reached = new Array<number>(steps.length).fill(0);
  let current: string | undefined;
  let next = 0;
  const finish = () => {
    for (let i = 0; i < next; i++) reached[i]!++;
  };
  for (const row of rows) {
    if (row.user_id !== current) {
      if (current !== undefined) finish();
      current = row.user_id;
      next = 0;
    }
    if (next < steps.length && row.name === steps[next]) next++;
  }
  if (current !== undefined) finish();
  const base = reached[0] ?? 0;
  return steps.map((name, i) => ({ name, users: reached[i]!, conversion: base === 0 ? 0 : reached[i]! / base }));
}

export async function retention(db: Queryable, days: number, window: { from: Date; to: Date }) {
  const rows = await db.query<{ cohort: string; day: number; users: number }>(
    `WITH firsts AS (
       SELECT user_id, min(occurred_at)::date AS cohort FROM events GROUP BY user_id
     ), activity AS (
       SELECT DISTINCT e.user_id, f.cohort, (e.occurred_at::date - f.cohort) AS day
       FROM events e JOIN firsts f USING (user_id)
       WHERE f.cohort BETWEEN $1::date AND $2::date
     )
     SELECT to_char(cohort, 'YYYY-MM-DD') AS cohort, day, count(*)::int AS users
     FROM activity WHERE day < $3 GROUP BY cohort, day ORDER BY cohort, day`,
    [window.from.toISOString(), window.to.toISOString(), days],
  );
  const cohorts = new Map<string, number[]>();
  for (const r of rows) {
    const counts = cohorts.get(r.cohort) ?? new Array<number>(days).fill(0);
    counts[Number(r.day)] = Number(r.users);
    cohorts.set(r.cohort, counts);
  }
  return [...cohorts].map(([cohort, counts]) => {
    const size = counts[0] ?? 0;
    return { cohort, size, retained: counts.map((n) => (size === 0 ? 0 : n / size)) };
  });
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
