// Walking a Flatten / BatchFetch path through the response tree:
//   - entitiesAt: the entities at the path (flattenResultsAtPath of
//     @apollo/gateway), made writable copy-on-write so fetched fields can be
//     merged into them in place
//   - hydratedPaths: the concrete response paths of the same entities, in the
//     same order (for re-rooting subgraph error paths)
// `cast` segments (Hive) keep only objects of the given types.
import type { GraphQLSchema } from 'graphql';
import { ensureOwned, markOwned, readOwn } from './merge.ts';
import type { PathSegment } from './planTypes.ts';
import { objectOfTypeTester } from './representations.ts';

type Obj = Record<string, unknown>;
export type PathElement = string | number;

export type CompiledSegment =
  | { readonly kind: 'field'; readonly name: string }
  | { readonly kind: 'list' }
  | { readonly kind: 'cast'; readonly test: (obj: Obj) => boolean };

export function compilePath(schema: GraphQLSchema, path: readonly PathSegment[]): CompiledSegment[] {
  return path.map((s) => (s.kind === 'cast' ? { kind: 'cast', test: objectOfTypeTester(schema, s.types, true) } : s));
}

/** The (owned) objects found at `path` below `data`; arrays at the end are flattened. */
export function entitiesAt(data: unknown, path: readonly CompiledSegment[]): unknown[] {
  const out: unknown[] = [];
  if (data === undefined || data === null) return out;
  collectOwned(markOwned({ r: data }), 'r', path, 0, out);
  return out;
}

/**
 * Pushes onto `out` the non-null values at `path` below holder[key], making every
 * object on the way (and the entities found) owned by this request. One output
 * array for the whole walk: a big response has thousands of entities.
 */
function collectOwned(holder: Obj | unknown[], key: string | number, path: readonly CompiledSegment[], i: number, out: unknown[]): void {
  const value = typeof key === 'number' ? (holder as unknown[])[key] : readOwn(holder as Obj, key);
  if (value === undefined || value === null) return;
  if (i === path.length) {
    if (typeof value === 'object') pushEntities(ownEntities(holder, key, value), out);
    else out.push(value);
    return;
  }
  const seg = path[i]!;
  if (seg.kind === 'list' || Array.isArray(value)) {
    // a field or type filter applied to a list applies to each element (Hive); '@' walks the list
    if (!Array.isArray(value)) return;
    const arr = ensureOwned(holder, key, value);
    const next = seg.kind === 'list' ? i + 1 : i;
    for (let j = 0; j < arr.length; j++) collectOwned(arr, j, path, next, out);
    return;
  }
  if (typeof value !== 'object') return;
  if (seg.kind === 'cast') {
    if (seg.test(value as Obj)) collectOwned(holder, key, path, i + 1, out);
    return;
  }
  const obj = ensureOwned(holder, key, value as Obj);
  collectOwned(obj, seg.name, path, i + 1, out);
}

/** The entities of a value at the end of a path: nested lists are flattened, nulls left out. */
function pushEntities(v: unknown, out: unknown[]): void {
  if (Array.isArray(v)) {
    for (let j = 0; j < v.length; j++) pushEntities(v[j], out);
  } else if (v !== null && v !== undefined) {
    out.push(v);
  }
}

function ownEntities(holder: Obj | unknown[], key: string | number, value: object): object {
  const v = ensureOwned(holder, key, value);
  if (Array.isArray(v)) {
    for (let j = 0; j < v.length; j++) {
      const e = v[j];
      if (e !== null && typeof e === 'object') ownEntities(v, j, e);
    }
  }
  return v;
}

/** Response paths of the objects entitiesAt(data, path) returns, in the same order. */
export function hydratedPaths(data: unknown, path: readonly CompiledSegment[]): PathElement[][] {
  const result: PathElement[][] = [];
  walk([], path, 0, data, result);
  return result;
}

function walk(parent: PathElement[], path: readonly CompiledSegment[], i: number, data: unknown, result: PathElement[][]): void {
  if (data === null || data === undefined) return;
  if (Array.isArray(data)) {
    const next = i < path.length && path[i]!.kind === 'list' ? i + 1 : i;
    for (let j = 0; j < data.length; j++) {
      parent.push(j);
      walk(parent, path, next, data[j], result);
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
  if (seg.kind === 'cast') {
    if (seg.test(data as Obj)) walk(parent, path, i + 1, data, result);
  } else if (seg.kind === 'field') {
    if (!Object.prototype.hasOwnProperty.call(data, seg.name)) return;
    parent.push(seg.name);
    walk(parent, path, i + 1, (data as Obj)[seg.name], result);
    parent.pop();
  }
}
