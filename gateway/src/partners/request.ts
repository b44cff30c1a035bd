/**
 * The GraphQL-over-HTTP request of a partner, as plain fields: `query`,
 * `operationName`, `variables` from a GET query string or a JSON POST body.
 * Anything else a client may send (extensions, persisted-query hashes,
 * document ids, batches) is deliberately not carried forward: the endpoint
 * executes only full query text it has validated itself.
 */
import type { IncomingMessage } from 'node:http';
import { searchOf } from '../../../lib/http/apollo.ts';
import { INPUT_TOO_DEEP, valueDepthExceeds } from '../../../lib/http/nesting.ts';

export interface RequestFields {
  query?: unknown;
  operationName?: unknown;
  variables?: unknown;
}

export type FieldsResult = { ok: true; fields: RequestFields } | { ok: false; status: number; code: string; message: string };

const bad = (message: string): FieldsResult => ({ ok: false, status: 400, code: 'BAD_REQUEST', message });

export function requestFields(req: IncomingMessage, body: unknown): FieldsResult {
  if (req.method === 'GET') {
    const params = new URLSearchParams(searchOf(req));
    const fields: RequestFields = { query: params.get('query') ?? undefined, operationName: params.get('operationName') ?? undefined };
    const variables = params.get('variables');
    if (variables !== null && variables !== '') {
      try {
        fields.variables = JSON.parse(variables);
      } catch {
        return bad('`variables` is not valid JSON');
      }
      if (valueDepthExceeds(fields.variables)) return { ok: false, ...INPUT_TOO_DEEP };
    }
    return { ok: true, fields };
  }
  if (Array.isArray(body)) return bad('Batched requests are not supported on the public endpoint');
  if (body === null || typeof body !== 'object') return bad('Send a JSON body `{ "query": ... }` with content-type application/json');
  const { query, operationName, variables } = body as RequestFields;
  return { ok: true, fields: { query, operationName, variables } };
}
