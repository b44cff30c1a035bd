// Federated subscriptions. Apollo's planner (Hive's plans no subscriptions)
// plans a subscription as a
// `Subscription` node: a `primary` fetch (a subscription operation on the
// subgraph that owns the root field) and `rest`, the entity fetches that
// complete each event with fields of other subgraphs. Here the primary fetch
// becomes a long-lived GraphQL-over-SSE stream to that subgraph (graphql-sse
// client, distinct connections, internal token in the headers), and every
// event runs `rest` and the result shaper exactly like a query does.
import { createClient } from 'graphql-sse';
import { mapAsyncIterator } from './asyncIterators.ts';
import { GraphQLError } from './graphql.ts';
import { layersOf, mergeInto, newResponseRoot } from './merge.ts';
import { compileNode, rootCursor } from './plan.ts';
import { compileRewrites } from './rewrites.ts';
import { downstreamServiceError, type PathElement } from './errors.ts';
import type { FetchNode } from './planTypes.ts';
import { execContext, shapeResult, variableErrors, type StreamingDeps, type StreamRequest, type StreamResult } from './streaming.ts';

/** How long a subgraph may take to answer the stream request (headers); the stream itself has no deadline. */
const OPEN_DEADLINE_MS = 10_000;

export type SubscriptionResult = AsyncIterableIterator<StreamResult> | StreamResult;

export function createSubscriptionExecutor(deps: StreamingDeps) {
  return async function subscribe(request: StreamRequest): Promise<SubscriptionResult> {
    const operationName = request.operationName ?? undefined;
    let entry;
    let compiled;
    try {
      const operations = deps.subscriptionOperations();
      entry = operations.entry(request.document, operationName, undefined);
      compiled = operations.compiled(entry, request.document, operationName, undefined, undefined);
    } catch (error) {
      return { errors: [error instanceof GraphQLError ? error : new GraphQLError('Could not plan the operation')] };
    }
    const varErrors = variableErrors(deps, request, entry.ctx.variableDefinitions);
    if (varErrors) return { errors: varErrors };
    if (compiled.operationError) return { errors: [compiled.operationError] };
    const node = compiled.plan.node;
    if (!node || node.kind !== 'Subscription' || !compiled.shaper || !compiled.operation) {
      return { errors: [new GraphQLError('Only subscription operations can be streamed here', { extensions: { code: 'BAD_REQUEST' } })] };
    }
    const shaper = compiled.shaper;
    const variableDefaults = entry.ctx.variableDefaults;
    const rest = node.rest ? compileNode(node.rest, deps.supergraphSchema, compiled.plan.requiresMode) : undefined;
    const outputRewrite = compileRewrites(deps.supergraphSchema, node.primary.outputRewrites);
    const primary = node.primary;
    const upstream = await openSubgraphStream(deps, primary, request);
    // The primary fetch answers at the response root: subgraph error paths are already the client's.
    const pathOf = (path: unknown) => (Array.isArray(path) ? (path as PathElement[]) : undefined);

    const runEvent = async (event: { data?: unknown; errors?: readonly unknown[] | null }): Promise<StreamResult> => {
      const root: Record<string, unknown> = newResponseRoot();
      const errors: unknown[] = (event.errors ?? []).map((e) =>
        downstreamServiceError(e as Record<string, unknown>, primary.serviceName, pathOf),
      );
      let data = event.data;
      if (data && outputRewrite) {
        data = structuredClone(data);
        outputRewrite(data);
      }
      if (data === null || data === undefined) return { data: null, errors };
      try {
        mergeInto(layersOf(root)!, root, data);
        if (rest)
          await rest(execContext(deps, root, errors, request, await request.context(), variableDefaults, 'subscription'), rootCursor(root));
      } catch {
        // One bad event must not end the stream: it is answered as an error, the next one may be fine.
        return { data: null, errors: [...errors, new GraphQLError('Unexpected error during query plan execution')] };
      }
      return shapeResult(shaper, root, errors, request.variables ?? undefined);
    };
    return mapAsyncIterator(upstream, runEvent, {
      lastValueOnError: (error) => ({
        errors: [
          new GraphQLError(`The ${primary.serviceName} subscription ended: ${error instanceof Error ? error.message : 'stream failed'}`, {
            extensions: { code: 'SUBSCRIPTION_UPSTREAM_CLOSED', serviceName: primary.serviceName },
          }),
        ],
      }),
    });
  };
}

/** The primary fetch as a graphql-sse stream to its subgraph, with the caller's identity headers. */
async function openSubgraphStream(deps: StreamingDeps, primary: FetchNode, request: StreamRequest) {
  const url = deps.subgraphUrl(primary.serviceName);
  if (!url) throw new Error(`Couldn't find service with name "${primary.serviceName}"`);
  const headers = { ...deps.subgraphHeaders(await request.context(), primary.serviceName) };
  const variables: Record<string, unknown> = {};
  for (const name of primary.variableUsages ?? []) {
    const value = request.variables?.[name];
    if (value !== undefined) variables[name] = value;
  }
  const client = createClient({
    url,
    headers,
    singleConnection: false,
    // The gateway does not retry: the client reconnects and gets the current state first (README).
    retryAttempts: 0,
    fetchFn: fetchWithOpenDeadline,
  });
  return client.iterate({
    query: primary.operation,
    variables,
    ...(primary.operationName ? { operationName: primary.operationName } : {}),
  });
}

/** fetch whose response headers must arrive within OPEN_DEADLINE_MS; the body (the stream) may last. */
async function fetchWithOpenDeadline(input: string | URL | Request, init?: RequestInit): Promise<Response> {
  const opening = new AbortController();
  const timer = setTimeout(() => opening.abort(new Error('subgraph stream did not open in time')), OPEN_DEADLINE_MS);
  const signal = init?.signal ? AbortSignal.any([init.signal, opening.signal]) : opening.signal;
  try {
    return await fetch(input, { ...init, signal });
  } finally {
    clearTimeout(timer);
  }
}
