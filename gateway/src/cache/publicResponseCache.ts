/**
 * First-level cache for PUBLIC responses (the catalog): the finished HTTP
 * response — bytes and headers — kept in this process for its max-age, served
 * without entering Apollo Server at all. What a CDN would do in front of the
 * gateway, for the callers a CDN cannot see (POST, Mini App webviews).
 *
 * Only responses the combined cache policy marked `public` with a max-age are
 * stored, so anything user-specific (PRIVATE, or no-store) never lands here;
 * the shared second level (Apollo's response cache on Keyv/Redis) still holds
 * both kinds across replicas. The key is the request as sent plus the headers
 * that can change how it is processed (content type, CSRF preflight headers)
 * and the endpoint audience. Callers' initData is verified before the lookup.
 */
import { LRUCache } from 'lru-cache';
import type { HTTPGraphQLResponse } from '@apollo/server';

export interface StoredResponse {
  body: Buffer;
  headers: [string, string][];
  storedAt: number;
  /** Age the response already had when stored (a hit of the second level). */
  baseAgeSec: number;
  maxAgeSec: number;
}

const PUBLIC_MAX_AGE = /^max-age=(\d+), public$/;

/** Bytes of response bodies (plus headers) this replica keeps; keys are sha256 hashes, never request text. */
const MAX_BYTES = 16 * 1024 * 1024;

export function createPublicResponseCache(maxBytes = MAX_BYTES, now: () => number = Date.now) {
  const entries = new LRUCache<string, StoredResponse>({
    maxSize: maxBytes,
    sizeCalculation: (entry, key) => entry.body.length + key.length + 512,
  });
  return {
    get(key: string): { response: StoredResponse; ageSec: number } | undefined {
      const response = entries.get(key);
      if (!response) return undefined;
      const ageSec = response.baseAgeSec + Math.floor((now() - response.storedAt) / 1000);
      if (ageSec >= response.maxAgeSec) {
        entries.delete(key);
        return undefined;
      }
      return { response, ageSec };
    },
    /** Stores the response when (and only when) it is a complete, successful, public-cacheable one. */
    offer(key: string, response: HTTPGraphQLResponse): void {
      if ((response.status ?? 200) !== 200 || response.body.kind !== 'complete') return;
      const match = PUBLIC_MAX_AGE.exec(response.headers.get('cache-control') ?? '');
      if (!match) return;
      const maxAgeSec = Number(match[1]);
      const baseAgeSec = Number(response.headers.get('age') ?? 0);
      if (!(maxAgeSec > baseAgeSec)) return;
      const headers = [...response.headers].filter(([name]) => name !== 'age');
      entries.set(key, { body: Buffer.from(response.body.string), headers, storedAt: now(), baseAgeSec, maxAgeSec });
    },
    clear: () => entries.clear(),
  };
}
export type PublicResponseCache = ReturnType<typeof createPublicResponseCache>;
