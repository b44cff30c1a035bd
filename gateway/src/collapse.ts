/**
 * Inbound request collapsing (REQUEST_COLLAPSING): identical query requests
 * from the same caller that arrive while one is in flight share its response
 * instead of running the plan again. The key includes the verified identity,
 * so collapsing never shares one user's private data with another. Mutations
 * never collapse.
 */
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
