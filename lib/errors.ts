/**
 * The error vocabulary clients can rely on: every error the product raises on
 * purpose carries one of these `extensions.code` values. Anything else is an
 * internal error, masked before it leaves the process.
 */
import { randomUUID } from 'node:crypto';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';

export const ErrorCode = {
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  NOT_FOUND: 'NOT_FOUND',
  CONFLICT: 'CONFLICT',
  UPSTREAM_ERROR: 'UPSTREAM_ERROR',
  /** The external service behind this field has no credentials on this deployment (production never falls back to the sandbox). */
  SERVICE_NOT_CONFIGURED: 'SERVICE_NOT_CONFIGURED',
  /** Our outbound rate limit for an external service had no slot within the allowed wait. */
  UPSTREAM_RATE_LIMITED: 'UPSTREAM_RATE_LIMITED',
  /** A subgraph could not be reached: the fields it owns are null, the rest of the response stands. */
  SERVICE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  RATE_LIMITED: 'RATE_LIMITED',
  /** createInvoice: the user already holds MAX_PENDING_INVOICES_PER_USER unpaid invoices. */
  TOO_MANY_PENDING_INVOICES: 'TOO_MANY_PENDING_INVOICES',
  /** A partner key's monthly request quota is used up (gateway/src/partners). */
  QUOTA_EXCEEDED: 'QUOTA_EXCEEDED',
  INTERNAL_SERVER_ERROR: 'INTERNAL_SERVER_ERROR',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Codes that are safe to show as they are; everything else is masked. */
export const EXPECTED_CODES: ReadonlySet<string> = new Set([
  ...Object.values(ErrorCode),
  // Apollo Server's own request-level codes.
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
  'PERSISTED_QUERY_NOT_ALLOWED',
]);

export function appError(code: ErrorCode, message: string, extra: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(message, { extensions: { code, ...extra } });
}

export const unauthenticated = (message = 'Sign in with Telegram: send `Authorization: tma <initData>`') =>
  appError(ErrorCode.UNAUTHENTICATED, message);
export const forbidden = (message = 'Not allowed') => appError(ErrorCode.FORBIDDEN, message);
export const badInput = (message: string, field?: string) => appError(ErrorCode.BAD_USER_INPUT, message, field ? { field } : {});
export const notFound = (message: string) => appError(ErrorCode.NOT_FOUND, message);
export const conflict = (message: string) => appError(ErrorCode.CONFLICT, message);

/**
 * The answer for an unexpected error (gateway or subgraph): logged with an
 * `errorId`, which the client also gets, so one can be found from the other.
 * In production the message is masked; in development it is kept (after
 * "Internal server error: "), since there the message is what a developer needs.
 */
export function internalError(
  log: { error(obj: object, msg: string): void },
  original: unknown,
  formatted: GraphQLFormattedError,
  production: boolean,
): GraphQLFormattedError {
  const errorId = randomUUID();
  log.error({ err: original, path: formatted.path, errorId }, 'unexpected error');
  const detail = original instanceof Error ? original.message : formatted.message;
  return {
    message: production ? 'Internal server error' : `Internal server error: ${detail}`,
    path: formatted.path,
    locations: formatted.locations,
    extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR, errorId },
  };
}
