// Copy-on-write version of @apollo/gateway's deepMerge + flattenResultsAtPath.
//
// Subgraph responses may be shared between concurrent requests (in-flight
// dedup), so they are never mutated. Each request owns the objects it created
// (its root object and every clone), marked with the OWNED symbol (invisible
// to JSON.stringify, Object.keys and for-in). Merging assigns shared sub-trees
// by reference and clones a shared object/array only when something has to be
// written into it. A mark is only ever put on a fresh clone that lives in one
// request's tree, so a constant mark is enough (no per-request set).

type Obj = Record<string, unknown>;
const OWNED: unique symbol = Symbol('fast-gateway.owned');

/** Mark a fresh object/array (created by this request) as writable in place. */
export function markOwned<T extends object>(o: T): T {
  (o as unknown as Record<symbol, boolean>)[OWNED] = true;
  return o;
}

export function isOwned(o: object): boolean {
  return (o as unknown as Record<symbol, unknown>)[OWNED] === true;
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

function cloneObject(v: Obj): Obj {
  return { ...v };
}

/** Make holder[key] (currently `v`) an object/array owned by this request. */
export function ensureOwned<T extends object>(holder: Obj | unknown[], key: string | number, v: T): T {
  if (isOwned(v)) return v;
  const c = markOwned((Array.isArray(v) ? v.slice() : cloneObject(v as Obj)) as T);
  if (typeof key === 'number') (holder as unknown[])[key] = c;
  else writeOwn(holder as Obj, key, c);
  return c;
}

/**
 * deepMerge(target, source) of @apollo/gateway with copy-on-write. `target`
 * must be owned; `source` is never modified.
 */
export function mergeInto(target: Obj, source: unknown): void {
  if (source === undefined || source === null) return;
  const src = source as Obj;
  for (const key in src) {
    if (!Object.prototype.hasOwnProperty.call(src, key)) continue;
    const sv = src[key];
    if (sv === undefined) continue;
    const tv = readOwn(target, key);
    if (tv && isObject(sv)) {
      if (typeof tv !== 'object') {
        // stock: defineOwn(tv, ...) -> `in` on a primitive throws
        throw new TypeError(`Cannot use 'in' operator to search for '${Object.keys(sv)[0] ?? ''}' in ${String(tv)}`);
      }
      mergeInto(ensureOwned(target, key, tv as Obj), sv);
    } else if (Array.isArray(sv) && Array.isArray(tv) && sv.length === tv.length) {
      const ta = ensureOwned(target, key, tv);
      for (let i = 0; i < sv.length; i++) {
        const te = ta[i];
        const se = sv[i];
        if (isObject(te) && isObject(se)) {
          mergeInto(ensureOwned(ta as unknown as Obj, i, te), se);
        } else {
          ta[i] = se;
        }
      }
    } else {
      writeOwn(target, key, sv);
    }
  }
}
