/**
 * Turns the Authorization header of a Mini App request into an Identity.
 *
 * - `tma <initData>`: verified (HMAC or Ed25519, freshness); a bad one is
 *   refused with 401 UNAUTHENTICATED before any subgraph is called.
 * - no header, or another scheme: anonymous. Public fields work; fields that
 *   need a user answer UNAUTHENTICATED (and the response is a 401).
 * Operators are the user ids in OPERATOR_USER_IDS.
 */
import { GraphQLError } from 'graphql';
import { ANONYMOUS, type Identity } from '../../../lib/internalToken.ts';
import { ErrorCode } from '../../../lib/errors.ts';
import type { InitDataVerifier } from './initData.ts';

export const UNAUTHENTICATED_HTTP = { status: 401, headers: new Map([['www-authenticate', 'tma']]) };

export function unauthenticatedRequest(message: string, reason: string): GraphQLError {
  return new GraphQLError(message, {
    extensions: { code: ErrorCode.UNAUTHENTICATED, reason, http: UNAUTHENTICATED_HTTP },
  });
}

export function createIdentityResolver(verify: InitDataVerifier, operatorIds: ReadonlySet<string>) {
  return function resolveIdentity(authorization: string | undefined): Identity {
    if (!authorization) return ANONYMOUS;
    const space = authorization.indexOf(' ');
    const scheme = (space === -1 ? authorization : authorization.slice(0, space)).toLowerCase();
    if (scheme !== 'tma') return ANONYMOUS;
    const result = verify(authorization.slice(space + 1).trim());
    if (!result.ok) {
      const message =
        result.reason === 'expired'
          ? 'Telegram initData has expired: reopen the Mini App to get a fresh one'
          : result.reason === 'invalid_signature'
            ? 'Telegram initData signature is invalid'
            : `Telegram initData is malformed: ${result.detail}`;
      throw unauthenticatedRequest(message, result.reason);
    }
    return {
      userId: result.userId,
      profile: result.profile,
      roles: operatorIds.has(result.userId) ? ['operator'] : [],
      audience: 'miniapp',
    };
  };
}
