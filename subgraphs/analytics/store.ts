/**
 * The event store and its outbox. An accepted event is written once (primary
 * key user + insert id: the deduplication), together with one outbox row per
 * destination, in the same transaction — so an event is never acknowledged
 * and then lost, and forwarding survives restarts.
 */
import type { Database } from '../shared/db.ts';
import { foldIntoRollups, removeFromRollups, ROLLUP_MIGRATION } from './rollups.ts';

/** Rebuilds the activity summary from the events (migration backfill, bulk loads). */
export const RECOMPUTE_ALL_ACTIVITY = `INSERT INTO user_activity (user_id, first_seen, last_seen, event_count)
   SELECT user_id, min(occurred_at), max(occurred_at), count(*) FROM events GROUP BY user_id
   ON CONFLICT (user_id) DO UPDATE SET first_seen = EXCLUDED.first_seen, last_seen = EXCLUDED.last_seen, event_count = EXCLUDED.event_count`;

export const STORE_MIGRATIONS = [
  `CREATE TABLE events (
     user_id text NOT NULL,
     insert_id text NOT NULL,
     name text NOT NULL,
     properties jsonb NOT NULL DEFAULT '{}'::jsonb,
     occurred_at timestamptz NOT NULL,
     received_at timestamptz NOT NULL DEFAULT now(),
     PRIMARY KEY (user_id, insert_id)
   );
   CREATE INDEX events_by_name_time ON events (name, occurred_at);
   CREATE INDEX events_by_user_time ON events (user_id, occurred_at);
   CREATE TABLE outbox (
     sink text NOT NULL,
     user_id text NOT NULL,
     insert_id text NOT NULL,
     attempts integer NOT NULL DEFAULT 0,
     next_attempt_at timestamptz NOT NULL DEFAULT now(),
     PRIMARY KEY (sink, user_id, insert_id)
   );
   CREATE INDEX outbox_due ON outbox (sink, next_attempt_at)`,
  // Activity is read on every profile view and written only on ingestion: keep it precomputed.
  `CREATE TABLE user_activity (
     user_id text PRIMARY KEY,
     first_seen timestamptz NOT NULL,
     last_seen timestamptz NOT NULL,
     event_count integer NOT NULL
   );
   ${RECOMPUTE_ALL_ACTIVITY}`,
  // Reports at scale (rollups.ts) and user data deletion (deletions.ts).
  ROLLUP_MIGRATION,
  `CREATE TABLE deletion_outbox (
     sink text NOT NULL,
     user_id text NOT NULL,
     requested_at timestamptz NOT NULL DEFAULT now(),
     attempts integer NOT NULL DEFAULT 0,
     next_attempt_at timestamptz NOT NULL DEFAULT now(),
     PRIMARY KEY (sink, user_id)
   );
   CREATE INDEX deletion_outbox_due ON deletion_outbox (sink, next_attempt_at)`,
  // Resilience (issue 8): an outbox entry that keeps failing becomes a dead letter instead of being retried for ever.
  `ALTER TABLE outbox ADD COLUMN dead_at timestamptz;
   ALTER TABLE outbox ADD COLUMN last_error text`,
];

export interface NewEvent {
  insertId: string;
  name: string;
  properties: Record<string, unknown>;
  occurredAt: Date;
}

export interface Activity {
  firstSeenAt: string | null;
  lastSeenAt: string | null;
  eventCount: number;
}

const ISO = `'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'`;

export function createEventStore(db: Database, sinks: readonly string[]) {
  return {
    /** Stores new events of one user; returns how many were new. Duplicates (same insert id) change nothing. */
    async append(userId: string, events: readonly NewEvent[]): Promise<number> {
      if (events.length === 0) return 0;
      return db.transaction(async (tx) => {
        const inserted = await tx.query<{ insert_id: string }>(
          `INSERT INTO events (user_id, insert_id, name, properties, occurred_at)
           SELECT $1, e.insert_id, e.name, e.properties, e.occurred_at
           FROM jsonb_to_recordset($2::jsonb) AS e(insert_id text, name text, properties jsonb, occurred_at timestamptz)
           ON CONFLICT (user_id, insert_id) DO NOTHING
           RETURNING insert_id`,
          [
            userId,
            JSON.stringify(
              events.map((e) => ({
                insert_id: e.insertId,
                name: e.name,
                properties: e.properties,
                occurred_at: e.occurredAt.toISOString(),
              })),
            ),
          ],
        );
        const fresh = new Set(inserted.map((r) => r.insert_id));
        await foldIntoRollups(
          tx,
          userId,
          events.filter((e) => fresh.has(e.insertId)),
        );
        if (inserted.length > 0 && sinks.length > 0) {
          await tx.query(
            `INSERT INTO outbox (sink, user_id, insert_id)
             SELECT s, $1, i FROM unnest($2::text[]) AS s CROSS JOIN unnest($3::text[]) AS i
             ON CONFLICT DO NOTHING`,
            [userId, sinks as string[], inserted.map((r) => r.insert_id)],
          );
        }
        return inserted.length;
      });
    },

    /**
     * Deletes everything stored about one user (events, rollups, pending forwards) and queues the
     * deletion at every destination, in one transaction: the request survives a restart.
     */
    async deleteUser(userId: string): Promise<{ deletedEvents: number; sinks: string[] }> {
      return db.transaction(async (tx) => {
        await removeFromRollups(tx, userId);
        const [deleted] = await tx.query<{ n: number }>(
          'WITH d AS (DELETE FROM events WHERE user_id = $1 RETURNING 1) SELECT count(*)::int AS n FROM d',
          [userId],
        );
        await tx.query('DELETE FROM outbox WHERE user_id = $1', [userId]);
        await tx.query(
          `INSERT INTO deletion_outbox (sink, user_id) SELECT s, $1 FROM unnest($2::text[]) AS s
           ON CONFLICT (sink, user_id) DO UPDATE SET requested_at = now(), attempts = 0, next_attempt_at = now()`,
          [userId, sinks as string[]],
        );
        return { deletedEvents: Number(deleted?.n ?? 0), sinks: [...sinks] };
      });
    },
    /** Users whose deletion at `sink` is due, oldest request first. */
    async dueDeletions(sink: string, limit: number): Promise<{ user_id: string; attempts: number }[]> {
      return db.query(
        `SELECT user_id, attempts FROM deletion_outbox WHERE sink = $1 AND next_attempt_at <= now() ORDER BY requested_at LIMIT $2`,
        [sink, limit],
      );
    },
    async deletionsDone(sink: string, userIds: readonly string[]): Promise<void> {
      await db.query('DELETE FROM deletion_outbox WHERE sink = $1 AND user_id = ANY($2::text[])', [sink, userIds as string[]]);
    },
    async deletionsLater(sink: string, userIds: readonly string[], delayMs: number): Promise<void> {
      await db.query(
        `UPDATE deletion_outbox SET attempts = attempts + 1, next_attempt_at = now() + ($3::int * interval '1 millisecond') WHERE sink = $1 AND user_id = ANY($2::text[])`,
        [sink, userIds as string[], Math.round(delayMs)],
      );
    },
    async pendingDeletions(): Promise<number> {
      const [row] = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM deletion_outbox');
      return Number(row?.n ?? 0);
    },

    /** Activity of many users in one query. */
    async activity(userIds: readonly string[]): Promise<Map<string, Activity>> {
      const rows = await db.query<{ user_id: string; first_seen: string; last_seen: string; n: number }>(
        `SELECT user_id, to_char(first_seen AT TIME ZONE 'UTC', ${ISO}) AS first_seen,
                to_char(last_seen AT TIME ZONE 'UTC', ${ISO}) AS last_seen, event_count AS n
         FROM user_activity WHERE user_id = ANY($1::text[])`,
        [userIds as string[]],
      );
      return new Map(rows.map((r) => [r.user_id, { firstSeenAt: r.first_seen, lastSeenAt: r.last_seen, eventCount: Number(r.n) }]));
    },

    /**
     * Claims due outbox entries of one sink with their events, oldest first: the rows are locked
     * (SKIP LOCKED, so two replicas never claim the same entry) and leased for `leaseMs` by pushing
     * their next attempt ahead. A replica that dies mid-send loses nothing: the lease runs out and
     * the entries are due again (destinations deduplicate by insert id).
     */
    async due(sink: string, limit: number, leaseMs = 120_000) {
      return db.query<{
        user_id: string;
        insert_id: string;
        name: string;
        properties: Record<string, unknown> | string;
        occurred_ms: string;
        attempts: number;
      }>(
        `WITH claimed AS (
           SELECT sink, user_id, insert_id FROM outbox
           WHERE sink = $1 AND dead_at IS NULL AND next_attempt_at <= now()
           ORDER BY next_attempt_at LIMIT $2
           FOR UPDATE SKIP LOCKED
         )
         UPDATE outbox o SET next_attempt_at = clock_timestamp() + ($3::int * interval '1 millisecond')
         FROM claimed c JOIN events e ON e.user_id = c.user_id AND e.insert_id = c.insert_id
         WHERE o.sink = c.sink AND o.user_id = c.user_id AND o.insert_id = c.insert_id
         RETURNING o.user_id, o.insert_id, e.name, e.properties, (extract(epoch FROM e.occurred_at) * 1000)::bigint::text AS occurred_ms, o.attempts`,
        [sink, limit, leaseMs],
      );
    },
    async done(sink: string, keys: readonly { user_id: string; insert_id: string }[]) {
      await db.query(`DELETE FROM outbox WHERE sink = $1 AND (user_id, insert_id) IN (SELECT * FROM unnest($2::text[], $3::text[]))`, [
        sink,
        keys.map((k) => k.user_id),
        keys.map((k) => k.insert_id),
      ]);
    },
    /** Backs the entries off by `delayMs`; those at `maxAttempts` become dead letters. Returns how many died. */
    async retryLater(
      sink: string,
      keys: readonly { user_id: string; insert_id: string }[],
      delayMs: number,
      maxAttempts = Number.MAX_SAFE_INTEGER,
      reason = '',
    ) {
      const rows = await db.query<{ dead: boolean }>(
        `UPDATE outbox SET attempts = attempts + 1, next_attempt_at = now() + ($4::int * interval '1 millisecond'), last_error = $6,
           dead_at = CASE WHEN attempts + 1 >= $5 THEN clock_timestamp() END
         WHERE sink = $1 AND (user_id, insert_id) IN (SELECT * FROM unnest($2::text[], $3::text[]))
         RETURNING dead_at IS NOT NULL AS dead`,
        [
          sink,
          keys.map((k) => k.user_id),
          keys.map((k) => k.insert_id),
          Math.round(delayMs),
          Math.min(maxAttempts, 2 ** 31 - 1),
          reason.slice(0, 500),
        ],
      );
      return rows.filter((r) => r.dead).length;
    },
    /** Outbox entries by sink and state (pending, retrying, dead), for operators and metrics. */
    async outboxCounts(): Promise<{ sink: string; pending: number; retrying: number; dead: number }[]> {
      const rows = await db.query<{ sink: string; pending: number; retrying: number; dead: number }>(
        `SELECT sink, count(*) FILTER (WHERE dead_at IS NULL AND attempts = 0)::int AS pending,
                count(*) FILTER (WHERE dead_at IS NULL AND attempts > 0)::int AS retrying,
                count(*) FILTER (WHERE dead_at IS NOT NULL)::int AS dead
         FROM outbox GROUP BY sink`,
      );
      return rows.map((r) => ({ sink: r.sink, pending: Number(r.pending), retrying: Number(r.retrying), dead: Number(r.dead) }));
    },
    /** The newest dead letters, for operators (the `analyticsDeadLetters` query); last_error as stored. */
    async deadLetters(limit: number) {
      const rows = await db.query<{
        sink: string;
        user_id: string;
        insert_id: string;
        attempts: number;
        last_error: string | null;
        dead_at: Date | string;
      }>(
        `SELECT sink, user_id, insert_id, attempts, last_error, dead_at FROM outbox
         WHERE dead_at IS NOT NULL ORDER BY dead_at DESC, insert_id LIMIT $1`,
        [limit],
      );
      return rows.map((r) => ({
        sink: r.sink,
        userId: r.user_id,
        insertId: r.insert_id,
        attempts: Number(r.attempts),
        lastError: r.last_error,
        deadLetteredAt: new Date(r.dead_at).toISOString(),
      }));
    },
    async pending(): Promise<number> {
      const [row] = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM outbox');
      return Number(row?.n ?? 0);
    },
    async isEmpty(): Promise<boolean> {
      const rows = await db.query('SELECT 1 FROM events LIMIT 1');
      return rows.length === 0;
    },
    db,
  };
}
export type EventStore = ReturnType<typeof createEventStore>;
