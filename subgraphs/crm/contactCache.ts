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
    /** After our own write: the next read shows it without another call. */
    remember(customer: Customer): void {
      if (customer.userId) cache.set(customer.userId, { customer });
    },
    clear(): void {
      cache.clear();
    },
    forgetUsers(userIds: Iterable<string>): void {
      for (const id of userIds) cache.delete(id);
    },
    /** Drops the entries holding these contacts; returns the Telegram user ids they belonged to. */
    forgetContacts(contactIds: ReadonlySet<string>): string[] {
      const users: string[] = [];
      for (const [userId, entry] of cache.entries()) {
        if (entry.customer && contactIds.has(entry.customer.id)) users.push(userId);
      }
      for (const id of users) cache.delete(id);
      return users;
    },
  };
}
export type ContactCache = ReturnType<typeof createContactCache>;
