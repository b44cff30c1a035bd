// What the streaming executors (subscriptions: subscription.ts, @defer:
// defer.ts) need from the engine, and the pieces they share. They run the
// same compiled plan nodes, merging and result shaping as a query; only the
// order of delivery differs. Both plan with Apollo's planner (through
// apollo.ts): Hive's planner plans neither subscriptions nor incremental
// @defer, and queries keep the planner they were configured with.
import type { DocumentNode, GraphQLSchema, VariableDefinitionNode } from 'graphql';
import type { Schema } from './apollo.ts';
import { GraphQLError, getVariableValues } from './graphql.ts';
import type { OperationCache } from './operation.ts';
import type { ExecContext, SubgraphSender } from './plan.ts';
import type { SubgraphUnavailableHandler } from './partialFailures.ts';
import type { EnginePlanner } from './planTypes.ts';
import type { CompiledShaper } from './shape.ts';

export interface StreamingDeps {
  readonly apiSchema: Schema;
  readonly gatewaySchema: GraphQLSchema;
  readonly supergraphSchema: GraphQLSchema;
  /** Operations planned by Apollo's planner (subscriptions), built on first use. */
  subscriptionOperations(): OperationCache;
  /** Apollo's planner with incremental delivery, built on first use. */
  deferPlanner(): EnginePlanner;
  readonly send: SubgraphSender;
  readonly subgraphUnavailable: SubgraphUnavailableHandler | undefined;
  /** The client request's AbortSignal, as for queries. */
  requestSignal(contextValue: unknown): AbortSignal | undefined;
  /** Routing URL of a subgraph (after overrides), undefined when unknown. */
  subgraphUrl(name: string): string | undefined;
  /** Extra headers of one subgraph request (identity token), as for queries. */
  subgraphHeaders(contextValue: unknown, subgraphName: string): Readonly<Record<string, string>> | undefined;
}

/** One operation to stream. `context` is called per subgraph round (long streams need fresh identity tokens). */
export interface StreamRequest {
  readonly document: DocumentNode;
  readonly operationName?: string | null | undefined;
  readonly variables?: Record<string, unknown> | null | undefined;
  readonly context: () => Promise<unknown>;
}

/** A result as graphql-js shapes it (errors are GraphQLError objects or subgraph errors re-rooted). */
export interface StreamResult {
  data?: Record<string, unknown> | null;
  errors?: readonly unknown[];
}

/** Variable coercion errors of the request, as the query path answers them. */
export function variableErrors(
  deps: StreamingDeps,
  request: StreamRequest,
  variableDefinitions: readonly VariableDefinitionNode[],
): readonly GraphQLError[] | undefined {
  if (variableDefinitions.length === 0) return undefined;
  return getVariableValues(deps.gatewaySchema, variableDefinitions, request.variables ?? {}).errors;
}

/** A fresh per-round execution context (one subscription event, one deferred part). */
export function execContext(
  deps: StreamingDeps,
  root: Record<string, unknown>,
  errors: unknown[],
  request: StreamRequest,
  contextValue: unknown,
  variableDefaults: Record<string, unknown>,
  operationKind: ExecContext['operationKind'],
): ExecContext {
  return {
    root,
    errors,
    variables: request.variables ?? undefined,
    variableDefaults,
    cachePolicy: undefined,
    metrics: undefined,
    contextValue,
    signal: deps.requestSignal(contextValue),
    operationKind,
    send: deps.send,
    subgraphUnavailable: deps.subgraphUnavailable,
  };
}

/** Shapes `root` into the client's result; shaping failures become a request error like the query path's. */
export function shapeResult(
  shaper: CompiledShaper,
  root: Record<string, unknown>,
  errors: readonly unknown[],
  variables: Record<string, unknown> | undefined,
): StreamResult {
  try {
    const shaped = shaper(root, variables);
    const all = [...errors, ...shaped.errors];
    return all.length ? { data: shaped.data, errors: all } : { data: shaped.data };
  } catch (error) {
    if (error instanceof GraphQLError) return { errors: [error] };
    return { errors: [new GraphQLError('Unexpected error during query plan execution')] };
  }
}
