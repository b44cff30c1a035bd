/**
 * Gateway error formatting: subgraph errors pass through as the subgraph
 * shaped them (they are already masked there); an exception thrown by the
 * gateway itself is masked in production (with an id to find it in the logs)
 * and keeps its message in development, where the message is what you need.
 * Request errors Apollo raises without a useful code get ours (clientErrors.ts).
 */
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import type { Logger } from '../../lib/logger.ts';
import { internalError } from '../../lib/errors.ts';
import { rewriteRequestError } from './clientErrors.ts';

export function formatGatewayError(log: Logger, options: { production: boolean }) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const { stacktrace: _drop, ...extensions } = formatted.extensions ?? {};
    const original = error instanceof GraphQLError ? error.originalError : error;
    if (original && !(original instanceof GraphQLError) && !(original as { extensions?: unknown }).extensions) {
      return internalError(log, original, formatted, options.production);
    }
    return rewriteRequestError({ ...formatted, extensions });
  };
}
