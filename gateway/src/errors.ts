/**
 * Gateway error formatting: subgraph errors pass through as the subgraph
 * shaped them (they are already masked there); an exception thrown by the
 * gateway itself is masked, never shown with its message or stack.
 */
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import type { Logger } from '../../lib/logger.ts';
import { ErrorCode } from '../../lib/errors.ts';

export function formatGatewayError(log: Logger) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const { stacktrace: _drop, ...extensions } = formatted.extensions ?? {};
    const original = error instanceof GraphQLError ? error.originalError : error;
    if (original && !(original instanceof GraphQLError) && !(original as { extensions?: unknown }).extensions) {
      log.error({ err: original, path: formatted.path }, 'unexpected gateway error');
      return { message: 'Internal server error', path: formatted.path, locations: formatted.locations, extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR } };
    }
    return { ...formatted, extensions };
  };
}
