/**
 * HubSpot webhook events (contact / ticket changes made in HubSpot), handed over
 * by the gateway after it verified the v3 signature. Each event is stored once
 * (primary key: HubSpot's eventId, so a redelivery is recognised) before the
 * gateway acknowledges, then "processed": the cached contacts it touches are
 * dropped, so `User.customer` shows HubSpot's change at once. Processing
 * answers which Telegram users were affected, so the gateway can invalidate
 * their cached responses too.
 *
 * When the affected users cannot be worked out (HubSpot unreachable), the
 * whole contact cache is dropped instead: correct, only costlier. Events left
 * unprocessed by a crash are finished on start. Processed events are kept 30
 * days (HubSpot retries a delivery for up to 3), then deleted.
 */
import type { Logger } from '../../lib/logger.ts';
import type { Database } from '../shared/db.ts';
import type { HubSpot } from '../shared/connectors/hubspot.ts';
import type { ContactCache } from './contactCache.ts';

export const CRM_MIGRATIONS = [
  `CREATE TABLE hubspot_events (
     event_id text PRIMARY KEY,
     subscription_type text NOT NULL,
     object_id text NOT NULL,
     payload jsonb NOT NULL,
     received_at timestamptz NOT NULL DEFAULT now(),
     processed_at timestamptz,
     outcome text
   );
   CREATE INDEX hubspot_events_pending ON hubspot_events (received_at) WHERE processed_at IS NULL`,
];

/** What HubSpot posts: an array of these (EXTERNAL-APIS.md §11; at most 100 per request). */
export interface HubSpotEvent {
  eventId: number | string;
  subscriptionType: string;
  objectId: number | string;
  propertyName?: string;
  propertyValue?: string;
  mergedObjectIds?: (number | string)[];
  [key: string]: unknown;
}

export const MAX_EVENTS_PER_DELIVERY = 100;

/** A well-formed delivery, or why not (the gateway answers 400 and HubSpot stops retrying it). */
export function parseDelivery(body: unknown): { ok: true; events: HubSpotEvent[] } | { ok: false; reason: string } {
  if (!Array.isArray(body) || body.length === 0) return { ok: false, reason: 'expected a non-empty JSON array of events' };
  if (body.length > MAX_EVENTS_PER_DELIVERY) return { ok: false, reason: `at most ${MAX_EVENTS_PER_DELIVERY} events per delivery` };
  const idLike = (v: unknown) => (typeof v === 'number' && Number.isSafeInteger(v)) || (typeof v === 'string' && /^\d{1,30}$/.test(v));
  for (const e of body) {
    if (typeof e !== 'object' || e === null) return { ok: false, reason: 'each event must be an object' };
    const event = e as Record<string, unknown>;
    if (!idLike(event.eventId) || !idLike(event.objectId) || typeof event.subscriptionType !== 'string') {
      return { ok: false, reason: 'each event needs eventId, objectId and subscriptionType' };
    }
  }
  return { ok: true, events: body as HubSpotEvent[] };
}

export interface InboxResult {
  stored: number;
  duplicates: number;
  /** Telegram users whose data changed; null when unknown (then every cached contact was dropped). */
  userIds: string[] | null;
}

export function createHubSpotInbox(options: { db: Database; hubspot: HubSpot; contacts: ContactCache; log: Logger }) {
  const { db, hubspot, contacts, log } = options;

  /** Telegram users touched by these events, dropping their cached contacts on the way. */
  async function affectedUsers(events: readonly HubSpotEvent[]): Promise<string[]> {
    const contactIds = new Set<string>();
    const ticketIds = new Set<string>();
    const users = new Set<string>();
    for (const e of events) {
      const [object] = e.subscriptionType.split('.');
      if (object === 'contact') {
        contactIds.add(String(e.objectId));
        for (const id of e.mergedObjectIds ?? []) contactIds.add(String(id));
        if (e.propertyName === 'telegram_user_id' && e.propertyValue) users.add(e.propertyValue);
      } else if (object === 'ticket') {
        ticketIds.add(String(e.objectId));
      }
    }
    for (const id of contacts.forgetContacts(contactIds)) users.add(id);
    // Contacts not in the cache may still belong to a user cached as "no contact" (a creation).
    const readBack = await hubspot.contactsByIds([...contactIds]);
    for (const c of readBack) if (c.properties.telegram_user_id) users.add(c.properties.telegram_user_id);
    if (ticketIds.size > 0) {
      for (const t of await hubspot.ticketsByIds([...ticketIds]))
        if (t.properties.telegram_user_id) users.add(t.properties.telegram_user_id);
    }
    contacts.forgetUsers(users);
    return [...users];
  }

  async function process(eventIds: readonly string[]): Promise<string[] | null> {
    if (eventIds.length === 0) return [];
    const rows = await db.query<{ payload: HubSpotEvent | string }>(
      'SELECT payload FROM hubspot_events WHERE event_id = ANY($1::text[]) AND processed_at IS NULL',
      [eventIds as string[]],
    );
    const events = rows.map((r) => (typeof r.payload === 'string' ? (JSON.parse(r.payload) as HubSpotEvent) : r.payload));
    let userIds: string[] | null;
    try {
      userIds = await affectedUsers(events);
    } catch (error) {
      log.warn(
        { reason: (error as Error).message, events: events.length },
        'hubspot events: affected users unknown, dropping every cached contact',
      );
      contacts.clear();
      userIds = null;
    }
    await db.query(`UPDATE hubspot_events SET processed_at = now(), outcome = $2 WHERE event_id = ANY($1::text[])`, [
      eventIds as string[],
      userIds === null ? 'cache cleared' : `users: ${userIds.join(',')}`.slice(0, 1000),
    ]);
    return userIds;
  }

  return {
    /** Stores a verified delivery (new events only), then processes what is new. */
    async receive(events: readonly HubSpotEvent[]): Promise<InboxResult> {
      const fresh = await db.query<{ event_id: string }>(
        `INSERT INTO hubspot_events (event_id, subscription_type, object_id, payload)
         SELECT e->>'eventId', e->>'subscriptionType', e->>'objectId', e FROM jsonb_array_elements($1::jsonb) AS e
         ON CONFLICT (event_id) DO NOTHING RETURNING event_id`,
        [JSON.stringify(events)],
      );
      const ids = fresh.map((r) => r.event_id);
      const userIds = await process(ids);
      log.info({ stored: ids.length, duplicates: events.length - ids.length, users: userIds?.length ?? 'all' }, 'hubspot events received');
      return { stored: ids.length, duplicates: events.length - ids.length, userIds };
    },
    /** Finishes events a crash left unprocessed; forgets old processed ones. */
    async recover(): Promise<void> {
      const pending = await db.query<{ event_id: string }>(
        'SELECT event_id FROM hubspot_events WHERE processed_at IS NULL ORDER BY received_at LIMIT 1000',
      );
      await process(pending.map((r) => r.event_id));
      await db.query(`DELETE FROM hubspot_events WHERE processed_at < now() - interval '30 days'`);
    },
  };
}
export type HubSpotInbox = ReturnType<typeof createHubSpotInbox>;
