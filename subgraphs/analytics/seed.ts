/**
 * Sandbox mode only: the demo events the sandbox's Mixpanel already holds are
 * loaded into an empty store once, so `User.activity` and the reports show
 * something on a fresh laptop. They are not re-forwarded (the sandbox has them).
 */
import type { Logger } from '../../lib/logger.ts';
import { SEED_EVENTS } from '../../lib/demo/seed.ts';
import type { EventStore } from './store.ts';
import { REBUILD_ROLLUPS } from './rollups.ts';

export async function seedDemoEvents(store: EventStore, log: Logger): Promise<void> {
  if (!(await store.isEmpty())) return;
  const byUser = new Map<string, (typeof SEED_EVENTS)[number][]>();
  for (const e of SEED_EVENTS) byUser.set(e.distinct_id, [...(byUser.get(e.distinct_id) ?? []), e]);
  await store.db.transaction(async (tx) => {
    for (const [userId, events] of byUser) {
      await tx.query(
        `INSERT INTO events (user_id, insert_id, name, properties, occurred_at)
         SELECT $1, e.insert_id, e.name, e.properties, e.occurred_at
         FROM jsonb_to_recordset($2::jsonb) AS e(insert_id text, name text, properties jsonb, occurred_at timestamptz)
         ON CONFLICT DO NOTHING`,
        [
          userId,
          JSON.stringify(
            events.map((e) => ({
              insert_id: e.insert_id,
              name: e.event,
              properties: e.properties,
              occurred_at: new Date(e.time).toISOString(),
            })),
          ),
        ],
      );
    }
    for (const statement of REBUILD_ROLLUPS) await tx.query(statement);
  });
  log.info({ events: SEED_EVENTS.length }, 'sandbox demo events loaded');
}
