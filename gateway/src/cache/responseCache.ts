/**
 * Whole-response caching (Apollo's response-cache plugin) on the shared store,
 * driven by the combined @cacheControl policy:
 * - PUBLIC responses are shared by everyone (the catalog);
 * - PRIVATE responses are keyed by the verified Telegram user id (never by
 *   anything the client claims), so one user's data is never served to another;
 * - maxAge 0 (payment state) and mutations are never cached; `Age` is set on hits.
 *
 * Invalidation is by version: every key includes the caller's data version and
 * a global private epoch. A mutation bumps its caller's version; an operator's
 * mutation (refunds, notes: other users' data) and a webhook that changes a
 * payment bump the affected user's version, or the epoch when unknown. Old
 * entries are then unreachable and expire by TTL; nothing has to be scanned.
 */
import responseCachePlugin from '@apollo/server-plugin-response-cache';
import type { ApolloServerPlugin, GraphQLRequestContext } from '@apollo/server';
import type { GatewayContext } from '../context.ts';
import type { GatewayStore } from './store.ts';

const EPOCH_KEY = 'ver:epoch';
const userKey = (userId: string) => `ver:user:${userId}`;
/** Versions outlive any cached response (max-age ≤ a day), then reset harmlessly. */
const VERSION_TTL_MS = 2 * 86_400_000;

export function createCacheVersions(store: GatewayStore) {
  async function bump(key: string) {
    await store.keyv.set(key, `${Date.now()}-${Math.random().toString(36).slice(2, 8)}`, VERSION_TTL_MS);
  }
  return {
    async current(userId: string | undefined): Promise<[string, string]> {
      const [epoch, user] = await store.keyv.get([EPOCH_KEY, userId ? userKey(userId) : EPOCH_KEY]);
      return [epoch ?? '0', userId ? (user ?? '0') : '-'];
    },
    invalidateUser: (userId: string) => bump(userKey(userId)),
    invalidateAllPrivate: () => bump(EPOCH_KEY),
  };
}
export type CacheVersions = ReturnType<typeof createCacheVersions>;

export function responseCache(store: GatewayStore, versions: CacheVersions): ApolloServerPlugin<GatewayContext> {
  return responseCachePlugin<GatewayContext>({
    cache: store.cache,
    sessionId: async (rc: GraphQLRequestContext<GatewayContext>) => rc.contextValue.identity.userId ?? null,
    extraCacheKeyData: async (rc: GraphQLRequestContext<GatewayContext>) => ({
      v: await versions.current(rc.contextValue.identity.userId),
      // Partners and Mini App users see different schemas: never share entries between them.
      audience: rc.contextValue.identity.audience,
    }),
  });
}

/** Bumps versions after a successful mutation (see the module comment). */
export function invalidateOnMutation(versions: CacheVersions): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse(rc) {
          if (rc.operation?.operation !== 'mutation') return;
          const { identity } = rc.contextValue;
          const work: Promise<void>[] = [];
          if (identity.userId) work.push(versions.invalidateUser(identity.userId));
          if (identity.roles.includes('operator')) work.push(versions.invalidateAllPrivate());
          await Promise.all(work);
        },
      };
    },
  };
}
