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
import { parse, print, visit, type ExecutionResult } from 'graphql';
import type { Identity } from '../../../lib/internalToken.ts';
import type { GraphQLRequestFields } from '../persisted/trustedDocuments.ts';
import type { StreamExecution } from './execution.ts';
import type { StreamRegistry } from './registry.ts';
import type { FastGateway } from '@tma/engine';

export const MULTIPART_CONTENT_TYPE = 'multipart/mixed; boundary="-"; deferSpec=20220824';
// Apollo Server's framing: every part is followed by the next boundary at once (`---`, or `-----`
// after the last one), so a client can use a part without waiting for the next.
const PART_HEAD = 'content-type: application/json; charset=utf-8\r\n\r\n';
const part = (payload: unknown, hasNext: boolean) => `${PART_HEAD}${JSON.stringify(payload)}\r\n---${hasNext ? '' : '--'}\r\n`;

export function acceptsMultipart(req: IncomingMessage): boolean {
  return /(^|,)\s*multipart\/mixed\s*(;|,|$)/i.test(req.headers.accept ?? '');
}

/**
 * A query with every @defer removed: what a client that cannot read
 * multipart/mixed gets answered (the whole result at once, as if it had not
 * asked to defer). An APQ hash no longer matches the text, so it is dropped.
 */
function withoutDefer(request: GraphQLRequestFields, query: string): GraphQLRequestFields {
  let document;
  try {
    document = parse(query);
  } catch {
    return request; // the usual path reports the syntax error
  }
  const withoutDirectives = visit(document, { Directive: (node) => (node.name.value === 'defer' ? null : undefined) });
  // A variable only used by @defer(if: $v) is no longer used: drop its definition (the value sent is ignored).
  const used = new Set<string>();
  visit(withoutDirectives, { VariableDefinition: () => false, Variable: (node) => void used.add(node.name.value) });
  const stripped = visit(withoutDirectives, { VariableDefinition: (node) => (used.has(node.variable.name.value) ? undefined : null) });
  const { extensions, ...rest } = request;
  const { persistedQuery: _hash, ...otherExtensions } = (extensions && typeof extensions === 'object' ? extensions : {}) as Record<
    string,
    unknown
  >;
  return { ...rest, ...(Object.keys(otherExtensions).length ? { extensions: otherExtensions } : {}), query: print(stripped) };
}

export type DeferredOutcome = { answered: true } | { answered: false; request: GraphQLRequestFields };

export function createDeferredResponder(options: {
  engine: FastGateway | undefined;
  execution: StreamExecution;
  registry: StreamRegistry;
}) {
  const { engine, execution } = options;

  /**
   * A query with @defer: answered here with incremental delivery when the
   * client accepts multipart/mixed; otherwise (or when nothing ends up
   * deferred, or the query is invalid) the request to run the usual way.
   */
  return async function respondDeferred(
    req: IncomingMessage,
    res: ServerResponse,
    request: GraphQLRequestFields,
    identity: Identity,
  ): Promise<DeferredOutcome> {
    const query = request.query;
    if (!engine || typeof query !== 'string' || !query.includes('@defer')) return { answered: false, request };
    if (!acceptsMultipart(req)) return { answered: false, request: withoutDefer(request, query) };
    const prepared = await execution.prepare(request, identity, 'multipart', req);
    // Invalid or refused: the usual path answers with the usual errors.
    if (!prepared.ok) return { answered: false, request: withoutDefer(request, query) };
    const { args } = prepared;
    const response = await engine.executeDeferred({
      query: args.contextValue.query,
      document: args.document,
      operationName: args.operationName,
      variables: args.variableValues,
      context: () => execution.engineContext(identity),
    });
    if (!response || !('initial' in response)) return { answered: false, request: withoutDefer(request, query) };

    res.writeHead(200, { 'content-type': MULTIPART_CONTENT_TYPE, 'cache-control': 'no-store', vary: 'accept' });
    const write = (text: string) => new Promise<void>((resolve) => res.write(text, () => resolve()));
    let parts = 1;
    await write(`\r\n---\r\n${part(execution.formatResult(response.initial as ExecutionResult), true)}`);
    for await (const payload of response.subsequent) {
      if (res.destroyed) break;
      parts++;
      const incremental = payload.incremental.map((item) =>
        item.errors ? { ...item, errors: execution.formatResult({ errors: item.errors } as ExecutionResult).errors } : item,
      );
      await write(part({ ...payload, incremental }, payload.hasNext));
    }
    options.registry.deferredResponse(parts);
    res.end();
    return { answered: true };
  };
}
