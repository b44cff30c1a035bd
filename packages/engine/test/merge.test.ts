// The executor's deep merge (src/merge.ts) against @apollo/gateway's deepMerge:
// merging shared subgraph data as per-request layers must read exactly like
// stock's in-place merge, and must never write into the shared data (deeply
// frozen here, so any write throws).
import { describe, expect, it } from 'vitest';
import { layersOf, mergeInto, newResponseRoot, readMerged, type Layers } from '../src/merge.ts';

type Obj = Record<string, unknown>;

/** @apollo/gateway's deepMerge (utilities/deepMerge.js), the reference: mutates `target`. */
function stockDeepMerge(target: unknown, source: unknown): unknown {
  if (source === undefined || source === null) return target;
  for (const key of Object.keys(source as Obj)) {
    const sv = (source as Obj)[key];
    if (sv === undefined) continue;
    const tv = (target as Obj)[key];
    if (tv && sv && typeof sv === 'object' && !Array.isArray(sv)) {
      if (typeof tv !== 'object') key in (tv as object); // stock throws here: `in` on a primitive
      stockDeepMerge(tv, sv);
    } else if (Array.isArray(sv) && Array.isArray(tv) && sv.length === tv.length) {
      for (let i = 0; i < sv.length; i++) {
        const te = tv[i];
        const se = sv[i];
        if (te && se && typeof te === 'object' && typeof se === 'object' && !Array.isArray(te) && !Array.isArray(se))
          stockDeepMerge(te, se);
        else tv[i] = se;
      }
    } else {
      (target as Obj)[key] = sv;
    }
  }
  return target;
}

/** A plain copy of `value` as the request reads it (through its layers). */
function materialize(layers: Layers, value: unknown): unknown {
  if (Array.isArray(value)) return value.map((v) => materialize(layers, v));
  if (value === null || typeof value !== 'object') return value;
  const obj = value as Obj;
  const objLayers = layers.get(obj);
  const keys = new Set(Object.keys(obj));
  for (const layer of objLayers === undefined ? [] : Array.isArray(objLayers) ? objLayers : [objLayers]) {
    for (const k of Object.keys(layer)) if (layer[k] !== undefined) keys.add(k);
  }
  const out: Obj = {};
  for (const k of keys) out[k] = materialize(layers, readMerged(obj, objLayers, k));
  return out;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/**
 * Merges the root fetch's data into a fresh root, then each [path, entity data]
 * into the object at that path, both ways: stock's on plain copies, ours on frozen data.
 */
function mergeBothWays(rootData: Obj, merges: [path: (string | number)[], data: Obj][]): { ours: unknown; stock: unknown } {
  const stockRoot = stockDeepMerge({}, structuredClone(rootData));
  const root = newResponseRoot();
  const layers = layersOf(root)!;
  mergeInto(layers, root, deepFreeze(structuredClone(rootData)));
  for (const [path, data] of merges) {
    let stockTarget = stockRoot;
    let target: unknown = root;
    for (const step of path) {
      stockTarget = (stockTarget as Obj)[step];
      target = typeof step === 'number' ? (target as unknown[])[step] : readMerged(target as Obj, layers.get(target as Obj), step);
    }
    stockDeepMerge(stockTarget, structuredClone(data));
    mergeInto(layers, target as Obj, deepFreeze(structuredClone(data)));
  }
  return { ours: materialize(layers, root), stock: stockRoot };
}

describe('deep merge as per-request layers (merge.ts)', () => {
  const products = {
    topProducts: [
      { __typename: 'Product', upc: '1', name: 'Table', dims: { w: 1 } },
      { __typename: 'Product', upc: '2' },
    ],
  };

  it('adds the fields of entity fetches, as stock does, without writing into the shared data', () => {
    const { ours, stock } = mergeBothWays(products, [
      [['topProducts', 0], { __typename: 'Product', inStock: true, shippingEstimate: 12 }],
      [['topProducts', 1], { __typename: 'Product', inStock: false }],
      [['topProducts', 0], { reviews: [{ id: 'r1', author: { __typename: 'User', id: 'u1' } }] }],
      [['topProducts', 0, 'reviews', 0, 'author'], { name: 'Ada' }],
    ]);
    expect(ours).toEqual(stock);
    expect((ours as Obj)['topProducts']).toEqual([
      {
        __typename: 'Product',
        upc: '1',
        name: 'Table',
        dims: { w: 1 },
        inStock: true,
        shippingEstimate: 12,
        reviews: [{ id: 'r1', author: { __typename: 'User', id: 'u1', name: 'Ada' } }],
      },
      { __typename: 'Product', upc: '2', inStock: false },
    ]);
  });

  it('merges nested objects and lists of the same length, replaces the rest, as stock does', () => {
    const { ours, stock } = mergeBothWays(products, [
      // an object merged into an existing object: both sets of keys
      [['topProducts', 0], { dims: { h: 2 } }],
      // then into the merged object again
      [['topProducts', 0], { dims: { w: 3, d: 4 } }],
      // same-length lists: elements merged (objects) or replaced (scalars)
      [['topProducts', 0], { tags: ['a', 'b'], variants: [{ id: 'v1' }, { id: 'v2' }] }],
      [['topProducts', 0], { tags: ['c', 'd'], variants: [{ size: 'S' }, 'gone'] }],
      // another length: replaced
      [['topProducts', 0], { tags: ['x'] }],
      // null replaces an object; an object replaces null
      [['topProducts', 1], { dims: null }],
      [['topProducts', 1], { dims: { w: 9 } }],
      // undefined is skipped
      [['topProducts', 1], { upc: undefined, name: 'Chair' }],
    ]);
    expect(ours).toEqual(stock);
  });

  it('answers the same after another request merged other data into the same shared objects', () => {
    const shared = deepFreeze(structuredClone(products));
    const first = newResponseRoot();
    const second = newResponseRoot();
    mergeInto(layersOf(first)!, first, shared);
    mergeInto(layersOf(second)!, second, shared);
    const entity = shared.topProducts[0]!;
    mergeInto(layersOf(first)!, entity, deepFreeze({ inStock: true, dims: { h: 1 } }));
    mergeInto(layersOf(second)!, entity, deepFreeze({ inStock: false }));
    expect(materialize(layersOf(first)!, first)).toEqual({
      topProducts: [
        { __typename: 'Product', upc: '1', name: 'Table', dims: { w: 1, h: 1 }, inStock: true },
        { __typename: 'Product', upc: '2' },
      ],
    });
    expect(materialize(layersOf(second)!, second)).toEqual({
      topProducts: [
        { __typename: 'Product', upc: '1', name: 'Table', dims: { w: 1 }, inStock: false },
        { __typename: 'Product', upc: '2' },
      ],
    });
  });

  it("throws stock's TypeError when an object is merged into a primitive", () => {
    const root = newResponseRoot();
    const layers = layersOf(root)!;
    mergeInto(layers, root, deepFreeze({ item: { kind: 'scalar-here' } }));
    const item = readMerged(root, undefined, 'item') as Obj;
    expect(() => mergeInto(layers, item, deepFreeze({ kind: { nested: true } }))).toThrow(
      new TypeError("Cannot use 'in' operator to search for 'nested' in scalar-here"),
    );
    expect(() => stockDeepMerge({ kind: 'scalar-here' }, { kind: { nested: true } })).toThrow(TypeError);
  });
});
