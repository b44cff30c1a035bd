// @apollo/gateway's deepMerge, without writing into shared subgraph data.
//
// Subgraph responses may be shared between concurrent requests (in-flight
// dedup), so they are never mutated. Instead of copying every object a merge
// has to write into (which kept a copy of the response tree alive for the
// whole request, across every subgraph round trip), a request keeps LAYERS: for
// a shared object, the objects merged into it, newest last. Reading a key of a
// shared object reads its newest layer that has the key, else the object
// itself: that is the deep merge's result, computed on read. Layers are the
// received entities themselves (shared, read-only); only where a merge
// conflicts (an object or list merged into an existing one) does the request
// add a small object of its own on top, naming the value that stays.
//
// The response root and the (rare) copies of lists are owned by the request
// (marked with the OWNED symbol, invisible to JSON.stringify, Object.keys and
// for-in) and written in place. The layers of a request live on its root.

type Obj = Record<string, unknown>;
const OWNED: unique symbol = Symbol('fast-gateway.owned');
const LAYERS: unique symbol = Symbol('fast-gateway.layers');

/** The objects merged into shared objects, for one request: one layer, or several (newest last). */
export type Layers = Map<object, Obj | Obj[]>;
/** What `layersOf(...).get(obj)` gives: the layers of one object. */
export type ObjectLayers = Obj | Obj[] | undefined;

/** Mark a fresh object/array (created by this request) as writable in place. */
export function markOwned<T extends object>(o: T): T {
  (o as unknown as Record<symbol, boolean>)[OWNED] = true;
  return o;
}

export function isOwned(o: object): boolean {
  return (o as unknown as Record<symbol, unknown>)[OWNED] === true;
}

/** The response root of one request: owned, carrying the request's layers. */
export function newResponseRoot(): Obj {
  const root = markOwned({});
  (root as unknown as Record<symbol, Layers>)[LAYERS] = new Map();
  return root;
}

/** The layers of the request whose root this is (none for a plain object). */
export function layersOf(root: unknown): Layers | undefined {
  return root !== null && typeof root === 'object' ? (root as Record<symbol, Layers | undefined>)[LAYERS] : undefined;
}

function isObject(v: unknown): v is Obj {
  return v !== undefined && v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Read an own property as @apollo/gateway's getOwn does (JSON values are never functions). */
export function readOwn(obj: Obj, key: string): unknown {
  if (key === '__proto__') return Object.prototype.hasOwnProperty.call(obj, key) ? obj[key] : undefined;
  const v = obj[key];
  return typeof v === 'function' ? (Object.prototype.hasOwnProperty.call(obj, key) ? v : undefined) : v;
}

export function writeOwn(obj: Obj, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    obj[key] = value;
  }
}

/** `key` of `obj` as merged so far, given the object's layers (`layers.get(obj)`). */
export function readMerged(obj: Obj, layers: ObjectLayers, key: string): unknown {
  if (layers !== undefined) {
    if (Array.isArray(layers)) {
      for (let i = layers.length - 1; i >= 0; i--) {
        const v = readOwn(layers[i]!, key);
        if (v !== undefined) return v;
      }
    } else {
      const v = readOwn(layers, key);
      if (v !== undefined) return v;
    }
  }
  return readOwn(obj, key);
}

/** Whether `obj` as merged so far has `key` (hasOwnProperty on the merged object). */
export function hasMerged(obj: Obj, layers: ObjectLayers, key: string): boolean {
  const has = Object.prototype.hasOwnProperty;
  if (layers !== undefined) {
    if (Array.isArray(layers)) {
      for (const layer of layers) if (has.call(layer, key) && layer[key] !== undefined) return true;
    } else if (has.call(layers, key) && layers[key] !== undefined) return true;
  }
  return has.call(obj, key);
}

function addLayer(layers: Layers, obj: object, layer: Obj): void {
  const existing = layers.get(obj);
  if (existing === undefined) layers.set(obj, layer);
  else if (Array.isArray(existing)) existing.push(layer);
  else layers.set(obj, [existing, layer]);
}

/**
 * deepMerge(target, source) of @apollo/gateway: `target` (owned or shared)
 * reads as the merge afterwards; nothing shared is modified, `source` included.
 */
export function mergeInto(layers: Layers, target: Obj, source: unknown): void {
  if (source === undefined || source === null) return;
  const src = source as Obj;
  if (isOwned(target)) {
    mergeIntoOwned(layers, target, src);
    return;
  }
  const targetLayers = layers.get(target);
  // values that must stay (a merged object, a merged list) where `src` has another one
  let kept: Obj | undefined;
  for (const key in src) {
    if (!Object.prototype.hasOwnProperty.call(src, key)) continue;
    const sv = src[key];
    if (sv === undefined) continue;
    const tv = readMerged(target, targetLayers, key);
    const merged = mergeValue(layers, tv, sv);
    if (merged !== undefined) writeOwn((kept ??= {}), key, merged);
  }
  addLayer(layers, target, src);
  if (kept) addLayer(layers, target, kept);
}

/**
 * The same merge into an object the caller owns: written in place. A nested
 * object it does not own is merged as layers when `layers` is given, else
 * copied first (a representation, serialized as it is, has no layers).
 */
function mergeIntoOwned(layers: Layers | undefined, target: Obj, src: Obj): void {
  for (const key in src) {
    if (!Object.prototype.hasOwnProperty.call(src, key)) continue;
    const sv = src[key];
    if (sv === undefined) continue;
    const tv = readOwn(target, key);
    const merged = mergeValue(layers, tv, sv);
    writeOwn(target, key, merged === undefined ? sv : merged);
  }
}

/**
 * Merges `sv` into the current value `tv` of a key: the value the key keeps
 * when it is `tv` merged (an object or list, or its copy), or undefined when `sv` replaces it.
 */
function mergeValue(layers: Layers | undefined, tv: unknown, sv: unknown): unknown {
  if (tv && isObject(sv)) {
    if (typeof tv !== 'object') {
      // stock: defineOwn(tv, ...) -> `in` on a primitive throws
      throw new TypeError(`Cannot use 'in' operator to search for '${Object.keys(sv)[0] ?? ''}' in ${String(tv)}`);
    }
    if (layers && !Array.isArray(tv)) {
      mergeInto(layers, tv as Obj, sv);
      return tv;
    }
    // a list gets the object's keys as stock does; both into a copy unless already the caller's
    const copy = isOwned(tv) ? tv : markOwned(Array.isArray(tv) ? tv.slice() : { ...(tv as Obj) });
    mergeIntoOwned(layers, copy as Obj, sv);
    return copy;
  }
  if (Array.isArray(sv) && Array.isArray(tv) && sv.length === tv.length) {
    let list = tv;
    for (let i = 0; i < sv.length; i++) {
      const te = list[i];
      const se = sv[i];
      const element = isObject(te) && isObject(se) ? mergeValue(layers, te, se) : se;
      if (element !== te) {
        if (!isOwned(list)) list = markOwned(list.slice());
        list[i] = element;
      }
    }
    return list;
  }
  return undefined;
}

/** deepMerge into an object the caller built and owns (a representation): in place, nothing read from a response written. */
export function mergeIntoCopying(target: Obj, source: Obj): void {
  mergeIntoOwned(undefined, target, source);
}
