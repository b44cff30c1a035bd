/**
 * A request without initData may read public fields; when it touches a field
 * that needs a user, the field answers UNAUTHENTICATED. This plugin turns that
 * into HTTP 401, so clients (and proxies) see an auth failure as one.
 */
import type { ApolloServerPlugin } from '@apollo/server';
import { ErrorCode } from '../../../lib/errors.ts';

export function unauthenticatedStatusPlugin(): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response }) {
          if (response.body.kind !== 'single') return;
          const errors = response.body.singleResult.errors;
          if (errors?.some((e) => e.extensions?.code === ErrorCode.UNAUTHENTICATED)) {
            response.http.status = 401;
            response.http.headers.set('www-authenticate', 'tma');
          }
        },
      };
    },
  };
}
