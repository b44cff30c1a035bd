// Query plan execution: the plan is compiled once per operation into a tree of
// closures (Sequence / Parallel / Flatten / Fetch / Condition), with each
// Fetch's request body prefix, representation builder and rewrites prepared
// ahead of time. Semantics follow executeQueryPlan.js of @apollo/gateway.
import type { FetchNode, PlanNode, QueryPlan } from '@apollo/query-planner';
import { evaluateCondition } from '@apollo/query-planner';
import { assert } from '@apollo/federation-internals';
import type { VariableDefinitions } from '@apollo/federation-internals';
import type { GraphQLError, GraphQLSchema } from 'graphql';
import { compileRequires, type RepresentationBuilder } from './representations.ts';
import { compileRewrites, type Rewriter } from './rewrites.ts';
import { flattenOwned, markOwned, mergeInto } from './merge.ts';
import { downstreamServiceError, errorFromResponse, makeErrorPathGenerator, networkError, parseBody } from './errors.ts';
import { outcomeJson, type RawOutcome } from './transport.ts';
import { restrictCachePolicy } from './cacheControl.ts';

type Obj = Record<string, unknown>;

export interface Cursor {
  readonly path: readonly string[];
  readonly data: unknown;
}

/** Sends one subgraph request (transport + headers + dedup decided by the caller). */
export type SubgraphSender = (ctx: ExecContext, serviceName: string, body: string, isQuery: boolean) => Promise<RawOutcome>;

export interface ExecContext {
  readonly root: Obj;
  readonly errors: unknown[];
  readonly variables: Obj | undefined;
  readonly variableDefinitions: VariableDefinitions;
  readonly cachePolicy: unknown;
  readonly metrics: { nonFtv1ErrorPaths?: { subgraph: string; path: unknown }[] } | undefined;
  readonly contextValue: unknown;
  readonly send: SubgraphSender;
  /** per-request memo, used by the sender for subgraph headers */
  headerMemo: Map<string, unknown> | undefined;
}

export type Exec = (ctx: ExecContext, cursor: Cursor) => Promise<void> | void;

export function compilePlan(plan: QueryPlan, supergraphSchema: GraphQLSchema): Exec | undefined {
  const node = plan.node;
  if (!node) return undefined;
  if (node.kind === 'Subscription') {
    return () => {
      throw new Error('Execution of subscriptions not supported by gateway');
    };
  }
  return compileNode(node, supergraphSchema);
}

/** Also used by the streaming executors (subscription `rest`, deferred parts). */
export function compileNode(node: PlanNode, schema: GraphQLSchema): Exec {
  switch (node.kind) {
    case 'Sequence': {
      const children = node.nodes.map((n) => compileNode(n, schema));
      return async (ctx, cursor) => {
        for (const c of children) await c(ctx, cursor);
      };
    }
    case 'Parallel': {
      const children = node.nodes.map((n) => compileNode(n, schema));
      return async (ctx, cursor) => {
        const ps: (Promise<void> | void)[] = [];
        for (const c of children) ps.push(c(ctx, cursor));
        await Promise.all(ps);
      };
    }
    case 'Flatten': {
      const child = compileNode(node.node, schema);
      const path = node.path.map((p) => {
        assert(typeof p === 'string', () => `Unexpected ${typeof p} found in path`);
        return p as string;
      });
      return (ctx, cursor) => {
        const data = flattenAt(ctx, cursor.data, path);
        if (!data) return;
        return child(ctx, { path: cursor.path.concat(path), data });
      };
    }
    case 'Fetch':
      return compileFetch(node, schema);
    case 'Condition': {
      const ifc = node.ifClause ? compileNode(node.ifClause, schema) : undefined;
      const elsec = node.elseClause ? compileNode(node.elseClause, schema) : undefined;
      return (ctx, cursor) => {
        const cond = evaluateCondition(node, ctx.variableDefinitions, ctx.variables);
        const branch = cond ? ifc : elsec;
        if (branch) return branch(ctx, cursor);
      };
    }
    case 'Defer':
      return () => {
        assert(false, `@defer support is not available in the gateway`);
      };
  }
}

/** moveIntoCursor/flattenResultsAtPath on the request's copy-on-write tree. */
function flattenAt(ctx: ExecContext, data: unknown, path: readonly string[]): unknown {
  if (path.length === 0) return data;
  if (data === undefined || data === null) return data;
  // root (owned) or, for a nested Flatten, an owned entity or list of entities
  return flattenOwned(markOwned({ r: data }), 'r', path, 0);
}

function compileFetch(fetch: FetchNode, schema: GraphQLSchema): Exec {
  const serviceName = fetch.serviceName;
  const isQuery = fetch.operationKind === 'query';
  const variableUsages = fetch.variableUsages ?? [];
  const query = fetch.operation;
  const operationName = fetch.operationName;
  const buildRep: RepresentationBuilder | undefined = fetch.requires ? compileRequires(schema, fetch.requires) : undefined;
  const inputRewrite: Rewriter | undefined = compileRewrites(schema, fetch.inputRewrites);
  const outputRewrite: Rewriter | undefined = compileRewrites(schema, fetch.outputRewrites);
  const isEntityFetch = !!fetch.requires;

  const variablesFor = (ctx: ExecContext): Obj => {
    const variables: Obj = {};
    const provided = ctx.variables;
    if (provided) {
      for (const name of variableUsages) {
        if (Object.prototype.hasOwnProperty.call(provided, name) && typeof provided[name] !== 'undefined') {
          variables[name] = provided[name];
        }
      }
    }
    return variables;
  };

  /** sendOperation: returns response.data (shared, read-only) */
  const sendOperation = async (ctx: ExecContext, cursor: Cursor, variables: Obj): Promise<unknown> => {
    // one flat string, same bytes as RemoteGraphQLDataSource: {query, variables, operationName}
    const body = JSON.stringify({ query, variables, operationName });
    const outcome = await ctx.send(ctx, serviceName, body, isQuery);
    if (outcome.kind === 'network-error') throw networkError(outcome.url, outcome.error);
    if (outcome.status < 200 || outcome.status > 299) throw errorFromResponse(outcome, outcomeJson);
    const response = parseBody(outcome, outcomeJson) as Obj;
    if (!(response !== null && typeof response === 'object' && !Array.isArray(response))) {
      throw new Error(`Expected JSON response body, but received: ${response}`);
    }
    restrictCachePolicy(ctx.cachePolicy, outcome.cacheControl);
    const errors = response['errors'] as Obj[] | undefined;
    if (errors) {
      const pathGen = makeErrorPathGenerator(isEntityFetch, cursor.path, ctx.root);
      const mapped: GraphQLError[] = errors.map((e) => downstreamServiceError(e, serviceName, pathGen));
      ctx.errors.push(...mapped);
      const ext = response['extensions'] as Obj | undefined;
      if (!ext?.['ftv1'] && ctx.metrics) {
        const errorPaths = errors.map((error) => ({ subgraph: serviceName, path: error['path'] }));
        if (ctx.metrics.nonFtv1ErrorPaths) ctx.metrics.nonFtv1ErrorPaths.push(...errorPaths);
        else ctx.metrics.nonFtv1ErrorPaths = errorPaths;
      }
    }
    return response['data'];
  };

  const run = async (ctx: ExecContext, cursor: Cursor): Promise<void> => {
    let entities: unknown[];
    const cdata = cursor.data;
    if (Array.isArray(cdata)) {
      entities = [];
      for (const e of cdata) if (e !== null && e !== undefined) entities.push(e);
    } else {
      entities = [cdata];
    }
    if (entities.length < 1) return;
    const variables = variablesFor(ctx);
    if (!buildRep) {
      let data = await sendOperation(ctx, cursor, variables);
      if (data && outputRewrite) {
        data = structuredClone(data);
        outputRewrite(data);
      }
      for (const entity of entities) mergeInto(entity as Obj, data);
      return;
    }
    const representations: Obj[] = [];
    const representationToEntity: number[] = [];
    for (let index = 0; index < entities.length; index++) {
      const representation = buildRep(entities[index]);
      if (representation && representation['__typename']) {
        if (inputRewrite) inputRewrite(representation);
        representations.push(representation);
        representationToEntity.push(index);
      }
    }
    const count = representations.length;
    if (count < 1) return;
    if ('representations' in variables) throw new Error(`Variables cannot contain key "representations"`);
    variables['representations'] = representations;
    const dataReceived = (await sendOperation(ctx, cursor, variables)) as Obj | null | undefined;
    if (!dataReceived) return;
    const received = dataReceived['_entities'];
    if (!(received && Array.isArray(received))) throw new Error(`Expected "data._entities" in response to be an array`);
    if (received.length !== count) {
      throw new Error(`Expected "data._entities" to contain ${count} elements`);
    }
    for (let i = 0; i < entities.length; i++) {
      let receivedEntity = received[i] as Obj | null | undefined;
      const entityIndex = representationToEntity[i];
      const existingEntity = entityIndex === undefined ? undefined : (entities[entityIndex] as Obj);
      if (outputRewrite) {
        // stock mutates the received entity (sets __typename, applies rewrites): do it on a copy
        if (receivedEntity) {
          receivedEntity = structuredClone(receivedEntity);
          if (!receivedEntity['__typename']) receivedEntity['__typename'] = existingEntity!['__typename'];
        }
        outputRewrite(receivedEntity);
      }
      // Without rewrites, setting a missing __typename on the received entity
      // only re-writes the existing entity's own __typename: skipped.
      if (existingEntity !== undefined && receivedEntity !== undefined && receivedEntity !== null) {
        mergeInto(existingEntity, receivedEntity);
      }
    }
  };

  return async (ctx, cursor) => {
    try {
      await run(ctx, cursor);
    } catch (error) {
      ctx.errors.push(error);
    }
  };
}
