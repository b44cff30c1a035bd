/**
 * The internal identity token: the only way identity travels from the gateway
 * to a subgraph. The gateway signs it (HS256, jose) after verifying initData;
 * every subgraph verifies it before running any operation, so a subgraph is
 * never a way around the gateway. Short-lived on purpose: it is minted per
 * request (cached for a few seconds per user) and is useless once replayed later.
 */
import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';

export const INTERNAL_ISSUER = 'tma-gateway';
export const INTERNAL_AUDIENCE = 'tma-subgraphs';
const TOKEN_LIFETIME_SECONDS = 60;
/** Longest lifetime (exp - iat) a subgraph accepts: a token signed with the shared key but meant to last is refused. */
export const MAX_TOKEN_LIFETIME_SECONDS = 120;
/** HS256 with a short shared key is guessable offline; the gateway and subgraphs refuse one. */
export const MIN_SECRET_LENGTH = 32;
/** Re-use a minted token while it has at least this much life left. */
const REUSE_MARGIN_SECONDS = 30;

/** `operator`: a person listed in OPERATOR_USER_IDS. `system`: the gateway itself (webhook hand-off), never a user. */
export type Role = 'operator' | 'system';
const ROLES: ReadonlySet<string> = new Set<Role>(['operator', 'system']);

export interface TelegramProfile {
  firstName: string;
  lastName?: string | undefined;
  username?: string | undefined;
  languageCode?: string | undefined;
  isPremium: boolean;
  photoUrl?: string | undefined;
}

/** Who is calling, as the gateway established it. `userId` is undefined for anonymous callers. */
export interface Identity {
  userId?: string | undefined;
  profile?: TelegramProfile | undefined;
  roles: Role[];
  /** Who the caller is for: a Mini App user or a partner (API key) on the public endpoint. */
  audience: 'miniapp' | 'partner';
}

export const ANONYMOUS: Identity = Object.freeze({ roles: [], audience: 'miniapp' }) as Identity;

interface Claims {
  usr?: TelegramProfile;
  roles?: Role[];
  aud_kind?: Identity['audience'];
}

function keyFrom(secret: string): Uint8Array {
  if (secret.length < MIN_SECRET_LENGTH)
    throw new InternalTokenError(`the internal token secret must be at least ${MIN_SECRET_LENGTH} characters`);
  return new TextEncoder().encode(secret);
}

export function createInternalTokenSigner(secret: string, now: () => number = Date.now) {
  const key = keyFrom(secret);
  const cache = new Map<string, { token: string; expiresAt: number }>();

  return async function sign(identity: Identity): Promise<string> {
    const nowSec = Math.floor(now() / 1000);
    // Identity fields are part of the cache key: a changed profile or role gets a new token.
    const cacheKey = JSON.stringify([identity.userId, identity.roles, identity.audience, identity.profile]);
    const hit = cache.get(cacheKey);
    if (hit && hit.expiresAt - nowSec > REUSE_MARGIN_SECONDS) return hit.token;

    const claims: Claims = { roles: identity.roles, aud_kind: identity.audience };
    if (identity.profile) claims.usr = identity.profile;
    const expiresAt = nowSec + TOKEN_LIFETIME_SECONDS;
    const token = await new SignJWT({ ...claims })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer(INTERNAL_ISSUER)
      .setAudience(INTERNAL_AUDIENCE)
      .setSubject(identity.userId ?? 'anonymous')
      .setIssuedAt(nowSec)
      .setExpirationTime(expiresAt)
      .sign(key);
    if (cache.size > 10_000) cache.clear(); // bounded: a burst of distinct users must not grow memory forever
    cache.set(cacheKey, { token, expiresAt });
    return token;
  };
}

export class InternalTokenError extends Error {
  override name = 'InternalTokenError';
}

export function createInternalTokenVerifier(secret: string, now: () => number = Date.now) {
  const key = keyFrom(secret);
  // The gateway re-uses a token per identity for ~30 s, so most requests carry a token this process
  // has already verified: remember verified tokens until they expire (only verified ones, never failures).
  const verified = new Map<string, { identity: Identity; expiresAtMs: number }>();
  return async function verify(authorizationHeader: string | undefined | null): Promise<Identity> {
    if (!authorizationHeader || !authorizationHeader.startsWith('Bearer ')) {
      throw new InternalTokenError('missing internal token');
    }
    const token = authorizationHeader.slice(7);
    const known = verified.get(token);
    if (known && known.expiresAtMs > now()) return known.identity;
    try {
      const { payload } = await jwtVerify(token, key, {
        issuer: INTERNAL_ISSUER,
        audience: INTERNAL_AUDIENCE,
        algorithms: ['HS256'],
        currentDate: new Date(now()),
        requiredClaims: ['exp', 'iat'],
        // iat may not be older than the longest lifetime (nor in the future), and exp - iat may not exceed it.
        maxTokenAge: MAX_TOKEN_LIFETIME_SECONDS,
        clockTolerance: 5,
      });
      if (payload.exp! - payload.iat! > MAX_TOKEN_LIFETIME_SECONDS) throw new InternalTokenError('internal token lifetime too long');
      const claims = payload as typeof payload & Claims;
      const userId = payload.sub && payload.sub !== 'anonymous' ? payload.sub : undefined;
      const identity: Identity = {
        userId,
        profile: userId ? claims.usr : undefined,
        roles: Array.isArray(claims.roles) ? claims.roles.filter((r): r is Role => ROLES.has(r)) : [],
        audience: claims.aud_kind === 'partner' ? 'partner' : 'miniapp',
      };
      if (verified.size >= 10_000) verified.clear(); // bounded; a clear only costs re-verification
      verified.set(token, { identity, expiresAtMs: payload.exp! * 1000 });
      return identity;
    } catch (error) {
      const reason =
        error instanceof joseErrors.JWTExpired
          ? 'expired internal token'
          : error instanceof InternalTokenError
            ? error.message
            : 'invalid internal token';
      throw new InternalTokenError(reason);
    }
  };
}
