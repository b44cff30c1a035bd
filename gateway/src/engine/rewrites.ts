// FetchNode input/output rewrites, same semantics as @apollo/gateway's
// dataRewrites.js. They mutate their argument, so callers only pass objects
// they own (fresh representations, or a deep copy of a subgraph response).
import type { FetchDataRewrite } from '@apollo/query-planner';
import type { GraphQLSchema } from 'graphql';
import { assert } from '@apollo/federation-internals';
import { objectOfTypeTester } from './representations.ts';
import { readOwn } from './merge.ts';

type Obj = Record<string, unknown>;
const FRAGMENT_PREFIX = '... on ';

export type Rewriter = (value: unknown) => void;

export function compileRewrites(schema: GraphQLSchema, rewrites: readonly FetchDataRewrite[] | undefined): Rewriter | undefined {
  if (!rewrites || rewrites.length === 0) return undefined;
  const fns = rewrites.map((r) => compileRewrite(schema, r)).filter((f): f is Rewriter => f !== undefined);
  return (value) => {
    for (const f of fns) f(value);
  };
}

function defineOwn(obj: Obj, prop: string): void {
  if (!Object.prototype.hasOwnProperty.call(obj, prop) && prop in obj) {
    Object.defineProperty(obj, prop, { configurable: true, enumerable: true, value: undefined, writable: true });
  }
}

function compileRewrite(schema: GraphQLSchema, rewrite: FetchDataRewrite): Rewriter | undefined {
  if (rewrite.path.length === 0) return undefined;
  const parent = rewrite.path.slice(0, -1);
  const last = rewrite.path[rewrite.path.length - 1]!;
  assert(!last.startsWith(FRAGMENT_PREFIX), () => `Unexpected fragment as last element of ${rewrite.path}`);
  const fieldName = last;
  let fct: (obj: Obj) => void;
  if (rewrite.kind === 'ValueSetter') {
    fct = (obj) => {
      defineOwn(obj, fieldName);
      obj[fieldName] = rewrite.setValueTo;
    };
  } else {
    fct = (obj) => {
      const objAtPath = readOwn(obj, fieldName);
      if (objAtPath) {
        defineOwn(obj, rewrite.renameKeyTo);
        obj[rewrite.renameKeyTo] = objAtPath;
        obj[fieldName] = undefined;
      }
    };
  }
  const elements = parent.map((e) =>
    e.startsWith(FRAGMENT_PREFIX)
      ? { kind: 'typeName' as const, test: objectOfTypeTester(schema, e.slice(FRAGMENT_PREFIX.length), true), name: '' }
      : { kind: 'fieldName' as const, test: undefined, name: e },
  );
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
    if (el.kind === 'fieldName') applyAtPath(i + 1, readOwn(value as Obj, el.name));
    else if (el.test!(value as Obj)) applyAtPath(i + 1, value);
  };
  return (value) => applyAtPath(0, value);
}
