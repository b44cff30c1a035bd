// Query plan execution: the engine's plan (planTypes.ts, from either planner)
// is compiled once per operation into a tree of closures. Fetch semantics
// follow executeQueryPlan.js of @apollo/gateway; BatchFetch, typed Flatten
// paths and aliased requires follow Hive Router's plan format.
import { entityFieldPaths, fetchedFieldKeys, isSubgraphUnavailable, type SubgraphUnavailableHandler } from './partialFailures.ts';
import type { GraphQLError, GraphQLSchema } from 'graphql';
import { compileRequires, type RepresentationBuilder } from './representations.ts';
import { RepresentationMemo } from './representationMemo.ts';
import { compileRewrites, type Rewriter } from './rewrites.ts';
import { layersOf, mergeInto, readMerged, type Layers } from './merge.ts';
import { compilePath, entitiesAt, hydratedPaths, type CompiledSegment, type PathElement } from './paths.ts';
import { UnsupportedPlanError, downstreamServiceError, errorFromResponse, networkError, parseBody } from './errors.ts';
import { outcomeJson, type RawOutcome } from './transport.ts';
import { restrictCachePolicy } from './cacheControl.ts';
import type { BatchFetchNode, EngineQueryPlan, FetchNode, PlanNode } from './planTypes.ts';

type Obj = Record<string, unknown>;

export interface Cursor {
  /** path of `entities` from the response root */
  readonly path: readonly CompiledSegment[];
  /** the root object, or (below a Flatten) the owned entities found at `path` */
  readonly entities: readonly unknown[];
}

/** Sends one subgraph request through the engine's hook chain. */
export type SubgraphSender = (
  ctx: ExecContext,
  serviceName: string,
  body: string,
  operationKind: FetchNode['operationKind'],
) => Promise<RawOutcome>;

export interface ExecContext {
  readonly root: Obj;
  readonly errors: unknown[];
  /** variables as the client sent them (forwarded to subgraphs like stock does) */
  readonly variables: Obj | undefined;
  /** default values of the operation's variables (for Condition nodes) */
  readonly variableDefaults: Obj;
  readonly cachePolicy: unknown;
  readonly metrics: { nonFtv1ErrorPaths?: { subgraph: string; path: unknown }[] } | undefined;
  readonly contextValue: unknown;
  readonly signal: AbortSignal | undefined;
  readonly operationKind: 'query' | 'mutation' | 'subscription';
  readonly send: SubgraphSender;
  /** Partial-data mode: replaces the error of a fetch whose subgraph is unavailable (partialFailures.ts). */
  readonly subgraphUnavailable?: SubgraphUnavailableHandler | undefined;
}

export type Exec = (ctx: ExecContext, cursor: Cursor) => Promise<void> | void;

export function compilePlan(plan: EngineQueryPlan, supergraphSchema: GraphQLSchema): Exec | undefined {
  if (!plan.node) return undefined;
  return compileNode(plan.node, supergraphSchema, plan.requiresMode);
}

/** The layers of the request (merge.ts), kept on its response root (`newResponseRoot`). */
function requestLayers(ctx: ExecContext): Layers {
  const layers = layersOf(ctx.root);
  if (!layers) throw new Error('the response root of a request must come from newResponseRoot()');
  return layers;
}

/** The entities at `path` below each of `from` (no copy for the usual single root). */
function entitiesBelow(ctx: ExecContext, from: readonly unknown[], path: readonly CompiledSegment[]): unknown[] {
  const layers = requestLayers(ctx);
  if (from.length === 1) return entitiesAt(layers, from[0], path);
  const entities: unknown[] = [];
  for (const e of from) for (const found of entitiesAt(layers, e, path)) entities.push(found);
  return entities;
}

/** A Boolean variable's value, its default when not sent. */
function variableValue(ctx: ExecContext, name: string): unknown {
  const v = ctx.variables?.[name];
  return v === undefined ? ctx.variableDefaults[name] : v;
}

/** Also used by the streaming executors (a subscription's `rest`, deferred parts). */
export function compileNode(node: PlanNode, schema: GraphQLSchema, mode: EngineQueryPlan['requiresMode']): Exec {
  switch (node.kind) {
    case 'Sequence': {
      const children = node.nodes.map((n) => compileNode(n, schema, mode));
      return async (ctx, cursor) => {
        for (const c of children) await c(ctx, cursor);
      };
    }
    case 'Parallel': {
      const children = node.nodes.map((n) => compileNode(n, schema, mode));
      return async (ctx, cursor) => {
        const ps: (Promise<void> | void)[] = [];
        for (const c of children) ps.push(c(ctx, cursor));
        await Promise.all(ps);
      };
    }
    case 'Flatten': {
      const child = compileNode(node.node, schema, mode);
      const path = compilePath(schema, node.path);
      return (ctx, cursor) => {
        const entities = entitiesBelow(ctx, cursor.entities, path);
        if (entities.length === 0) return;
        return child(ctx, { path: cursor.path.concat(path), entities });
      };
    }
    case 'Fetch':
      return compileFetch(node, schema, mode);
    case 'BatchFetch':
      return compileBatchFetch(node, schema, mode);
    case 'Condition': {
      const ifc = node.ifClause ? compileNode(node.ifClause, schema, mode) : undefined;
      const elsec = node.elseClause ? compileNode(node.elseClause, schema, mode) : undefined;
      const name = node.condition;
      return (ctx, cursor) => {
        const branch = variableValue(ctx, name) === true ? ifc : elsec;
        if (branch) return branch(ctx, cursor);
      };
    }
    case 'Defer': {
      // No incremental delivery yet: deferred parts are fetched after the
      // primary part and returned in the same (single) response.
      const primary = node.primary ? compileNode(node.primary, schema, mode) : undefined;
      const deferred = node.deferred.map((n) => compileNode(n, schema, mode));
      return async (ctx, cursor) => {
        if (primary) await primary(ctx, cursor);
        await Promise.all(deferred.map((d) => d(ctx, cursor)));
      };
    }
    case 'Subscription':
      return () => {
        throw new UnsupportedPlanError('subscriptions are not executed by this engine');
      };
  }
}

/** The variables of the client request a fetch uses (stock: only those sent). */
function selectVariables(ctx: ExecContext, usages: readonly string[]): Obj {
  const variables: Obj = {};
  const provided = ctx.variables;
  if (provided) {
    for (const name of usages) {
      if (Object.prototype.hasOwnProperty.call(provided, name) && typeof provided[name] !== 'undefined') {
        variables[name] = provided[name];
      }
    }
  }
  return variables;
}

/** The request body of a fetch: one flat string, same bytes as RemoteGraphQLDataSource ({query, variables, operationName}). */
function fetchBody(node: FetchNode | BatchFetchNode, variables: Obj): string {
  return JSON.stringify({ query: node.operation, variables, operationName: node.operationName });
}

/**
 * Sends one fetch and returns response.data (shared, read-only). Subgraph
 * errors are re-rooted by `errorPath` and collected; transport and body
 * failures throw (the caller records them).
 */
async function sendFetch(
  ctx: ExecContext,
  node: FetchNode | BatchFetchNode,
  body: string,
  errorPath: (subgraphPath: unknown) => PathElement[] | undefined,
): Promise<unknown> {
  const outcome = await ctx.send(ctx, node.serviceName, body, node.operationKind);
  if (outcome.kind === 'network-error') throw networkError(outcome.url, outcome.error);
  if (outcome.status < 200 || outcome.status > 299) throw errorFromResponse(outcome, outcomeJson);
  const response = parseBody(outcome, outcomeJson) as Obj;
  if (!(response !== null && typeof response === 'object' && !Array.isArray(response))) {
    throw new Error(`Expected JSON response body, but received: ${response}`);
  }
  restrictCachePolicy(ctx.cachePolicy, outcome.cacheControl);
  const errors = response['errors'] as Obj[] | undefined;
  if (errors) {
    const serviceName = node.serviceName;
    const mapped: GraphQLError[] = errors.map((e) => downstreamServiceError(e, serviceName, errorPath));
    ctx.errors.push(...mapped);
    const ext = response['extensions'] as Obj | undefined;
    if (!ext?.['ftv1'] && ctx.metrics) {
      const errorPaths = errors.map((error) => ({ subgraph: serviceName, path: error['path'] }));
      if (ctx.metrics.nonFtv1ErrorPaths) ctx.metrics.nonFtv1ErrorPaths.push(...errorPaths);
      else ctx.metrics.nonFtv1ErrorPaths = errorPaths;
    }
  }
  return response['data'];
}

/** Representations of `entities` (and which entity each one belongs to). */
function buildRepresentations(
  ctx: ExecContext,
  entities: readonly unknown[],
  buildRep: RepresentationBuilder,
  inputRewrite: Rewriter | undefined,
  mode: EngineQueryPlan['requiresMode'],
  representations: Obj[],
  owners: number[],
): void {
  const layers = requestLayers(ctx);
  for (let index = 0; index < entities.length; index++) {
    const entity = entities[index] as Obj;
    const representation = buildRep(entity, ctx.variables, layers);
    if (!representation) continue;
    if (mode === 'hive' && representation['__typename'] === undefined) {
      const typename = readMerged(entity, layers.get(entity), '__typename');
      if (typename !== undefined) representation['__typename'] = typename;
    }
    if (!representation['__typename']) continue;
    if (inputRewrite) inputRewrite(representation);
    representations.push(representation);
    owners.push(index);
  }
}

/** Merges one received entity into its owner (copy + output rewrites when the plan has them). */
function mergeEntity(layers: Layers, existing: Obj, received: Obj | null | undefined, outputRewrite: Rewriter | undefined): void {
  if (received === undefined || received === null) return;
  if (outputRewrite) {
    // stock mutates the received entity (sets __typename, applies rewrites): do it on a copy
    received = structuredClone(received);
    if (!received['__typename']) received['__typename'] = readMerged(existing, layers.get(existing), '__typename');
    outputRewrite(received);
  }
  mergeInto(layers, existing, received);
}

/** An entity fetch's request, as built for one list of entities. */
interface EntityRequest {
  readonly body: string;
  /** for each representation sent, the index of its entity */
  readonly owners: readonly number[];
}

function compileFetch(fetch: FetchNode, schema: GraphQLSchema, mode: EngineQueryPlan['requiresMode']): Exec {
  const buildRep = fetch.requires ? compileRequires(schema, fetch.requires, mode) : undefined;
  const inputRewrite = compileRewrites(schema, fetch.inputRewrites);
  const outputRewrite = compileRewrites(schema, fetch.outputRewrites);
  const memo = new RepresentationMemo<EntityRequest>(!!buildRep?.readsOnlyTheEntity && fetch.variableUsages.length === 0);
  // a root fetch that uses no client variable sends the same body for every request: built once (and the
  // dedup then compares it by reference)
  const constantRootBody = !buildRep && fetch.variableUsages.length === 0 ? fetchBody(fetch, {}) : undefined;

  const run = async (ctx: ExecContext, cursor: Cursor): Promise<void> => {
    const entities = cursor.entities;
    if (entities.length < 1) return;
    if (!buildRep) {
      // root fetch: errors are relative to the cursor
      const body = constantRootBody ?? fetchBody(fetch, selectVariables(ctx, fetch.variableUsages));
      let data = await sendFetch(ctx, fetch, body, (ep) => rootErrorPath(cursor, ep));
      if (data && outputRewrite) {
        data = structuredClone(data);
        outputRewrite(data);
      }
      const layers = requestLayers(ctx);
      for (const entity of entities) mergeInto(layers, entity as Obj, data);
      return;
    }
    const layers = requestLayers(ctx);
    const request = memo.obtain([entities], layers, () => {
      const representations: Obj[] = [];
      const owners: number[] = [];
      buildRepresentations(ctx, entities, buildRep, inputRewrite, mode, representations, owners);
      if (representations.length < 1) return undefined;
      const variables = selectVariables(ctx, fetch.variableUsages);
      if ('representations' in variables) throw new Error(`Variables cannot contain key "representations"`);
      variables['representations'] = representations;
      return { body: fetchBody(fetch, variables), owners };
    });
    if (request === undefined) return;
    const { owners } = request.value;
    const count = owners.length;
    let paths: PathElement[][] | undefined;
    const errorPath = (ep: unknown): PathElement[] | undefined => {
      const p = ep as PathElement[] | undefined | null;
      if (typeof p?.[1] === 'number') {
        // ["_entities", i, ...rest] -> the owning entity's response path
        paths ??= hydratedPaths(ctx.root, cursor.path);
        const owner = owners[p[1]];
        return [...((owner === undefined ? undefined : paths[owner]) ?? []), ...p.slice(2)];
      }
      return rootErrorPath(cursor, ep);
    };
    let dataReceived: Obj | null | undefined;
    try {
      dataReceived = (await sendFetch(ctx, fetch, request.value.body, errorPath)) as Obj | null | undefined;
    } finally {
      request.release();
    }
    if (!dataReceived) return;
    const received = dataReceived['_entities'];
    if (!(received && Array.isArray(received))) throw new Error(`Expected "data._entities" in response to be an array`);
    if (received.length !== count) throw new Error(`Expected "data._entities" to contain ${count} elements`);
    for (let i = 0; i < count; i++) mergeEntity(layers, entities[owners[i]!] as Obj, received[i] as Obj | null, outputRewrite);
  };

  return recordingFailures(run, fetch.serviceName, fetch.operation, (ctx, cursor, fieldKeys) =>
    fetch.requires
      ? entityFieldPaths(ctx.root, cursor.path, fieldKeys.get('_entities') ?? [])
      : (fieldKeys.get('') ?? []).map((key) => rootErrorPath(cursor, [key])!),
  );
}

/**
 * A fetch node's failure, recorded instead of thrown: nothing when the client is gone (nobody reads the
 * response: no error per entity is built for it); in partial-data mode, SERVICE_UNAVAILABLE errors on the
 * fields the fetch would have filled (`failedPaths`); otherwise the error itself.
 */
function recordingFailures(
  run: Exec,
  serviceName: string,
  operation: string,
  failedPaths: (ctx: ExecContext, cursor: Cursor, fieldKeys: Map<string, string[]>) => PathElement[][],
): Exec {
  let fieldKeys: Map<string, string[]> | undefined; // parsed on the first failure only
  return async (ctx, cursor) => {
    try {
      await run(ctx, cursor);
    } catch (error) {
      if (ctx.signal?.aborted) return;
      if (ctx.subgraphUnavailable && isSubgraphUnavailable(error)) {
        fieldKeys ??= fetchedFieldKeys(operation);
        ctx.errors.push(...ctx.subgraphUnavailable(error, serviceName, failedPaths(ctx, cursor, fieldKeys)));
      } else ctx.errors.push(error);
    }
  };
}

/** stock: a root fetch's error path is the cursor path plus the subgraph's path */
function rootErrorPath(cursor: Cursor, ep: unknown): PathElement[] | undefined {
  const p = ep as PathElement[] | undefined | null;
  if (!p) return undefined;
  const prefix: PathElement[] = [];
  for (const s of cursor.path) {
    if (s.kind === 'field') prefix.push(s.name);
    else if (s.kind === 'list') prefix.push('@');
  }
  return [...prefix, ...p];
}

/** The representations one BatchFetch alias sends for the entities at one of its paths. */
interface BatchGroup {
  /** index of the alias */
  readonly alias: number;
  /** index of the path among the alias's paths */
  readonly path: number;
  /** the entities at the path */
  readonly entities: readonly unknown[];
  /** for each representation sent, the index of its entity in `entities` */
  readonly owners: readonly number[];
  /** index of the first representation in the alias's representations variable */
  readonly repStart: number;
}

/** A BatchFetch's request, as built for the entities at each (alias, path). */
interface BatchRequest {
  readonly body: string;
  readonly groups: readonly BatchGroup[];
  /** per alias: how many representations its variable sent */
  readonly sent: readonly number[];
}

function compileBatchFetch(node: BatchFetchNode, schema: GraphQLSchema, mode: EngineQueryPlan['requiresMode']): Exec {
  const aliases = node.aliases.map((a) => ({
    alias: a.alias,
    variable: a.representationsVariableName,
    paths: a.paths.map((p) => compilePath(schema, p)),
    buildRep: compileRequires(schema, a.requires, mode),
    inputRewrite: compileRewrites(schema, a.inputRewrites),
    outputRewrite: compileRewrites(schema, a.outputRewrites),
  }));
  const variableNames = [...new Set(aliases.map((a) => a.variable))];
  const memo = new RepresentationMemo<BatchRequest>(
    node.variableUsages.length === 0 && aliases.every((a) => a.buildRep.readsOnlyTheEntity),
  );

  /** The request for the entities at each (alias, path), in that order; undefined when there is nothing to send. */
  const buildRequest = (ctx: ExecContext, lists: readonly (readonly unknown[])[]): BatchRequest | undefined => {
    // One record per (alias, path) that has representations, not one per representation: a big
    // plan sends hundreds, and per-representation bookkeeping was a large share of the request's
    // allocation. Representation k of a group is owners[k] among its entities and item
    // repStart + k of the alias's representations variable.
    const groups: BatchGroup[] = [];
    const byVariable = new Map<string, Obj[]>();
    for (const v of variableNames) byVariable.set(v, []);
    let slot = 0;
    for (let a = 0; a < aliases.length; a++) {
      const alias = aliases[a]!;
      const reps = byVariable.get(alias.variable)!;
      for (let p = 0; p < alias.paths.length; p++) {
        const entities = lists[slot++]!;
        if (entities.length === 0) continue;
        const owners: number[] = [];
        const repStart = reps.length;
        buildRepresentations(ctx, entities, alias.buildRep, alias.inputRewrite, mode, reps, owners);
        if (owners.length > 0) groups.push({ alias: a, path: p, entities, owners, repStart });
      }
    }
    if (groups.length === 0) return undefined;
    const variables = selectVariables(ctx, node.variableUsages);
    // every declared representations variable is sent, empty lists included (the operation requires them)
    for (const [name, reps] of byVariable) variables[name] = reps;
    return { body: fetchBody(node, variables), groups, sent: aliases.map((a) => byVariable.get(a.variable)!.length) };
  };

  const run = async (ctx: ExecContext, cursor: Cursor): Promise<void> => {
    const lists: unknown[][] = [];
    for (const alias of aliases) for (const path of alias.paths) lists.push(entitiesBelow(ctx, cursor.entities, path));
    const layers = requestLayers(ctx);
    const request = memo.obtain(lists, layers, () => buildRequest(ctx, lists));
    if (request === undefined) return;
    const { groups, sent } = request.value;
    const hydrated = new Map<string, PathElement[][]>();
    const errorPath = (ep: unknown): PathElement[] | undefined => {
      const p = ep as PathElement[] | undefined | null;
      if (!p) return undefined;
      const a = aliases.findIndex((x) => x.alias === p[0]);
      const rep = p[1];
      if (a === -1 || typeof rep !== 'number') return [...p];
      const group = groups.find((g) => g.alias === a && rep >= g.repStart && rep < g.repStart + g.owners.length);
      if (!group) return [...p];
      const key = `${a}:${group.path}`;
      let paths = hydrated.get(key);
      if (!paths) {
        paths = hydratedPaths(ctx.root, cursor.path.concat(aliases[a]!.paths[group.path]!));
        hydrated.set(key, paths);
      }
      return [...(paths[group.owners[rep - group.repStart]!] ?? []), ...p.slice(2)];
    };
    let data: Obj | null | undefined;
    try {
      data = (await sendFetch(ctx, node, request.value.body, errorPath)) as Obj | null | undefined;
    } finally {
      request.release();
    }
    if (!data) return;
    for (let a = 0; a < aliases.length; a++) {
      const alias = aliases[a]!;
      const received = data[alias.alias];
      if (!Array.isArray(received)) {
        if (groups.some((g) => g.alias === a)) throw new Error(`Expected "data.${alias.alias}" in response to be an array`);
        continue;
      }
      const expected = sent[a]!;
      if (received.length !== expected) throw new Error(`Expected "data.${alias.alias}" to contain ${expected} elements`);
      for (const { alias: of, entities, owners, repStart } of groups) {
        if (of !== a) continue;
        for (let k = 0; k < owners.length; k++) {
          mergeEntity(layers, entities[owners[k]!] as Obj, received[repStart + k] as Obj | null, alias.outputRewrite);
        }
      }
    }
  };

  return recordingFailures(run, node.serviceName, node.operation, (ctx, cursor, fieldKeys) =>
    aliases.flatMap((a) => a.paths.flatMap((p) => entityFieldPaths(ctx.root, cursor.path.concat(p), fieldKeys.get(a.alias) ?? []))),
  );
}

/** The cursor of a whole request: its response root (from `newResponseRoot`). */
export function rootCursor(root: Obj): Cursor {
  return { path: [], entities: [root] };
}
