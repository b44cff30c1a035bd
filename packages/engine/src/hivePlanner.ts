// Hive Router's query planner (@graphql-hive/router-query-planner, a native
// addon) behind the engine's planner interface. Its plans are Apollo's format
// with a few differences, translated here once per operation:
//   - Flatten paths are objects ({Field}, {TypeCondition}, "@")
//   - rewrites are {ValueSetter: {...}} / {KeyRenamer: {...}} with
//     {Key} / {TypenameEquals} path segments
//   - `requires` fields read `name` from the data and write `alias` (that is
//     how a field with arguments fetched under an internal alias is sent)
//   - BatchFetch: several `_entities` selections in one subgraph request
import { createRequire } from 'node:module';
import type {
  FetchRewrite,
  FetchNodePathSegment,
  FlattenNodePathSegment,
  PlanNode as HivePlanNode,
  QueryPlanner as HiveQueryPlanner,
  RequiresSelection as HiveRequires,
} from '@graphql-hive/router-query-planner';
import type { DocumentNode, SelectionSetNode } from 'graphql';
import { Kind, print, visit } from './graphql.ts';
import { QueryPlanningError, UnsupportedPlanError } from './errors.ts';
import type { DataRewrite, EnginePlanner, FetchNode, PathSegment, PlanNode, RequiresSelection, RewriteSegment } from './planTypes.ts';

// The addon is CommonJS-loadable; require() keeps it out of ESM loader paths.
const hive = createRequire(import.meta.url)('@graphql-hive/router-query-planner') as typeof import('@graphql-hive/router-query-planner');

export function createHivePlanner(supergraphSdl: string): EnginePlanner {
  const planner: HiveQueryPlanner = new hive.QueryPlanner(supergraphSdl);
  const overridePercentages = [...planner.overridePercentages].sort((a, b) => a - b);
  return {
    name: 'hive',
    overridePercentages,
    plan(request, document: DocumentNode) {
      // Introspection is answered by the engine itself; Hive's planner does not plan it.
      const query = INTROSPECTION_FIELD.test(request.query) ? print(withoutIntrospection(document)) : request.query;
      let plan: ReturnType<HiveQueryPlanner['plan']>;
      try {
        plan = planner.plan(query, request.operationName ?? null, new Set(request.activeLabels), request.percentage);
      } catch (error) {
        // a valid operation the supergraph cannot serve (e.g. a field only a non-resolvable entity has)
        throw new QueryPlanningError((error as Error).message);
      }
      return { node: plan.node ? translateNode(plan.node) : undefined, requiresMode: 'hive' };
    },
  };
}

function translateNode(node: HivePlanNode): PlanNode {
  switch (node.kind) {
    case 'Sequence':
    case 'Parallel':
      return { kind: node.kind, nodes: node.nodes.map(translateNode) };
    case 'Flatten':
      return { kind: 'Flatten', path: node.path.map(translateSegment), node: translateNode(node.node) };
    case 'Condition':
      return {
        kind: 'Condition',
        condition: node.condition,
        ifClause: node.ifClause ? translateNode(node.ifClause) : undefined,
        elseClause: node.elseClause ? translateNode(node.elseClause) : undefined,
      };
    case 'Fetch':
      return translateFetch(node);
    case 'BatchFetch':
      return {
        kind: 'BatchFetch',
        serviceName: node.serviceName,
        operation: node.operation,
        operationName: node.operationName ?? undefined,
        operationKind: node.operationKind ?? 'query',
        variableUsages: node.variableUsages ?? [],
        aliases: node.entityBatch.aliases.map((a) => ({
          alias: a.alias,
          representationsVariableName: a.representationsVariableName,
          paths: a.paths.map((p) => p.map(translateSegment)),
          requires: a.requires.map(translateRequires),
          inputRewrites: translateRewrites(a.inputRewrites),
          outputRewrites: translateRewrites(a.outputRewrites),
        })),
      };
    case 'Defer':
      return {
        kind: 'Defer',
        primary: node.primary.node ? translateNode(node.primary.node) : undefined,
        deferred: node.deferred.flatMap((d) => (d.node ? [translateNode(d.node)] : [])),
      };
    case 'Subscription':
      return { kind: 'Subscription', primary: translateFetch(node.primary) };
    default:
      throw new UnsupportedPlanError(`plan node ${JSON.stringify((node as { kind?: unknown }).kind)}`);
  }
}

function translateFetch(node: Extract<HivePlanNode, { kind: 'Fetch' }>): FetchNode {
  return {
    kind: 'Fetch',
    serviceName: node.serviceName,
    operation: node.operation,
    operationName: node.operationName ?? undefined,
    operationKind: node.operationKind ?? 'query',
    variableUsages: node.variableUsages ?? [],
    requires: node.requires?.map(translateRequires),
    inputRewrites: translateRewrites(node.inputRewrites),
    outputRewrites: translateRewrites(node.outputRewrites),
  };
}

function translateSegment(segment: FlattenNodePathSegment): PathSegment {
  if (segment === '@') return { kind: 'list' };
  if ('Field' in segment) return { kind: 'field', name: segment.Field };
  if ('TypeCondition' in segment) return { kind: 'cast', types: segment.TypeCondition };
  throw new UnsupportedPlanError(`flatten path segment ${JSON.stringify(segment)}`);
}

function translateRequires(selection: HiveRequires): RequiresSelection {
  switch (selection.kind) {
    case 'Field':
      return {
        kind: 'Field',
        from: selection.name,
        to: selection.alias ?? selection.name,
        selections: selection.selections?.map(translateRequires),
      };
    case 'InlineFragment':
      return {
        kind: 'InlineFragment',
        typeCondition: selection.typeCondition,
        selections: selection.selections.map(translateRequires),
        skipIf: selection.skipIf,
        includeIf: selection.includeIf,
      };
    default:
      throw new UnsupportedPlanError(`requires selection ${JSON.stringify(selection)}`);
  }
}

function translateRewrites(rewrites: readonly FetchRewrite[] | undefined): DataRewrite[] | undefined {
  if (!rewrites || rewrites.length === 0) return undefined;
  return rewrites.map((r): DataRewrite => {
    if ('KeyRenamer' in r)
      return { kind: 'KeyRenamer', path: r.KeyRenamer.path.map(rewriteSegment), renameKeyTo: r.KeyRenamer.renameKeyTo };
    const setter = 'ValueSetter' in r ? r.ValueSetter : r;
    return { kind: 'ValueSetter', path: setter.path.map(rewriteSegment), setValueTo: setter.setValueTo };
  });
}

function rewriteSegment(segment: FetchNodePathSegment): RewriteSegment {
  if ('Key' in segment) return { key: segment.Key };
  const t = segment.TypenameEquals as string[] | string;
  return { types: Array.isArray(t) ? t : [t] };
}

const INTROSPECTION_FIELD = /__(schema|type)\b/;

/**
 * The document without `__schema` / `__type` fields (valid only on the query
 * root); a selection set left empty selects `__typename` instead.
 */
function withoutIntrospection(document: DocumentNode): DocumentNode {
  return visit(document, {
    Field(node) {
      return node.name.value === '__schema' || node.name.value === '__type' ? null : undefined;
    },
    SelectionSet: {
      leave(node): SelectionSetNode | undefined {
        if (node.selections.length > 0) return undefined;
        return { ...node, selections: [{ kind: Kind.FIELD, name: { kind: Kind.NAME, value: '__typename' } }] };
      },
    },
  });
}
