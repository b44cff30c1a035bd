/**
 * Per-key rate limit of the partner endpoint: `rpm` requests per rolling
 * minute window, counted per key name. With REDIS_URL the counters live in
 * Redis, so N gateway replicas enforce one limit together (DESIGN.md "Scale
 * path"); otherwise in process memory.
 *
 * A Redis outage must not turn into failed partner requests: each Redis
 * limiter carries an in-memory "insurance" limiter that takes over while
 * Redis is unreachable (the limit then holds per replica instead of overall).
 */
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Logger } from '../../../lib/logger.ts';
import type { PartnerKey } from './keys.ts';

const WINDOW_SECONDS = 60;
const KEY_PREFIX = 'tma-gw:partner-rl';
/** How long start-up waits for Redis before serving on the insurance limiter. */
const CONNECT_TIMEOUT_MS = 3_000;

export type RateDecision =
  | { allowed: true; limit: number; remaining: number; resetSeconds: number }
  | { allowed: false; limit: number; retryAfterSeconds: number };

export interface PartnerRateLimiter {
  kind: 'redis' | 'memory';
  consume(key: PartnerKey): Promise<RateDecision>;
  close(): Promise<void>;
}

export type RedisClient = {
  connect(): Promise<unknown>;
  close(): Promise<void>;
  destroy(): void;
  isReady: boolean;
  on(event: string, listener: (arg?: unknown) => void): unknown;
};

export async function connectRedis(url: string, log: Logger): Promise<RedisClient> {
  // The client @keyv/redis ships (node-redis 5); imported only when configured, it is not free to load.
  const { createClient } = await import('@keyv/redis');
  // No offline queue: while disconnected a command fails at once and the insurance limiter answers.
  const client = createClient({ url, disableOfflineQueue: true }) as unknown as RedisClient;
  let healthy = true;
  // Log transitions only: node-redis emits an error per reconnect attempt.
  client.on('error', (error) => {
    if (healthy) log.warn({ reason: (error as Error)?.message }, 'partner rate limit: Redis unavailable, limiting per replica');
    healthy = false;
  });
  client.on('ready', () => {
    if (!healthy) log.info('partner rate limit: Redis back');
    healthy = true;
  });
  const connected = client.connect().then(
    () => true,
    () => false,
  );
  const timeout = new Promise<false>((resolve) => setTimeout(() => resolve(false), CONNECT_TIMEOUT_MS).unref());
  if (!(await Promise.race([connected, timeout]))) healthy = false;
  return client;
}

/**
 * A limiter shared by the replicas through Redis when there is one, with an in-memory limiter as its
 * insurance while Redis is not ready; in memory only without Redis.
 */
export function sharedLimiter(
  redis: RedisClient | undefined,
  base: { points: number; duration: number; keyPrefix: string },
): RateLimiterAbstract {
  return redis
    ? new RateLimiterRedis({
        ...base,
        storeClient: redis,
        useRedisPackage: true,
        rejectIfRedisNotReady: true,
        insuranceLimiter: new RateLimiterMemory(base),
      })
    : new RateLimiterMemory(base);
}

export function createPartnerRateLimiter(options: { redisUrl: string | undefined; log: Logger }): PartnerRateLimiter {
  // Connected on the first partner request, not at gateway start-up (most gateways serve no partner).
  let redisConnection: Promise<RedisClient> | undefined;
  const redisClient = () => (options.redisUrl ? (redisConnection ??= connectRedis(options.redisUrl, options.log)) : undefined);
  // One limiter per name and rpm, made on first use (keys come and go at run time):
  // rate-limiter-flexible fixes `points` per instance, and each key has its own rpm.
  const limiters = new Map<string, RateLimiterAbstract>();
  const limiterFor = async (key: PartnerKey): Promise<RateLimiterAbstract> => {
    const id = `${key.name}:${key.rpm}`;
    let limiter = limiters.get(id);
    if (!limiter) {
      const redis = await redisClient();
      limiter = sharedLimiter(redis, { points: key.rpm, duration: WINDOW_SECONDS, keyPrefix: KEY_PREFIX });
      limiters.set(id, limiter);
    }
    return limiter;
  };

  return {
    kind: options.redisUrl ? 'redis' : 'memory',
    async consume(key) {
      const limiter = await limiterFor(key);
      try {
        const res = await limiter.consume(key.name);
        return { allowed: true, limit: key.rpm, remaining: res.remainingPoints, resetSeconds: Math.ceil(res.msBeforeNext / 1000) };
      } catch (rejection) {
        // consume() rejects with a RateLimiterRes when over the limit, with an Error only if even the insurance failed.
        if (!(rejection instanceof RateLimiterRes)) throw rejection;
        return { allowed: false, limit: key.rpm, retryAfterSeconds: Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)) };
      }
    },
    async close() {
      const redis = await redisConnection;
      if (!redis) return;
      try {
        await redis.close();
      } catch {
        // Never connected (or already gone): nothing to flush, just drop the socket and its reconnect timer.
        try {
          redis.destroy();
        } catch {
          /* already closed */
        }
      }
    },
  };
}
