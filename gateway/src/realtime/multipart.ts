/**
 * @defer over HTTP: a query with @defer, sent with an Accept header that
 * allows `multipart/mixed`, is answered as incremental delivery in the format
 * Apollo Client, urql and Relay read (`multipart/mixed; boundary="-";
 * deferSpec=20220824`): the initial result (`hasNext: true`), then one part
 * per finished deferred fragment (`incremental: [{ data, path, label? }]`).
 * Without that Accept value, or when nothing ends up deferred, the request
 * takes the usual path and gets one complete result.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ExecutionResult } from 'graphql';
import type { Identity } from '../../../lib/internalToken.ts';
import type { GraphQLRequestFields } from '../persisted/trustedDocuments.ts';
import type { StreamExecution } from './execution.ts';
import type { StreamRegistry } from './registry.ts';
import type { FastGateway } from '../engine/index.ts';

export const MULTIPART_CONTENT_TYPE = 'multipart/mixed; boundary="-"; deferSpec=20220824';
const PART_HEAD = '\r\n---\r\ncontent-type: application/json; charset=utf-8\r\n\r\n';
const CLOSE = '\r\n-----\r\n';

export function acceptsMultipart(req: IncomingMessage): boolean {
  return /(^|,)\s*multipart\/mixed\s*(;|,|$)/i.test(req.headers.accept ?? '');
}

export function createDeferredResponder(options: { engine: FastGateway | undefined; execution: StreamExecution; registry: StreamRegistry }) {
  const { engine, execution } = options;

  /** Answers the request with incremental delivery; false when it should take the usual path. */
  return async function respondDeferred(req: IncomingMessage, res: ServerResponse, request: GraphQLRequestFields, identity: Identity): Promise<boolean> {
    if (!engine || typeof request.query !== 'string' || !request.query.includes('@defer') || !acceptsMultipart(req)) return false;
    const prepared = await execution.prepare(request, identity, 'multipart');
    // Invalid or refused: the usual path answers with the usual errors.
    if (!prepared.ok || prepared.args.contextValue.query === undefined) return false;
    const { args } = prepared;
    const response = await engine.executeDeferred({
      query: args.contextValue.query,
      document: args.document,
      operationName: args.operationName,
      variables: args.variableValues,
      context: () => execution.engineContext(identity),
    });
    if (!response || !('initial' in response)) return false;

    res.writeHead(200, { 'content-type': MULTIPART_CONTENT_TYPE, 'cache-control': 'no-store', vary: 'accept' });
    const write = (payload: unknown) => new Promise<void>((resolve) => res.write(PART_HEAD + JSON.stringify(payload), () => resolve()));
    let parts = 1;
    await write(execution.formatResult(response.initial as ExecutionResult));
    for await (const payload of response.subsequent) {
      if (res.destroyed) break;
      parts++;
      const incremental = payload.incremental.map((item) => (item.errors ? { ...item, errors: execution.formatResult({ errors: item.errors } as ExecutionResult).errors } : item));
      await write({ ...payload, incremental });
    }
    options.registry.deferredResponse(parts);
    res.end(CLOSE);
    return true;
  };
}
