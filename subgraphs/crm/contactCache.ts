/**
 * Contacts by Telegram user id, cached in-process for as long as the schema
 * lets clients cache a Customer (30 s, `@cacheControl(maxAge: 30)`). HubSpot's
 * smallest plan allows 100 requests per 10 s for the whole account: without
 * this, every profile view would spend one of them. Misses are fetched in one
 * batch read; "no contact" is cached too, so unknown users cost nothing extra.
 */
import { LRUCache } from 'lru-cache';
import type { HubSpot } from '../shared/connectors/hubspot.ts';
import { toCustomer, type Customer } from './model.ts';

export const CONTACT_TTL_MS = 30_000;

export function createContactCache(hubspot: HubSpot, ttlMs = CONTACT_TTL_MS, maxEntries = 50_000) {
  // lru-cache cannot store null: wrap the value.
  const cache = new LRUCache<string, { customer: Customer | null }>({ max: maxEntries, ttl: ttlMs });
  return {
    async byTelegramIds(userIds: readonly string[]): Promise<(Customer | null)[]> {
      const missing = userIds.filter((id) => !cache.has(id));
      if (missing.length > 0) {
        const contacts = await hubspot.contactsByTelegramIds(missing);
        const found = new Map(contacts.map(toCustomer).map((c) => [c.userId, c]));
        for (const id of missing) cache.set(id, { customer: found.get(id) ?? null });
      }
      return userIds.map((id) => cache.get(id)?.customer ?? null);
    },
  };
}
export type ContactCache = ReturnType<typeof createContactCache>;
