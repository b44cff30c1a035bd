// Fetch input/output rewrites (ValueSetter / KeyRenamer), the semantics of
// @apollo/gateway's dataRewrites.js, which Hive's runtime shares. They mutate
// their argument, so callers only pass objects they own (fresh
// representations, or a deep copy of a subgraph response).
import type { GraphQLSchema } from 'graphql';
import { readOwn } from './merge.ts';
import type { DataRewrite } from './planTypes.ts';
import { objectOfTypeTester } from './representations.ts';
import { UnsupportedPlanError } from './errors.ts';

type Obj = Record<string, unknown>;

export type Rewriter = (value: unknown) => void;

export function compileRewrites(schema: GraphQLSchema, rewrites: readonly DataRewrite[] | undefined): Rewriter | undefined {
  if (!rewrites || rewrites.length === 0) return undefined;
  const fns = rewrites.map((r) => compileRewrite(schema, r)).filter((f): f is Rewriter => f !== undefined);
  if (fns.length === 0) return undefined;
  return (value) => {
    for (const f of fns) f(value);
  };
}

function defineOwn(obj: Obj, prop: string): void {
  if (!Object.prototype.hasOwnProperty.call(obj, prop) && prop in obj) {
    Object.defineProperty(obj, prop, { configurable: true, enumerable: true, value: undefined, writable: true });
  }
}

function compileRewrite(schema: GraphQLSchema, rewrite: DataRewrite): Rewriter | undefined {
  if (rewrite.path.length === 0) return undefined;
  const last = rewrite.path[rewrite.path.length - 1]!;
  if (!('key' in last)) throw new UnsupportedPlanError(`type condition as last element of a rewrite path`);
  const fieldName = last.key;
  let fct: (obj: Obj) => void;
  if (rewrite.kind === 'ValueSetter') {
    const value = rewrite.setValueTo;
    fct = (obj) => {
      defineOwn(obj, fieldName);
      obj[fieldName] = value;
    };
  } else {
    const to = rewrite.renameKeyTo;
    fct = (obj) => {
      const objAtPath = readOwn(obj, fieldName);
      if (objAtPath !== undefined && objAtPath !== null) {
        defineOwn(obj, to);
        obj[to] = objAtPath;
        // stock leaves the key present but undefined (dropped by JSON.stringify)
        obj[fieldName] = undefined;
      }
    };
  }
  const elements = rewrite.path
    .slice(0, -1)
    .map((e) => ('key' in e ? { name: e.key, test: undefined } : { name: '', test: objectOfTypeTester(schema, e.types, true) }));
  const applyAtPath = (i: number, value: unknown): void => {
    if (Array.isArray(value)) {
      for (const v of value) applyAtPath(i, v);
      return;
    }
    if (typeof value !== 'object' || value === null) return;
    if (i === elements.length) {
      fct(value as Obj);
      return;
    }
    const el = elements[i]!;
    if (el.test === undefined) applyAtPath(i + 1, readOwn(value as Obj, el.name));
    else if (el.test(value as Obj)) applyAtPath(i + 1, value);
  };
  return (value) => applyAtPath(0, value);
}
