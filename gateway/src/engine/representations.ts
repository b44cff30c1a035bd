// Compiles a FetchNode's `requires` selections into a function that builds the
// `_entities` representation of one entity (same semantics and key order as
// executeSelectionSet in @apollo/gateway's executeQueryPlan.js).
import type { QueryPlanSelectionNode } from '@apollo/query-planner';
import type { GraphQLSchema } from 'graphql';
import { isAbstractType, isInterfaceType, isObjectType } from './graphql.ts';
import { markOwned, mergeInto, readOwn, writeOwn } from './merge.ts';

type Obj = Record<string, unknown>;
export type RepresentationBuilder = (source: unknown) => Obj | null;

/** isObjectOfType of @apollo/gateway's dataRewrites.js, memoized per type condition. */
export function objectOfTypeTester(schema: GraphQLSchema, typeCondition: string, defaultOnUnknown: boolean): (obj: Obj) => boolean {
  const memo = new Map<string, boolean>();
  return (obj) => {
    const objTypename = obj['__typename'];
    if (!objTypename) return defaultOnUnknown;
    if (typeCondition === objTypename) return true;
    const key = String(objTypename);
    let r = memo.get(key);
    if (r === undefined) {
      r = false;
      const type = schema.getType(key);
      const conditionalType = schema.getType(typeCondition);
      if (type && conditionalType && isAbstractType(conditionalType)) {
        r = (isObjectType(type) || isInterfaceType(type)) && schema.isSubType(conditionalType, type);
      }
      memo.set(key, r);
    }
    return r;
  };
}

type Step =
  | { kind: 'field'; name: string; sub: RepresentationBuilder | undefined }
  | { kind: 'fragment'; test: (obj: Obj) => boolean; sub: RepresentationBuilder };

export function compileRequires(schema: GraphQLSchema, selections: readonly QueryPlanSelectionNode[]): RepresentationBuilder {
  const steps: Step[] = selections.map((sel): Step => {
    if (sel.kind === 'Field') {
      return {
        kind: 'field',
        name: sel.alias ?? sel.name,
        sub: sel.selections ? compileRequires(schema, sel.selections) : undefined,
      };
    }
    return {
      kind: 'fragment',
      test: sel.typeCondition ? objectOfTypeTester(schema, sel.typeCondition, false) : () => false,
      sub: compileRequires(schema, sel.selections),
    };
  });
  const build = (source: unknown): Obj | null => {
    if (source === null) return null;
    const src = source as Obj;
    const result: Obj = {};
    let empty = true;
    for (let i = 0; i < steps.length; i++) {
      const step = steps[i]!;
      if (step.kind === 'field') {
        const rn = step.name;
        if (!Object.prototype.hasOwnProperty.call(src, rn)) return null;
        const v = src[rn];
        if (v === undefined) return null;
        const sub = step.sub;
        if (Array.isArray(v)) {
          const arr = new Array(v.length);
          for (let j = 0; j < v.length; j++) arr[j] = sub ? sub(v[j]) : v[j];
          writeOwn(result, rn, arr);
        } else if (sub) {
          writeOwn(result, rn, sub(v));
        } else {
          writeOwn(result, rn, v);
        }
        empty = false;
      } else {
        // stock: `if (!selection.typeCondition || !source) continue;`
        if (!src) continue;
        if (step.test(src)) {
          const frag = step.sub(src);
          if (frag) {
            if (empty) {
              // deepMerge into an empty object = copy of the (fresh) fragment result
              for (const k in frag) writeOwn(result, k, frag[k]);
            } else {
              mergeInto(markOwned(result), frag);
            }
            empty = false;
          }
        }
      }
    }
    return result;
  };
  return build;
}


