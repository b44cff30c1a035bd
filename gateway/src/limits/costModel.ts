/**
 * The cost estimate of an operation: how many objects it can make the subgraphs produce.
 * Every field of object type costs 1 per item; a list field multiplies what is below it by its
 * `first`/`last` argument, or by a default size when it has none. A list directly under a sliced
 * field (the `edges`/`nodes` of a connection) is already bounded by that slice and counts once.
 *
 * The model is built once per document; `first: $n` stays symbolic so the same model serves every
 * request, evaluated with that request's variables. Scalars and introspection are free (the token,
 * depth and alias limits bound them).
 */
import {
  getNamedType,
  getNullableType,
  isCompositeType,
  isInterfaceType,
  isListType,
  isObjectType,
  Kind,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLNamedType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
} from 'graphql';

type Multiplier = number | { variable: string; fallback: number };

export interface CostNode {
  multiplier: Multiplier;
  children: CostNode[];
}

export interface CostModel {
  nodes: CostNode[];
  nodeCount: number;
  /** The cost when no multiplier depends on a variable: then nothing is evaluated per request. */
  constant: number | undefined;
}

const SLICE_ARGUMENTS = new Set(['first', 'last']);
/** A bound on one multiplier, so a huge `first` cannot overflow the sum into Infinity. */
const MAX_MULTIPLIER = 1_000_000;

export function buildCostModel(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  defaultListSize: number,
): CostModel {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const variableDefaults = new Map<string, number>();
  for (const v of operation.variableDefinitions ?? []) {
    if (v.defaultValue?.kind === Kind.INT) variableDefaults.set(v.variable.name.value, Number(v.defaultValue.value));
  }
  let nodeCount = 0;
  let usesVariables = false;

  function sliceOf(value: ValueNode): Multiplier {
    if (value.kind === Kind.INT) return Math.min(Number(value.value), MAX_MULTIPLIER);
    if (value.kind === Kind.VARIABLE) {
      const name = value.name.value;
      usesVariables = true;
      return { variable: name, fallback: variableDefaults.get(name) ?? defaultListSize };
    }
    return defaultListSize;
  }

  function walk(
    selectionSet: SelectionSetNode,
    parentType: GraphQLNamedType | undefined,
    parentSliced: boolean,
    seen: ReadonlySet<string>,
  ): CostNode[] {
    const nodes: CostNode[] = [];
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.INLINE_FRAGMENT) {
        const type = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : parentType;
        nodes.push(...walk(selection.selectionSet, type, parentSliced, seen));
        continue;
      }
      if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const name = selection.name.value;
        const fragment = fragments.get(name);
        if (!fragment || seen.has(name)) continue; // cycles are a validation error; never loop here
        nodes.push(
          ...walk(fragment.selectionSet, schema.getType(fragment.typeCondition.name.value), parentSliced, new Set([...seen, name])),
        );
        continue;
      }
      if (selection.name.value.startsWith('__') || !selection.selectionSet) continue;
      if (!parentType || !(isObjectType(parentType) || isInterfaceType(parentType))) continue;
      const field = parentType.getFields()[selection.name.value];
      if (!field) continue;
      const named = getNamedType(field.type);
      if (!isCompositeType(named)) continue;
      const slice = selection.arguments?.find((a) => SLICE_ARGUMENTS.has(a.name.value));
      const isList = isListType(getNullableType(field.type));
      const multiplier: Multiplier = slice ? sliceOf(slice.value) : isList && !parentSliced ? defaultListSize : 1;
      nodeCount++;
      nodes.push({ multiplier, children: walk(selection.selectionSet, named as GraphQLCompositeType, slice !== undefined, seen) });
    }
    return nodes;
  }

  const root =
    operation.operation === 'query'
      ? schema.getQueryType()
      : operation.operation === 'mutation'
        ? schema.getMutationType()
        : schema.getSubscriptionType();
  const nodes = walk(operation.selectionSet, root ?? undefined, false, new Set());
  const model: CostModel = { nodes, nodeCount, constant: undefined };
  if (!usesVariables) model.constant = evaluateCost(model, {});
  return model;
}

function resolveMultiplier(multiplier: Multiplier, variables: Record<string, unknown>): number {
  if (typeof multiplier === 'number') return multiplier;
  const value = variables[multiplier.variable];
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return Math.min(Math.floor(value), MAX_MULTIPLIER);
  return multiplier.fallback;
}

/** Sum over fields of multiplier × (1 + cost below it), with this request's variables. */
export function evaluateCost(model: CostModel, variables: Record<string, unknown>): number {
  if (model.constant !== undefined) return model.constant;
  const sum = (nodes: CostNode[]): number => {
    let total = 0;
    for (const node of nodes) total += resolveMultiplier(node.multiplier, variables) * (1 + sum(node.children));
    return total;
  };
  return sum(model.nodes);
}
