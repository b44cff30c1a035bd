/**
 * Partial data (FastGatewayOptions.partialFailures): a subgraph fetch that fails as a whole
 * (unreachable, timed out, non-2xx, not JSON) costs only the fields it would have filled. Instead of
 * stock's one path-less error carrying the subgraph's address, the request gets one error per such
 * field, with its path, a stable code and the subgraph's name; those fields stay null and the rest
 * of the response is kept. A subgraph that answers with GraphQL errors is not "unavailable".
 */
import type { SelectionNode } from 'graphql';
import { GraphQLError, Kind, parse } from './graphql.ts';
import { FetchError } from './errors.ts';
import { hydratedPaths, type CompiledSegment, type PathElement } from './paths.ts';

export const SERVICE_UNAVAILABLE = 'SERVICE_UNAVAILABLE';

export type SubgraphUnavailableHandler = (error: unknown, serviceName: string, paths: PathElement[][]) => unknown[];

export function isSubgraphUnavailable(error: unknown): boolean {
  if (error instanceof FetchError) return true;
  return error instanceof GraphQLError && !!(error.extensions as Record<string, unknown> | undefined)?.['response'];
}

export function serviceUnavailableErrors(serviceName: string, paths: readonly PathElement[][]): GraphQLError[] {
  const message = `Service "${serviceName}" is unavailable`;
  const extensions = { code: SERVICE_UNAVAILABLE, serviceName, service: serviceName };
  if (paths.length === 0) return [new GraphQLError(message, { extensions })];
  return paths.map((path) => new GraphQLError(message, { path, extensions }));
}

/**
 * Response keys a subgraph operation fills, by top-level response key: a root fetch's fields, or for
 * each `_entities` selection (aliased in a BatchFetch) the entity fields under it.
 */
export function fetchedFieldKeys(operation: string): Map<string, string[]> {
  const document = parse(operation, { noLocation: true });
  const op = document.definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION);
  const byKey = new Map<string, string[]>();
  if (!op || op.kind !== Kind.OPERATION_DEFINITION) return byKey;
  const fragments = new Map<string, readonly SelectionNode[]>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d.selectionSet.selections);
  const fieldsOf = (selections: readonly SelectionNode[], into: Set<string>): void => {
    for (const s of selections) {
      if (s.kind === Kind.INLINE_FRAGMENT) fieldsOf(s.selectionSet.selections, into);
      else if (s.kind === Kind.FRAGMENT_SPREAD) fieldsOf(fragments.get(s.name.value) ?? [], into);
      else if (s.name.value !== '__typename') into.add(s.alias?.value ?? s.name.value);
    }
  };
  const roots: SelectionNode[] = [];
  const flatten = (selections: readonly SelectionNode[]): void => {
    for (const s of selections) {
      if (s.kind === Kind.FIELD) roots.push(s);
      else if (s.kind === Kind.INLINE_FRAGMENT) flatten(s.selectionSet.selections);
      else flatten(fragments.get(s.name.value) ?? []);
    }
  };
  flatten(op.selectionSet.selections);
  const rootKeys = new Set<string>();
  for (const field of roots) {
    if (field.kind !== Kind.FIELD || field.name.value === '__typename') continue;
    if (field.name.value === '_entities' && field.selectionSet) {
      const keys = new Set<string>();
      fieldsOf(field.selectionSet.selections, keys);
      byKey.set(field.alias?.value ?? field.name.value, [...keys]);
    } else rootKeys.add(field.alias?.value ?? field.name.value);
  }
  if (rootKeys.size > 0) byKey.set('', [...rootKeys]);
  return byKey;
}

/** Concrete response paths of `keys` on every entity found at `entityPath` (from the response root). */
export function entityFieldPaths(root: unknown, entityPath: readonly CompiledSegment[], keys: readonly string[]): PathElement[][] {
  return hydratedPaths(root, entityPath).flatMap((p) => keys.map((k) => [...p, k]));
}
