/**
 * Responses the partner endpoint writes itself (refusals, introspection).
 * Same shape as every GraphQL error of the gateway: `errors[].extensions.code`
 * from the stable vocabulary, no stack, nothing from the request's secrets.
 */
import type { ServerResponse } from 'node:http';
import type { GraphQLFormattedError } from 'graphql';
import { sendJson } from '../../../lib/http/io.ts';

export function sendErrors(
  res: ServerResponse,
  status: number,
  errors: readonly GraphQLFormattedError[],
  headers: Record<string, string> = {},
): void {
  // Refusals are about this request and this key: never let a shared cache keep them.
  sendJson(res, status, { errors }, { 'cache-control': 'no-store', ...headers });
}

export function sendError(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
  extensions: Record<string, unknown> = {},
): void {
  sendErrors(res, status, [{ message, extensions: { code, ...extensions } }], headers);
}
