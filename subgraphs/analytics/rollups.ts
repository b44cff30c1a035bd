/**
 * Rollups that keep the operator reports fast at millions of events (the
 * choice is written down in README "CRM and analytics"; plans in
 * bench/analytics-plans/). They are maintained in the same transaction that
 * stores the events, so a report never disagrees with the event store:
 *
 * - `user_timelines (user_id) → keys bigint[]`: every event of a user as one
 *   sorted number, `rank(name) · 2^41 + ms since 2020` (`event_names` gives
 *   each name its rank). A user's events of one name are then a contiguous,
 *   time-ordered run of the array, so "their first step-k event at or after t"
 *   is one binary search (`width_bucket`) in one row: a funnel is one pass over
 *   one row per user, with no join, whatever the number of events.
 * - `user_activity.active_days`: the UTC days a user was active, sorted.
 * - `retention_counts (cohort, day_offset) → users`: how many users whose
 *   first day is `cohort` were active `day_offset` days later. Retention reads
 *   it directly; daily active users are its diagonal (cohort + offset = day).
 *   Both reports cost a few thousand rows whatever the event volume.
 *
 * A late event (up to 5 days old is accepted) can move a user's first day:
 * their counts then move to the new cohort, computed from `active_days`.
 * Counter rows are written in key order so concurrent writers cannot deadlock.
 */
import type { Queryable } from '../shared/db.ts';

const UTC_DAY = `(occurred_at AT TIME ZONE 'UTC')::date`;

/** Timeline keys: `rank · KEY_SHIFT + (ms since KEY_ORIGIN_MS)`; 2^41 ms is 69 years, so until 2089. */
export const KEY_SHIFT = 2 ** 41;
export const KEY_ORIGIN_MS = Date.UTC(2020, 0, 1);
const EVENT_MS = `greatest(0, floor(extract(epoch FROM occurred_at) * 1000)::bigint - ${KEY_ORIGIN_MS})`;

/** Bulk (re)build from the events table: migration backfill, demo seed, benchmark load. */
export const REBUILD_ROLLUPS: readonly string[] = [
  `INSERT INTO user_activity (user_id, first_seen, last_seen, event_count, active_days)
   SELECT user_id, min(occurred_at), max(occurred_at), count(*), array_agg(DISTINCT ${UTC_DAY} ORDER BY ${UTC_DAY}) FROM events GROUP BY user_id
   ON CONFLICT (user_id) DO UPDATE SET first_seen = EXCLUDED.first_seen, last_seen = EXCLUDED.last_seen,
     event_count = EXCLUDED.event_count, active_days = EXCLUDED.active_days`,
  `DELETE FROM retention_counts`,
  `INSERT INTO retention_counts (cohort, day_offset, users)
   SELECT (first_seen AT TIME ZONE 'UTC')::date, d - (first_seen AT TIME ZONE 'UTC')::date, count(*)
   FROM user_activity, unnest(active_days) AS d GROUP BY 1, 2`,
  `INSERT INTO event_names (name) SELECT DISTINCT name FROM events ORDER BY name ON CONFLICT (name) DO NOTHING`,
  `DELETE FROM user_timelines`,
  `INSERT INTO user_timelines (user_id, keys)
   SELECT user_id, array_agg(k ORDER BY k) FROM (SELECT e.user_id, n.rank::bigint * ${KEY_SHIFT} + ${EVENT_MS} AS k FROM events e JOIN event_names n ON n.name = e.name) x
   GROUP BY user_id`,
];

export const ROLLUP_MIGRATION = [
  `ALTER TABLE user_activity ADD COLUMN active_days date[] NOT NULL DEFAULT '{}'`,
  `CREATE TABLE retention_counts (
     cohort date NOT NULL,
     day_offset integer NOT NULL,
     users integer NOT NULL,
     PRIMARY KEY (cohort, day_offset)
   )`,
  `CREATE TABLE event_names (
     name text PRIMARY KEY,
     rank integer GENERATED ALWAYS AS IDENTITY UNIQUE
   )`,
  `CREATE TABLE user_timelines (
     user_id text PRIMARY KEY,
     keys bigint[] NOT NULL
   )`,
  // Deleting a user's pending forwards needs the user first.
  `CREATE INDEX outbox_by_user ON outbox (user_id)`,
  ...REBUILD_ROLLUPS,
].join(';\n');

const DAY_MS = 86_400_000;
const dayOf = (d: Date) => d.toISOString().slice(0, 10);
const daysBetween = (from: string, to: string) => Math.round((Date.parse(to) - Date.parse(from)) / DAY_MS);

type Delta = Map<string, number>; // "cohort|offset" → change in users

function add(delta: Delta, cohort: string, day: string, by: number) {
  const key = `${cohort}|${daysBetween(cohort, day)}`;
  delta.set(key, (delta.get(key) ?? 0) + by);
}

async function applyRetentionDelta(tx: Queryable, delta: Delta): Promise<void> {
  const entries = [...delta].filter(([, n]) => n !== 0).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (entries.length === 0) return;
  const keys = entries.map(([k]) => k.split('|'));
  await tx.query(
    `INSERT INTO retention_counts (cohort, day_offset, users)
     SELECT * FROM unnest($1::date[], $2::int[], $3::int[])
     ON CONFLICT (cohort, day_offset) DO UPDATE SET users = retention_counts.users + EXCLUDED.users`,
    [keys.map((k) => k[0]), keys.map((k) => Number(k[1])), entries.map(([, n]) => n)],
  );
}

interface Summary {
  first_day: string;
  first_seen: string;
  event_count: number;
  active_days: string[] | string;
}

/** PGlite and pg both return date[] as strings or arrays depending on the driver: normalise. */
function dayList(value: string[] | string): string[] {
  if (Array.isArray(value)) return value.map((d) => (typeof d === 'string' ? d.slice(0, 10) : dayOf(d as unknown as Date)));
  return value.replace(/[{}]/g, '').split(',').filter(Boolean);
}

/** Locks (creating when new) the user's summary row: one user's writers serialise here. */
async function lockSummary(tx: Queryable, userId: string): Promise<{ cohort?: string; firstSeen?: Date; days: string[] }> {
  const rows = await tx.query<Summary>(
    `SELECT to_char((first_seen AT TIME ZONE 'UTC')::date, 'YYYY-MM-DD') AS first_day, to_char(first_seen AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS first_seen,
            event_count, active_days::text[] AS active_days
     FROM user_activity WHERE user_id = $1 FOR UPDATE`,
    [userId],
  );
  const row = rows[0];
  if (!row || Number(row.event_count) === 0) return { days: [] };
  return { cohort: row.first_day, firstSeen: new Date(row.first_seen), days: dayList(row.active_days) };
}

/** Folds newly stored events of one user into every rollup (inside the storing transaction). */
export async function foldIntoRollups(tx: Queryable, userId: string, events: readonly { name: string; occurredAt: Date }[]): Promise<void> {
  if (events.length === 0) return;
  // Make sure a row exists to lock, so two first-ever writes of one user do not both count as first.
  await tx.query(
    `INSERT INTO user_activity (user_id, first_seen, last_seen, event_count) VALUES ($1, now(), now(), 0) ON CONFLICT (user_id) DO NOTHING`,
    [userId],
  );
  const before = await lockSummary(tx, userId);
  const times = events.map((e) => e.occurredAt.getTime());
  const earliest = new Date(Math.min(...times));
  const latest = new Date(Math.max(...times));
  const firstSeen = before.firstSeen && before.firstSeen <= earliest ? before.firstSeen : earliest;
  const cohort = dayOf(firstSeen);
  const oldDays = new Set(before.days);
  const days = [...new Set([...before.days, ...events.map((e) => dayOf(e.occurredAt))])].sort();

  const delta: Delta = new Map();
  if (before.cohort === cohort) {
    for (const d of days) if (!oldDays.has(d)) add(delta, cohort, d, 1);
  } else {
    // New user, or a late event moved the first day: the user's counts move cohort.
    if (before.cohort) for (const d of before.days) add(delta, before.cohort, d, -1);
    for (const d of days) add(delta, cohort, d, 1);
  }
  await tx.query(
    `UPDATE user_activity SET
       first_seen = CASE WHEN event_count = 0 THEN $2::timestamptz ELSE LEAST(first_seen, $2::timestamptz) END,
       last_seen = CASE WHEN event_count = 0 THEN $3::timestamptz ELSE GREATEST(last_seen, $3::timestamptz) END,
       event_count = event_count + $4, active_days = $5::date[]
     WHERE user_id = $1`,
    [userId, earliest.toISOString(), latest.toISOString(), events.length, days],
  );
  await applyRetentionDelta(tx, delta);
  const names = [...new Set(events.map((e) => e.name))];
  await tx.query('INSERT INTO event_names (name) SELECT unnest($1::text[]) ORDER BY 1 ON CONFLICT (name) DO NOTHING', [names]);
  await tx.query(
    `INSERT INTO user_timelines (user_id, keys)
     SELECT $1, array_agg(k ORDER BY k) FROM (
       SELECT n.rank::bigint * ${KEY_SHIFT} + greatest(0, e.ms - ${KEY_ORIGIN_MS}) AS k
       FROM unnest($2::text[], $3::bigint[]) AS e(name, ms) JOIN event_names n ON n.name = e.name
     ) x
     ON CONFLICT (user_id) DO UPDATE SET keys = (SELECT array_agg(k ORDER BY k) FROM unnest(user_timelines.keys || EXCLUDED.keys) AS k)`,
    [userId, events.map((e) => e.name), events.map((e) => e.occurredAt.getTime())],
  );
}

/** Takes one user out of every rollup (their events are being deleted in the same transaction). */
export async function removeFromRollups(tx: Queryable, userId: string): Promise<void> {
  const before = await lockSummary(tx, userId);
  const delta: Delta = new Map();
  if (before.cohort) for (const d of before.days) add(delta, before.cohort, d, -1);
  await applyRetentionDelta(tx, delta);
  await tx.query('DELETE FROM user_activity WHERE user_id = $1', [userId]);
  await tx.query('DELETE FROM user_timelines WHERE user_id = $1', [userId]);
}
