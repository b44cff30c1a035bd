// THE adapter to Apollo's non-public federation modules
// (@apollo/federation-internals, @apollo/query-planner). No other engine file
// imports them. What the engine uses them for:
//   - building the supergraph, its API schema and the subgraph list
//   - the operation model the result shaper walks (Operation / Selection)
//   - the error codes stock uses (ERRORS, errorCodeDef), so errors match stock
//   - Apollo's query planner, selectable as the reference planner
// These packages have no stable API (hence the exact version pins in
// package.json). test/apolloAdapter.test.ts exercises every export below, so
// an @apollo upgrade that breaks one fails there, with the name of the export.
import {
  ERRORS,
  Supergraph,
  Variable,
  assert,
  errorCodeDef,
  isCompositeType,
  isCustomScalarType,
  isListType,
  isNonNullType,
  isObjectType,
  isSubtype,
  isValidLeafValue,
  operationFromDocument,
  typenameFieldName,
} from '@apollo/federation-internals';
import type { Field, FragmentElement, NamedType, Operation, Schema, Selection, SelectionSet, Type } from '@apollo/federation-internals';
import { createRequire } from 'node:module';
import type {
  FetchDataRewrite,
  FetchNode as ApolloFetchNode,
  PlanNode as ApolloPlanNode,
  QueryPlanSelectionNode,
  QueryPlanner,
} from '@apollo/query-planner';
import type { DocumentNode, GraphQLSchema } from 'graphql';
import type { DataRewrite, EnginePlanner, FetchNode, PathSegment, PlanNode, RequiresSelection, RewriteSegment } from './planTypes.ts';

export {
  ERRORS,
  Variable,
  assert,
  errorCodeDef,
  isCompositeType,
  isCustomScalarType,
  isListType,
  isNonNullType,
  isObjectType,
  isSubtype,
  isValidLeafValue,
  operationFromDocument,
  typenameFieldName,
};
export type { Field, FragmentElement, NamedType, Operation, Schema, Selection, SelectionSet, Type };

export interface LoadedSupergraph {
  /** API schema in federation-internals form (operations and shaping) */
  readonly apiSchema: Schema;
  /** API schema as graphql-js (what clients see) */
  readonly apiGraphQLSchema: GraphQLSchema;
  /** the whole supergraph as graphql-js (type tests on subgraph data) */
  readonly supergraphGraphQLSchema: GraphQLSchema;
  readonly subgraphs: readonly { readonly name: string; readonly url: string }[];
  /** Apollo's planner for this supergraph (built on first use: it is slow to build) */
  apolloPlanner(options: ApolloPlannerOptions): EnginePlanner;
  /**
   * Apollo's planner with incremental delivery (@defer) enabled: its Defer nodes carry `parts`.
   * The default planner (Hive's) does not plan @defer incrementally, so deferred queries use this one.
   */
  apolloDeferPlanner(options: ApolloPlannerOptions): EnginePlanner;
  /** The API schema with the @defer directive (what deferred queries validate against); built on first use. */
  apiGraphQLSchemaWithDefer(): GraphQLSchema;
}

export interface ApolloPlannerOptions {
  recursiveSelectionsLimitDisabled?: boolean | undefined;
  nonLocalSelectionsLimitDisabled?: boolean | undefined;
}

export function loadSupergraph(supergraphSdl: string, options: { validate: boolean }): LoadedSupergraph {
  const supergraph = Supergraph.build(supergraphSdl, { validateSupergraph: options.validate });
  const apiSchema = supergraph.apiSchema();
  let withDefer: GraphQLSchema | undefined;
  return {
    apiSchema,
    apiGraphQLSchema: apiSchema.toGraphQLJSSchema(),
    supergraphGraphQLSchema: supergraph.schema.toGraphQLJSSchema(),
    subgraphs: supergraph.subgraphsMetadata().map((s) => ({ name: s.name, url: s.url })),
    apolloPlanner: (plannerOptions) => createApolloPlanner(supergraph, apiSchema, percentagesOf(supergraphSdl), plannerOptions),
    apolloDeferPlanner: (plannerOptions) =>
      createApolloPlanner(supergraph, apiSchema, percentagesOf(supergraphSdl), plannerOptions, {
        incrementalDelivery: { enableDefer: true },
      }),
    apiGraphQLSchemaWithDefer: () => (withDefer ??= apiSchema.toGraphQLJSSchema({ includeDefer: true })),
  };
}

function createApolloPlanner(
  supergraph: Supergraph,
  apiSchema: Schema,
  percentages: readonly number[],
  options: ApolloPlannerOptions,
  config?: { incrementalDelivery: { enableDefer: boolean } },
): EnginePlanner {
  // loaded only when chosen: the default (Hive) planner does not pay for it
  const { QueryPlanner: ApolloQueryPlanner } = createRequire(import.meta.url)('@apollo/query-planner') as {
    QueryPlanner: new (s: Supergraph, c?: { incrementalDelivery: { enableDefer: boolean } }) => QueryPlanner;
  };
  const planner = new ApolloQueryPlanner(supergraph, config);
  return {
    name: 'apollo',
    // Apollo's planner takes explicit label -> boolean conditions; the engine decides them per request.
    overridePercentages: percentages,
    plan(request, document: DocumentNode) {
      const operation = operationFromDocument(apiSchema, document, { operationName: request.operationName });
      const overrideConditions = new Map<string, boolean>();
      for (const label of request.activeLabels) overrideConditions.set(label, true);
      for (const p of percentages) overrideConditions.set(`percent(${p})`, request.percentage < p);
      const plan = planner.buildQueryPlan(operation, {
        overrideConditions,
        recursiveSelectionsLimitDisabled: options.recursiveSelectionsLimitDisabled ?? false,
        nonLocalSelectionsLimitDisabled: options.nonLocalSelectionsLimitDisabled ?? false,
      });
      const node = plan.node;
      if (!node) return { node: undefined, requiresMode: 'apollo' };
      if (node.kind === 'Subscription')
        return {
          node: { kind: 'Subscription', primary: translateFetch(node.primary), rest: node.rest ? translateNode(node.rest) : undefined },
          requiresMode: 'apollo',
        };
      return { node: translateNode(node), requiresMode: 'apollo' };
    },
  };
}

/** `percent(x)` labels of @override in the supergraph SDL, ascending. */
function percentagesOf(sdl: string): number[] {
  const found = new Set<number>();
  for (const m of sdl.matchAll(/overrideLabel:\s*"percent\(([0-9.]+)\)"/g)) found.add(Number(m[1]));
  return [...found].sort((a, b) => a - b);
}

function translateNode(node: ApolloPlanNode): PlanNode {
  switch (node.kind) {
    case 'Sequence':
    case 'Parallel':
      return { kind: node.kind, nodes: node.nodes.map(translateNode) };
    case 'Flatten':
      return {
        kind: 'Flatten',
        path: node.path.map((p): PathSegment => {
          assert(typeof p === 'string', () => `Unexpected ${typeof p} found in path`);
          if (p === '@') return { kind: 'list' };
          if (p.startsWith(FRAGMENT_PREFIX)) return { kind: 'cast', types: [p.slice(FRAGMENT_PREFIX.length)] };
          return { kind: 'field', name: p };
        }),
        node: translateNode(node.node),
      };
    case 'Fetch':
      return translateFetch(node);
    case 'Condition':
      return {
        kind: 'Condition',
        condition: node.condition,
        ifClause: node.ifClause ? translateNode(node.ifClause) : undefined,
        elseClause: node.elseClause ? translateNode(node.elseClause) : undefined,
      };
    case 'Defer':
      return {
        kind: 'Defer',
        primary: node.primary.node ? translateNode(node.primary.node) : undefined,
        deferred: node.deferred.flatMap((d) => (d.node ? [translateNode(d.node)] : [])),
        parts: node.deferred.map((d) => ({
          label: d.label,
          queryPath: d.queryPath,
          subselection: d.subselection,
          depends: d.depends.map((x) => x.id),
          node: d.node ? translateNode(d.node) : undefined,
        })),
      };
  }
}

function translateFetch(node: ApolloFetchNode): FetchNode {
  return {
    kind: 'Fetch',
    serviceName: node.serviceName,
    operation: node.operation,
    operationName: node.operationName,
    operationKind: node.operationKind as FetchNode['operationKind'],
    variableUsages: node.variableUsages ?? [],
    id: node.id,
    requires: node.requires?.map(translateRequires),
    inputRewrites: translateRewrites(node.inputRewrites),
    outputRewrites: translateRewrites(node.outputRewrites),
  };
}

function translateRequires(selection: QueryPlanSelectionNode): RequiresSelection {
  if (selection.kind === 'Field') {
    const key = selection.alias ?? selection.name;
    return { kind: 'Field', from: key, to: key, selections: selection.selections?.map(translateRequires) };
  }
  return { kind: 'InlineFragment', typeCondition: selection.typeCondition, selections: selection.selections.map(translateRequires) };
}

const FRAGMENT_PREFIX = '... on ';

function translateRewrites(rewrites: readonly FetchDataRewrite[] | undefined): DataRewrite[] | undefined {
  if (!rewrites || rewrites.length === 0) return undefined;
  return rewrites.map((r): DataRewrite => {
    const path = r.path.map(
      (p): RewriteSegment => (p.startsWith(FRAGMENT_PREFIX) ? { types: [p.slice(FRAGMENT_PREFIX.length)] } : { key: p }),
    );
    return r.kind === 'ValueSetter'
      ? { kind: 'ValueSetter', path, setValueTo: r.setValueTo }
      : { kind: 'KeyRenamer', path, renameKeyTo: r.renameKeyTo };
  });
}
