// The generated entity path walks (paths.ts compilePath) find the same entities, in the same order,
// as the generic walk, on random response trees read through random layers (merge.ts): fields,
// lists, lists where a field is expected (Hive), type casts, nulls, and names Object.prototype has.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { compilePath, entitiesAt } from '../src/paths.ts';
import type { Layers } from '../src/merge.ts';
import type { PathSegment } from '../src/planTypes.ts';

// the engine's graphql is the CommonJS build (src/graphql.ts): its schema classes, not the ESM ones
const { buildSchema } = createRequire(import.meta.url)('graphql') as typeof import('graphql');
const schema = buildSchema(
  'interface Node { id: ID } type A implements Node { id: ID } type B implements Node { id: ID } type Query { n: Node }',
);
const KEYS = ['a', 'b', 'constructor', 'toString'];
const TYPENAMES = ['A', 'B', undefined];

/** Deterministic pseudo-random numbers (the test is the same on every run). */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function tree(rnd: () => number, depth: number, objects: object[]): unknown {
  const r = rnd();
  if (depth === 0 || r < 0.1) return rnd() < 0.5 ? null : rnd() < 0.5 ? undefined : 7;
  if (r < 0.35) return Array.from({ length: Math.floor(rnd() * 4) }, () => tree(rnd, depth - 1, objects));
  const obj: Record<string, unknown> = {};
  const typename = TYPENAMES[Math.floor(rnd() * TYPENAMES.length)];
  if (typename) obj['__typename'] = typename;
  for (const k of KEYS) if (rnd() < 0.6) obj[k] = tree(rnd, depth - 1, objects);
  objects.push(obj);
  return obj;
}

function layersFor(rnd: () => number, objects: object[]): Layers {
  const layers: Layers = new Map();
  for (const o of objects) {
    if (rnd() < 0.6) continue;
    const layer = (): Record<string, unknown> => {
      const l: Record<string, unknown> = {};
      for (const k of [...KEYS, '__typename'])
        if (rnd() < 0.3) l[k] = k === '__typename' ? TYPENAMES[Math.floor(rnd() * 2)] : tree(rnd, 2, []);
      return l;
    };
    layers.set(o, rnd() < 0.5 ? layer() : [layer(), layer()]);
  }
  return layers;
}

function path(rnd: () => number): PathSegment[] {
  return Array.from({ length: 1 + Math.floor(rnd() * 5) }, (): PathSegment => {
    const r = rnd();
    if (r < 0.3) return { kind: 'list' };
    if (r < 0.45) return { kind: 'cast', types: [rnd() < 0.5 ? 'A' : 'Node'] };
    return { kind: 'field', name: KEYS[Math.floor(rnd() * KEYS.length)]! };
  });
}

describe('entity path walks', () => {
  it('the generated walk finds what the generic walk finds, in the same order', () => {
    const rnd = random(42);
    let found = 0;
    for (let i = 0; i < 3000; i++) {
      const objects: object[] = [];
      const data = tree(rnd, 5, objects);
      const layers = rnd() < 0.8 ? layersFor(rnd, objects) : undefined;
      const compiled = compilePath(schema, path(rnd));
      const generated = entitiesAt(layers, data, compiled);
      // a copy of the segments was not compiled: entitiesAt walks it generically
      const generic = entitiesAt(layers, data, [...compiled]);
      expect(generated).toEqual(generic);
      for (let j = 0; j < generic.length; j++) expect(generated[j]).toBe(generic[j]);
      found += generic.length;
    }
    expect(found).toBeGreaterThan(300);
  });
});
