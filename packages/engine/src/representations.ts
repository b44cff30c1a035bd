// Compiles a fetch's `requires` selections into a function that builds the
// `_entities` representation of one entity.
//   apollo mode: executeSelectionSet of @apollo/gateway's executeQueryPlan.js
//     (a missing field -> no representation for this entity; key order kept)
//   hive mode: Hive's runtime (a missing or null field is left out; a field
//     read from one key can be written under another, which is how a field
//     with arguments, fetched under an internal alias, is sent under its name)
import type { GraphQLSchema } from 'graphql';
import { isAbstractType, isInterfaceType, isObjectType } from './graphql.ts';
import { mergeIntoCopying, readMerged, writeOwn, type Layers, type ObjectLayers } from './merge.ts';
import type { RequiresSelection } from './planTypes.ts';

type Obj = Record<string, unknown>;
/** Builds one representation from `source` as merged so far (read through the request's `layers`). */
export type RepresentationBuilder = ((source: unknown, variables: Obj | undefined, layers: Layers | undefined) => Obj | null) & {
  /**
   * The representation depends on the source object and its own layers alone: no nested
   * selection (a nested object has layers of its own) and no @skip/@include variable.
   * representationMemo.ts reuses such representations between requests.
   */
  readonly readsOnlyTheEntity: boolean;
};

/**
 * isObjectOfType of @apollo/gateway's dataRewrites.js (also Hive's
 * entitySatisfiesTypeCondition), memoized per type name: true when the
 * object's __typename is one of `types` or an object/interface type below one.
 */
export function objectOfTypeTester(
  schema: GraphQLSchema,
  types: readonly string[],
  defaultOnUnknown: boolean,
): (obj: Obj, layers?: ObjectLayers) => boolean {
  const memo = new Map<string, boolean>();
  return (obj, layers) => {
    const objTypename = layers === undefined ? obj['__typename'] : readMerged(obj, layers, '__typename');
    if (!objTypename) return defaultOnUnknown;
    const key = String(objTypename);
    let r = memo.get(key);
    if (r === undefined) {
      r = types.includes(key);
      const type = schema.getType(key);
      for (const t of types) {
        if (r) break;
        const conditionalType = schema.getType(t);
        if (type && conditionalType && isAbstractType(conditionalType)) {
          r = (isObjectType(type) || isInterfaceType(type)) && schema.isSubType(conditionalType, type);
        }
      }
      if (memo.size < 1000) memo.set(key, r);
    }
    return r;
  };
}

type Step =
  | { kind: 'field'; from: string; to: string; sub: RepresentationBuilder | undefined }
  | {
      kind: 'fragment';
      test: (obj: Obj, layers: ObjectLayers) => boolean;
      sub: RepresentationBuilder;
      skipIf?: string | undefined;
      includeIf?: string | undefined;
    };

export function compileRequires(
  schema: GraphQLSchema,
  selections: readonly RequiresSelection[],
  mode: 'apollo' | 'hive',
): RepresentationBuilder {
  const steps: Step[] = selections.map((sel): Step => {
    if (sel.kind === 'Field') {
      return { kind: 'field', from: sel.from, to: sel.to, sub: sel.selections ? compileRequires(schema, sel.selections, mode) : undefined };
    }
    return {
      kind: 'fragment',
      // stock and Hive: a fragment without type condition never applies here
      test: sel.typeCondition ? objectOfTypeTester(schema, [sel.typeCondition], false) : () => false,
      sub: compileRequires(schema, sel.selections, mode),
      skipIf: sel.skipIf,
      includeIf: sel.includeIf,
    };
  });
  const hive = mode === 'hive';
  const readsOnlyTheEntity = steps.every((step) =>
    step.kind === 'field' ? step.sub === undefined : !step.skipIf && !step.includeIf && step.sub.readsOnlyTheEntity,
  );
  const build = (source: unknown, variables: Obj | undefined, layers: Layers | undefined): Obj | null => {
    if (source === null || source === undefined) return null;
    const src = source as Obj;
    const srcLayers = layers?.get(src);
    const result: Obj = {};
    let empty = true;
    for (let i = 0; i < steps.length; i++) {
      const step = steps[i]!;
      if (step.kind === 'field') {
        let v = readMerged(src, srcLayers, step.from);
        if (hive && v === undefined && step.to !== step.from) v = readMerged(src, srcLayers, step.to);
        if (v === undefined || (hive && v === null)) {
          if (hive) continue;
          return null;
        }
        const sub = step.sub;
        let out: unknown = v;
        if (Array.isArray(v)) {
          const arr = new Array(v.length);
          for (let j = 0; j < v.length; j++) arr[j] = sub ? sub(v[j], variables, layers) : v[j];
          out = arr;
        } else if (sub) {
          out = sub(v, variables, layers);
          if (hive && out === null) continue;
        }
        writeOwn(result, step.to, out);
        empty = false;
      } else {
        if (step.skipIf && variables?.[step.skipIf] === true) continue;
        if (step.includeIf && variables?.[step.includeIf] !== true) continue;
        if (step.test(src, srcLayers)) {
          const frag = step.sub(src, variables, layers);
          if (frag) {
            if (empty) {
              // deepMerge into an empty object = copy of the (fresh) fragment result
              for (const k in frag) writeOwn(result, k, frag[k]);
            } else {
              mergeIntoCopying(result, frag);
            }
            empty = false;
          }
        }
      }
    }
    if (hive && onlyTypename(result)) return null; // Hive sends nothing for an empty or __typename-only projection
    return result;
  };
  return Object.assign(build, { readsOnlyTheEntity });
}

function onlyTypename(o: Obj): boolean {
  for (const k in o) if (k !== '__typename') return false;
  return true;
}
