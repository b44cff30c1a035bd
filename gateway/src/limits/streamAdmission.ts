/**
 * Query limits and rate limits for operations on streams (GraphQL over SSE and
 * over WebSocket): the same checks graphqlRoute.ts runs per HTTP request, run
 * once per operation when it is admitted (a subscription once when it opens),
 * so subscriptions count toward the caller's limits like queries do. Deferred
 * queries (multipart) arrive as ordinary HTTP requests and were already
 * checked and counted by graphqlRoute.ts: they pass here untouched.
 */
import { GraphQLError } from 'graphql';
import type { AdmitOperation } from '../realtime/execution.ts';
import type { createQueryLimiter } from './queryLimits.ts';
import { clientIp, COSTLY_MUTATIONS, type GatewayRateLimiter } from './rateLimits.ts';

export function createStreamAdmission(options: {
  limits: ReturnType<typeof createQueryLimiter>;
  rateLimits: GatewayRateLimiter;
  trustedProxyHops: number;
  /** Further checks after these (GatewayOptions.admitStreamOperation). */
  next?: AdmitOperation | undefined;
}): AdmitOperation {
  return async (admission) => {
    if (admission.transport !== 'multipart') {
      const verdict = options.limits.check(admission.query, admission.operationName, admission.variables ?? {});
      // Refused documents count too, so the limit also caps probing (as on the HTTP path).
      const operation = verdict.ok ? verdict.operation : undefined;
      const costly = operation?.type === 'mutation' ? operation.rootFields.filter((f) => COSTLY_MUTATIONS.has(f)) : [];
      const rate = await options.rateLimits.consume(
        { userId: admission.identity.userId, ip: clientIp(admission.request, options.trustedProxyHops) },
        costly,
      );
      if (!rate.allowed)
        return new GraphQLError(rate.message, { extensions: { code: 'RATE_LIMITED', retryAfterSeconds: rate.retryAfterSeconds } });
      if (!verdict.ok) return new GraphQLError(verdict.message, { extensions: { code: verdict.code } });
    }
    return options.next?.(admission);
  };
}
