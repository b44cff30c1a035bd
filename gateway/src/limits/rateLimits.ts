/**
 * Gateway rate limits on /graphql (README "Running in production"):
 *   - per verified Telegram user: RATE_LIMIT_USER_PER_MINUTE (default 600)
 *   - per client IP for anonymous callers: RATE_LIMIT_ANONYMOUS_PER_MINUTE (default 300)
 *   - each costly mutation per caller: RATE_LIMIT_COSTLY_MUTATION_PER_MINUTE (default 30),
 *     on top of the caller's general budget
 * Over a limit: 429 RATE_LIMITED with Retry-After. With REDIS_URL the counters live in Redis and
 * every replica enforces one limit together; an in-memory insurance limiter takes over while Redis
 * is unreachable (the limit then holds per replica), so a Redis outage never fails requests.
 */
import type { IncomingMessage } from 'node:http';
import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Logger } from '../../../lib/logger.ts';
import { connectRedis, sharedLimiter, type RedisClient } from '../partners/rateLimit.ts';

/** Mutations that cost money, a message or a third-party write: each has a budget of its own. */
export const COSTLY_MUTATIONS: ReadonlySet<string> = new Set(['createInvoice', 'openTicket', 'sendMessage', 'trackEvents']);

const WINDOW_SECONDS = 60;
const KEY_PREFIX = 'tma-gw:rl';

export interface GatewayRateLimitOptions {
  userPerMinute: number;
  anonymousPerMinute: number;
  costlyMutationPerMinute: number;
  redisUrl: string | undefined;
  log: Logger;
}

export type RateVerdict = { allowed: true } | { allowed: false; retryAfterSeconds: number; message: string };

export interface Caller {
  /** Verified Telegram user id; undefined for anonymous callers. */
  userId: string | undefined;
  ip: string;
}

/**
 * The client's address: the socket peer, or with `trustedProxyHops` = N the N-th address from the
 * right of X-Forwarded-For (each trusted proxy appends the address it saw). Entries a client wrote
 * itself stand further left and are never read.
 */
export function clientIp(req: IncomingMessage, trustedProxyHops: number): string {
  const peer = req.socket.remoteAddress ?? 'unknown';
  if (trustedProxyHops === 0) return peer;
  const header = req.headers['x-forwarded-for'];
  const chain = (Array.isArray(header) ? header.join(',') : (header ?? ''))
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return chain[chain.length - trustedProxyHops] ?? peer;
}

export async function createGatewayRateLimiter(options: GatewayRateLimitOptions) {
  const redis: RedisClient | undefined = options.redisUrl ? await connectRedis(options.redisUrl, options.log) : undefined;
  const make = (name: string, points: number): RateLimiterAbstract =>
    sharedLimiter(redis, { points, duration: WINDOW_SECONDS, keyPrefix: `${KEY_PREFIX}:${name}` });
  const user = make('user', options.userPerMinute);
  const anonymous = make('ip', options.anonymousPerMinute);
  const costly = make('mutation', options.costlyMutationPerMinute);

  async function take(limiter: RateLimiterAbstract, key: string, points = 1): Promise<number | undefined> {
    try {
      await limiter.consume(key, points);
      return undefined;
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      return Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
    }
  }

  return {
    kind: redis ? ('redis' as const) : ('memory' as const),
    /** One request of `caller`; `costlyFields` are the costly mutation fields it selects (each counted). */
    async consume(caller: Caller, costlyFields: readonly string[] = []): Promise<RateVerdict> {
      const who = caller.userId !== undefined ? `u:${caller.userId}` : `ip:${caller.ip}`;
      const general = caller.userId !== undefined ? await take(user, who) : await take(anonymous, who);
      if (general !== undefined) {
        const limit = caller.userId !== undefined ? options.userPerMinute : options.anonymousPerMinute;
        return {
          allowed: false,
          retryAfterSeconds: general,
          message: `Rate limit of ${limit} requests per minute exceeded; retry after ${general} s`,
        };
      }
      for (const field of costlyFields) {
        const wait = await take(costly, `${field}:${who}`);
        if (wait !== undefined) {
          return {
            allowed: false,
            retryAfterSeconds: wait,
            message: `Rate limit of ${options.costlyMutationPerMinute} ${field} calls per minute exceeded; retry after ${wait} s`,
          };
        }
      }
      return { allowed: true };
    },
    async close(): Promise<void> {
      if (!redis) return;
      await redis.close().catch(() => redis.destroy());
    },
  };
}
export type GatewayRateLimiter = Awaited<ReturnType<typeof createGatewayRateLimiter>>;
