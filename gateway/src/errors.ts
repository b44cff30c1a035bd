/**
 * Gateway error formatting, the last stop before a client sees an error:
 * - subgraph errors pass through as the subgraph shaped them (already masked there);
 * - nothing internal survives: upstream URLs, response bodies, addresses and stacks are dropped
 *   from extensions and messages (they go to the log with the request id instead);
 * - an exception thrown by the gateway itself is masked in production (with an id to find it in the
 *   logs) and keeps its message in development, where the message is what you need (never an address);
 * - request errors Apollo raises without a useful code get ours (clientErrors.ts).
 */
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import type { Logger } from '../../lib/logger.ts';
import { ErrorCode, internalError } from '../../lib/errors.ts';
import { activeRequestId } from '../../lib/requestContext.ts';
import { rewriteRequestError } from './clientErrors.ts';

/** Extensions that describe our internals (stock @apollo/gateway puts the subgraph URL and body in `response`). */
const INTERNAL_EXTENSIONS = new Set(['response', 'exception', 'stacktrace', 'url', 'serviceUrl', 'request']);
/** URLs and host:port pairs, the shapes an internal address takes in a network error message. */
const ADDRESS = /\b[a-z][a-z0-9+.-]*:\/\/\S+|\b(?:\d{1,3}\.){3}\d{1,3}(?::\d+)?\b|\[[0-9a-f:]+\](?::\d+)?|\b[a-z][\w.-]*:\d{2,5}\b/i;

export function leaksAddress(text: string): boolean {
  return ADDRESS.test(text);
}

export function formatGatewayError(log: Logger, options: { production: boolean }) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const requestId = activeRequestId();
    const original = error instanceof GraphQLError ? error.originalError : error;
    if (original && !(original instanceof GraphQLError) && !(original as { extensions?: unknown }).extensions) {
      const internal = internalError(log, original, formatted, options.production);
      const message = leaksAddress(internal.message) ? 'Internal server error' : internal.message;
      return { ...internal, message, extensions: { ...internal.extensions, ...(requestId ? { requestId } : {}) } };
    }
    const extensions: Record<string, unknown> = {};
    let dropped = false;
    for (const [key, value] of Object.entries(formatted.extensions ?? {})) {
      if (INTERNAL_EXTENSIONS.has(key) || (typeof value === 'string' && leaksAddress(value))) dropped = true;
      else extensions[key] = value;
    }
    if (leaksAddress(formatted.message)) {
      log.warn(
        { err: original ?? error, message: formatted.message, path: formatted.path },
        'error message named an internal address; masked',
      );
      const service = typeof extensions.serviceName === 'string' ? extensions.serviceName : undefined;
      const code = typeof extensions.code === 'string' ? extensions.code : ErrorCode.UPSTREAM_ERROR;
      return masked(
        formatted,
        code,
        service ? `The ${service} service failed to answer` : 'A downstream service failed to answer',
        requestId,
        service,
      );
    }
    if (dropped) {
      log.warn(
        { extensions: formatted.extensions, message: formatted.message, path: formatted.path },
        'internal error details removed from a client error',
      );
      if (requestId) extensions.requestId = requestId;
    }
    return rewriteRequestError({ ...formatted, extensions });
  };
}

function masked(
  formatted: GraphQLFormattedError,
  code: string,
  message: string,
  requestId: string | undefined,
  serviceName?: string,
): GraphQLFormattedError {
  return {
    message,
    ...(formatted.path ? { path: formatted.path } : {}),
    ...(formatted.locations ? { locations: formatted.locations } : {}),
    extensions: { code, ...(serviceName ? { serviceName } : {}), ...(requestId ? { requestId } : {}) },
  };
}
