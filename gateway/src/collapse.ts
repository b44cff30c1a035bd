/**
 * Inbound request collapsing (REQUEST_COLLAPSING): identical query requests
 * from the same caller that arrive while one is in flight share its response
 * instead of running the plan again. The key includes the verified identity,
 * so collapsing never shares one user's private data with another. Mutations
 * never collapse.
 */
import { parse, type OperationTypeNode } from 'graphql';
import type { HTTPGraphQLResponse } from '@apollo/server';

export function createCollapser() {
  const inflight = new Map<string, Promise<HTTPGraphQLResponse>>();
  return async function collapse(key: string, run: () => Promise<HTTPGraphQLResponse>): Promise<HTTPGraphQLResponse> {
    const existing = inflight.get(key);
    if (existing) return existing;
    const promise = run().finally(() => inflight.delete(key));
    inflight.set(key, promise);
    const response = await promise;
    // A streamed (incremental) body can be consumed once only: such a response is not shareable.
    if (response.body.kind !== 'complete') inflight.delete(key);
    return response;
  };
}

/** Operation type of a document, memoised per text; undefined when it does not parse (Apollo will say why). */
export function createOperationTypeLookup(limit = 2_000) {
  const cache = new Map<string, Map<string | null, OperationTypeNode | undefined>>();
  return function operationType(query: string, operationName: string | null | undefined): OperationTypeNode | undefined {
    let byName = cache.get(query);
    if (!byName) {
      byName = new Map();
      try {
        const ops = parse(query, { noLocation: true }).definitions.filter((d) => d.kind === 'OperationDefinition');
        for (const op of ops) byName.set(op.name?.value ?? null, op.operation);
        if (ops.length === 1) byName.set(null, ops[0]!.operation);
      } catch {
        // leave empty
      }
      if (cache.size >= limit) cache.clear();
      cache.set(query, byName);
    }
    return byName.get(operationName ?? null);
  };
}
