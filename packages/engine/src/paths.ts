// Walking a Flatten / BatchFetch path through the response tree, as merged so
// far (merge.ts: shared objects are read through the request's layers):
//   - entitiesAt: the entities at the path (flattenResultsAtPath of
//     @apollo/gateway); fetched fields are merged into them with mergeInto
//   - hydratedPaths: the concrete response paths of the same entities, in the
//     same order (for re-rooting subgraph error paths)
// `cast` segments (Hive) keep only objects of the given types.
import type { GraphQLSchema } from 'graphql';
import { hasMerged, layersOf, readMerged, type Layers, type ObjectLayers } from './merge.ts';
import type { PathSegment } from './planTypes.ts';
import { objectOfTypeTester } from './representations.ts';

type Obj = Record<string, unknown>;
export type PathElement = string | number;

export type CompiledSegment =
  | { readonly kind: 'field'; readonly name: string }
  | { readonly kind: 'list' }
  | { readonly kind: 'cast'; readonly test: (obj: Obj, layers: ObjectLayers) => boolean };

export function compilePath(schema: GraphQLSchema, path: readonly PathSegment[]): CompiledSegment[] {
  return path.map((s) => (s.kind === 'cast' ? { kind: 'cast', test: objectOfTypeTester(schema, s.types, true) } : s));
}

/** The objects found at `path` below `data`; arrays at the end are flattened, nulls left out. */
export function entitiesAt(layers: Layers | undefined, data: unknown, path: readonly CompiledSegment[]): unknown[] {
  const out: unknown[] = [];
  collect(layers, data, path, 0, out);
  return out;
}

/** Pushes onto `out` the non-null values at `path` below `value` (one output array for the whole walk). */
function collect(layers: Layers | undefined, value: unknown, path: readonly CompiledSegment[], i: number, out: unknown[]): void {
  if (value === undefined || value === null) return;
  if (i === path.length) {
    pushEntities(value, out);
    return;
  }
  const seg = path[i]!;
  if (seg.kind === 'list' || Array.isArray(value)) {
    // a field or type filter applied to a list applies to each element (Hive); '@' walks the list
    if (!Array.isArray(value)) return;
    const next = seg.kind === 'list' ? i + 1 : i;
    for (let j = 0; j < value.length; j++) collect(layers, value[j], path, next, out);
    return;
  }
  if (typeof value !== 'object') return;
  const obj = value as Obj;
  const objLayers = layers?.get(obj);
  if (seg.kind === 'cast') {
    if (seg.test(obj, objLayers)) collect(layers, obj, path, i + 1, out);
    return;
  }
  collect(layers, readMerged(obj, objLayers, seg.name), path, i + 1, out);
}

/** The entities of a value at the end of a path: nested lists are flattened, nulls left out. */
function pushEntities(v: unknown, out: unknown[]): void {
  if (Array.isArray(v)) {
    for (let j = 0; j < v.length; j++) pushEntities(v[j], out);
  } else if (v !== null && v !== undefined) {
    out.push(v);
  }
}

/** Response paths of the objects entitiesAt(layersOf(root), root, path) returns, in the same order. */
export function hydratedPaths(root: unknown, path: readonly CompiledSegment[]): PathElement[][] {
  const result: PathElement[][] = [];
  walk(layersOf(root), [], path, 0, root, result);
  return result;
}

function walk(
  layers: Layers | undefined,
  parent: PathElement[],
  path: readonly CompiledSegment[],
  i: number,
  data: unknown,
  result: PathElement[][],
): void {
  if (data === null || data === undefined) return;
  if (Array.isArray(data)) {
    const next = i < path.length && path[i]!.kind === 'list' ? i + 1 : i;
    for (let j = 0; j < data.length; j++) {
      parent.push(j);
      walk(layers, parent, path, next, data[j], result);
      parent.pop();
    }
    return;
  }
  if (i === path.length) {
    if (typeof data === 'object') result.push(parent.slice());
    return;
  }
  if (typeof data !== 'object') return;
  const seg = path[i]!;
  const obj = data as Obj;
  const objLayers = layers?.get(obj);
  if (seg.kind === 'cast') {
    if (seg.test(obj, objLayers)) walk(layers, parent, path, i + 1, data, result);
  } else if (seg.kind === 'field') {
    if (!hasMerged(obj, objLayers, seg.name)) return;
    parent.push(seg.name);
    walk(layers, parent, path, i + 1, readMerged(obj, objLayers, seg.name), result);
    parent.pop();
  }
}
