// Walking a Flatten / BatchFetch path through the response tree, as merged so
// far (merge.ts: shared objects are read through the request's layers):
//   - entitiesAt: the entities at the path (flattenResultsAtPath of
//     @apollo/gateway); fetched fields are merged into them with mergeInto
//   - hydratedPaths: the concrete response paths of the same entities, in the
//     same order (for re-rooting subgraph error paths)
// `cast` segments (Hive) keep only objects of the given types.
// entitiesAt runs for every entity fetch of every request: compilePath generates its walk
// (generated.ts), one function per segment that reads its field by name; the generic walk below
// does the same for a path that was not compiled here.
import type { GraphQLSchema } from 'graphql';
import { GeneratedFunction, isPlainKey, readCode } from './generated.ts';
import { hasMerged, layersOf, readMerged, type Layers, type ObjectLayers } from './merge.ts';
import type { PathSegment } from './planTypes.ts';
import { objectOfTypeTester } from './representations.ts';

type Obj = Record<string, unknown>;
export type PathElement = string | number;

export type CompiledSegment =
  | { readonly kind: 'field'; readonly name: string }
  | { readonly kind: 'list' }
  | { readonly kind: 'cast'; readonly test: (obj: Obj, layers: ObjectLayers) => boolean };

type Collector = (layers: Layers | undefined, value: unknown, out: unknown[]) => void;

/** The generated walk of each path compilePath returned. */
const collectors = new WeakMap<readonly CompiledSegment[], Collector>();

export function compilePath(schema: GraphQLSchema, path: readonly PathSegment[]): CompiledSegment[] {
  const segments = path.map(
    (s): CompiledSegment => (s.kind === 'cast' ? { kind: 'cast', test: objectOfTypeTester(schema, s.types, true) } : s),
  );
  collectors.set(segments, generateCollector(segments));
  return segments;
}

/** The objects found at `path` below `data`; arrays at the end are flattened, nulls left out. */
export function entitiesAt(layers: Layers | undefined, data: unknown, path: readonly CompiledSegment[]): unknown[] {
  const out: unknown[] = [];
  const generated = collectors.get(path);
  if (generated) generated(layers, data, out);
  else collect(layers, data, path, 0, out);
  return out;
}

/**
 * `collect` below, generated for one path: function c<i> walks from segment i, c<n> is the end
 * (pushEntities). The same steps in the same order, each field read inline by its name.
 */
function generateCollector(segments: readonly CompiledSegment[]): Collector {
  const fn = new GeneratedFunction(() => {});
  const isArray = fn.ref(Array.isArray);
  const n = segments.length;
  let source = `function c${n}(layers, v, out) {
  if (${isArray}(v)) { for (let j = 0; j < v.length; j++) c${n}(layers, v[j], out); }
  else if (v !== null && v !== undefined) out.push(v);
}\n`;
  segments.forEach((seg, i) => {
    let step: string;
    if (seg.kind === 'list') {
      step = `if (!${isArray}(v)) return;
  for (let j = 0; j < v.length; j++) c${i + 1}(layers, v[j], out);`;
    } else {
      // a field or type filter applied to a list applies to each element (Hive)
      step = `if (${isArray}(v)) { for (let j = 0; j < v.length; j++) c${i}(layers, v[j], out); return; }
  if (typeof v !== 'object') return;
  const input = v;
  const il = layers === undefined ? undefined : layers.get(input);\n`;
      if (seg.kind === 'cast') step += `if (${fn.ref(seg.test)}(input, il)) c${i + 1}(layers, input, out);`;
      else if (isPlainKey(seg.name)) step += `let x;\n${readCode(fn, 'x', seg.name)}\nc${i + 1}(layers, x, out);`;
      else step += `c${i + 1}(layers, ${fn.ref(readMerged)}(input, il, ${JSON.stringify(seg.name)}), out);`;
    }
    source += `function c${i}(layers, v, out) {
  if (v === undefined || v === null) return;
  ${step}
}\n`;
  });
  return fn.buildFunctions<Collector>(source, 'c0');
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
