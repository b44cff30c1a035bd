/**
 * The gateway's shared key-value store (Keyv): APQ entries, cached responses
 * and cache-invalidation versions. Redis when REDIS_URL is set — shared by
 * every gateway replica — otherwise a bounded in-process LRU.
 */
import Keyv from 'keyv';
import { KeyvAdapter } from '@apollo/utils.keyvadapter';
import { LRUCache } from 'lru-cache';
import type { KeyValueCache } from '@apollo/utils.keyvaluecache';
import type { Logger } from '../../../lib/logger.ts';

export interface GatewayStore {
  kind: 'redis' | 'memory';
  /** Apollo's KeyValueCache view (APQ, response cache). */
  cache: KeyValueCache<string>;
  keyv: Keyv<string>;
  close(): Promise<void>;
}

/**
 * Enough for the catalog, persisted queries and the recent private responses of a busy replica,
 * bounded in bytes: entries are counted by their size, so 100 KB APQ documents cannot grow it past this.
 */
const MEMORY_BYTES = 24 * 1024 * 1024;
/** How long one cache operation may wait for a Redis connection before it counts as a miss. */
const REDIS_CONNECT_TIMEOUT_MS = 1_000;

/**
 * A bounded Map for Keyv. Keyv keeps each entry's expiry inside the value and
 * passes a ttl as third argument to `set`, which lru-cache would read as options.
 */
function lruStore(maxBytes: number) {
  // UTF-16 strings: two bytes a character, keys included.
  const lru = new LRUCache<string, string>({ maxSize: maxBytes, sizeCalculation: (value, key) => 2 * (value.length + key.length) + 64 });
  return {
    get: (key: string) => lru.get(key),
    set: (key: string, value: string) => {
      lru.set(key, value);
      return true;
    },
    delete: (key: string) => lru.delete(key),
    has: (key: string) => lru.has(key),
    clear: () => lru.clear(),
  };
}

export async function createGatewayStore(redisUrl: string | undefined, log: Logger): Promise<GatewayStore> {
  let keyv: Keyv<string>;
  if (redisUrl) {
    // Imported only when configured: the Redis client is not free to load.
    const { createKeyvNonBlocking } = await import('@keyv/redis');
    // Non-blocking: while Redis is down a command fails at once instead of waiting in the client's offline
    // queue (which held every request until Redis came back), and each operation reconnects within 1 s.
    keyv = createKeyvNonBlocking(redisUrl, { namespace: 'tma-gw', connectionTimeout: REDIS_CONNECT_TIMEOUT_MS }) as Keyv<string>;
  } else {
    keyv = new Keyv<string>({ store: lruStore(MEMORY_BYTES), namespace: 'tma-gw' });
  }
  // A store outage must degrade to "no cache", never to failed requests.
  keyv.on('error', (error: unknown) => log.warn({ reason: (error as Error)?.message }, 'cache store error'));
  return {
    kind: redisUrl ? 'redis' : 'memory',
    // The adapter's typings name keyv's CJS declaration; it is the same class at run time.
    cache: new KeyvAdapter(keyv as never),
    keyv,
    close: () => keyv.disconnect(),
  };
}
