// Result shaping (the equivalent of @apollo/gateway's resultShaping.js
// computeResponse), compiled once per operation into a tree of closures.
//
// It walks the federation-internals Operation exactly like computeResponse
// does (same selection order, same merging of repeated response names, same
// null propagation, same error messages and paths), but all per-selection
// decisions (skip/include, field types, type-condition tests, leaf
// validators) are resolved at compile time or memoized.
import type { GraphQLSchema, SelectionNode, VariableDefinitionNode } from 'graphql';
import { executeSync, Kind, OperationTypeNode, visit, type GraphQLError } from './graphql.ts';
import {
  ERRORS,
  Variable,
  assert,
  isCompositeType,
  isCustomScalarType,
  isListType,
  isNonNullType,
  isObjectType,
  isSubtype,
  isValidLeafValue,
  typenameFieldName,
} from './apollo.ts';
import type { Field, FragmentElement, NamedType, Operation, Schema, Selection, SelectionSet, Type } from './apollo.ts';
import type { JsonStringCache, RawJson } from './jsonStrings.ts';
import { isValidFloat, isValidId, isValidInt } from './leafValues.ts';
import { layersOf, readMerged, readOwn, writeOwn, type Layers, type ObjectLayers } from './merge.ts';

type Obj = Record<string, unknown>;
type PathElement = string | number;

const F_INVALID = 1;
const F_ERR = 2;

export interface TypeInfo {
  readonly name: string;
  readonly isObject: boolean;
  readonly isComposite: boolean;
  readonly fed: NamedType;
}

/** Per-request mutable state of the shaper. */
export interface ShapeRuntime {
  vars: Obj;
  errors: GraphQLError[];
  flags: number;
  requestVariables: Obj | undefined;
  /** the request's layers (merge.ts): how the shared objects of `input` read as merged */
  layers: Layers | undefined;
  /** set when the data is serialized right after shaping: long strings become raw JSON (jsonStrings.ts) */
  strings: JsonStringCache | undefined;
}

/** `il`: the layers of `input` (rt.layers.get(input)), looked up once per object */
type SelFn = (input: Obj, il: ObjectLayers, output: Obj, rt: ShapeRuntime, path: PathElement[], parentType: TypeInfo) => boolean;
type ValFn = (ov: unknown, iv: unknown, rt: ShapeRuntime, path: PathElement[], pt: TypeInfo) => unknown;
type CondFn = (vars: Obj) => boolean;

export interface CompiledShaper {
  /**
   * computeResponse(input) -> { data, errors }; `input` is the response root (its layers read as merged).
   * With `strings`, the data may hold raw JSON values in place of long strings: only for data that is
   * given to JSON.stringify and nothing else.
   */
  (input: Obj, requestVariables: Obj | undefined, strings?: JsonStringCache): { data: Obj | null; errors: GraphQLError[] };
}

interface IntrospectionInfo {
  readonly document: import('graphql').DocumentNode;
  readonly key: string;
  readonly usesVariables: boolean;
  cached?: unknown;
}

export class ShaperCompiler {
  private readonly types = new Map<string, TypeInfo | null>();
  private readonly leafCheckers = new Map<string, (v: unknown) => boolean>();

  private readonly schema: Schema;
  private readonly gatewaySchema: GraphQLSchema;

  constructor(schema: Schema, gatewaySchema: GraphQLSchema) {
    this.schema = schema;
    this.gatewaySchema = gatewaySchema;
  }

  typeInfo(name: string): TypeInfo | null {
    let t = this.types.get(name);
    if (t !== undefined) return t;
    const fed = this.schema.type(name);
    t = fed ? { name: fed.name, isObject: isObjectType(fed), isComposite: isCompositeType(fed), fed } : null;
    this.types.set(name, t);
    return t;
  }

  compile(operation: Operation, variableDefinitions: readonly VariableDefinitionNode[] | undefined): CompiledShaper {
    const st = { needsVars: false };
    const root = this.compileSelectionSet(operation.selectionSet, st, variableDefinitions);
    const rootType = this.typeInfo(operation.schema().schemaDefinition.rootType(operation.rootKind)!.name)!;
    const defaulted = operation.collectDefaultedVariableValues() as Obj;
    const hasDefaults = Object.keys(defaulted).length > 0;
    const needsVars = st.needsVars;
    return (input, requestVariables, strings) => {
      const rt: ShapeRuntime = {
        vars: needsVars
          ? hasDefaults
            ? { __proto__: null, ...defaulted, ...requestVariables }
            : { __proto__: null, ...requestVariables }
          : (undefined as unknown as Obj),
        errors: [],
        flags: 0,
        requestVariables,
        layers: layersOf(input),
        strings,
      };
      if (!input) return { data: input as unknown as null, errors: rt.errors };
      const data: Obj = {};
      const ok = root(input, rt.layers?.get(input), data, rt, [], rootType);
      return { data: ok ? data : null, errors: rt.errors };
    };
  }

  private condition(selection: Selection, st: { needsVars: boolean }): CondFn | null | 'always-skip' {
    const element = selection.element;
    const schema = this.schema;
    const skip = element.appliedDirectivesOf(schema.skipDirective())[0];
    const include = element.appliedDirectivesOf(schema.includeDirective())[0];
    if (!skip && !include) return null;
    const ifOf = (d: { arguments(): Obj; toString(): string }): CondFn | boolean => {
      const ifArg = d.arguments()['if'];
      if (ifArg instanceof Variable) {
        st.needsVars = true;
        const name = ifArg.name;
        const desc = d.toString();
        return (vars) => {
          const value = vars[name];
          assert(value !== undefined && typeof value === 'boolean', () => `Unexpected value ${value} for variable ${ifArg} of ${desc}`);
          return value as boolean;
        };
      }
      return ifArg as boolean;
    };
    const s = skip ? ifOf(skip as never) : false;
    const i = include ? ifOf(include as never) : true;
    if (typeof s === 'boolean' && typeof i === 'boolean') {
      // stock: (skip && ifValue(skip)) || (include && !ifValue(include))
      return (skip && s) || (include && !i) ? 'always-skip' : null;
    }
    return (vars) => {
      if (skip && (typeof s === 'boolean' ? s : s(vars))) return true;
      if (include && !(typeof i === 'boolean' ? i : i(vars))) return true;
      return false;
    };
  }

  private compileSelectionSet(
    selectionSet: SelectionSet,
    st: { needsVars: boolean },
    variableDefinitions: readonly VariableDefinitionNode[] | undefined,
  ): SelFn {
    const steps: SelFn[] = [];
    for (const selection of selectionSet.selections()) {
      const cond = this.condition(selection, st);
      if (cond === 'always-skip') continue;
      let step: SelFn;
      if (selection.kind === 'FieldSelection') {
        step = this.compileField(selection, st, variableDefinitions);
      } else {
        step = this.compileFragment(selection, st, variableDefinitions);
      }
      if (cond) {
        const inner = step;
        step = (input, il, output, rt, path, pt) => (cond(rt.vars) ? true : inner(input, il, output, rt, path, pt));
      }
      steps.push(step);
    }
    const n = steps.length;
    if (n === 1) return steps[0]!;
    return (input, il, output, rt, path, pt) => {
      for (let i = 0; i < n; i++) {
        if (!steps[i]!(input, il, output, rt, path, pt)) return false;
      }
      return true;
    };
  }

  private compileFragment(
    selection: Selection,
    st: { needsVars: boolean },
    variableDefinitions: readonly VariableDefinitionNode[] | undefined,
  ): SelFn {
    const fragment = selection.element as FragmentElement;
    const sub = this.compileSelectionSet(selection.selectionSet!, st, variableDefinitions);
    const typeCondition = fragment.typeCondition;
    if (!typeCondition) {
      return (input, il, output, rt, path, pt) => {
        const typename = il === undefined ? input[typenameFieldName] : readMerged(input, il, typenameFieldName);
        assert(!typename || typeof typename === 'string', () => `Got unexpected value for __typename: ${typename}`);
        return sub(input, il, output, rt, path, pt);
      };
    }
    const condInfo = this.typeInfo(typeCondition.name)!;
    // Whether the fragment applies, per __typename, or per parent type when the object has none; the
    // last answer is checked first, as consecutive objects (list elements) are mostly of one type.
    const memo = new Map<string | TypeInfo, boolean>();
    let lastKey: string | TypeInfo | undefined;
    let lastApplies = false;
    const applies = (typename: unknown, parentType: TypeInfo): boolean => {
      const key = typename ? (typename as string) : parentType;
      if (key === lastKey) return lastApplies;
      let r = memo.get(key);
      if (r === undefined) {
        if (typeof key === 'string') {
          const type = this.schema.type(key);
          r = !!type && isSubtype(typeCondition, type);
        } else {
          r = isSubtype(typeCondition, key.fed);
        }
        memo.set(key, r);
      }
      lastKey = key;
      lastApplies = r;
      return r;
    };
    return (input, il, output, rt, path, pt) => {
      const typename = il === undefined ? input[typenameFieldName] : readMerged(input, il, typenameFieldName);
      assert(!typename || typeof typename === 'string', () => `Got unexpected value for __typename: ${typename}`);
      if (applies(typename, pt)) return sub(input, il, output, rt, path, condInfo);
      return true;
    };
  }

  private compileField(
    selection: Selection,
    st: { needsVars: boolean },
    variableDefinitions: readonly VariableDefinitionNode[] | undefined,
  ): SelFn {
    const field = selection.element as Field;
    const rn = field.responseName();
    if (field.definition.isSchemaIntrospectionField()) {
      const info = this.introspectionInfo(selection, variableDefinitions);
      const gatewaySchema = this.gatewaySchema;
      return (_input, _il, output, rt) => {
        if (readOwn(output, rn) === undefined) {
          writeOwn(output, rn, executeIntrospection(gatewaySchema, info, rt.requestVariables));
        }
        return true;
      };
    }
    if (field.name === typenameFieldName) {
      const aliased = rn !== typenameFieldName;
      return (input, il, output, _rt, _path, pt) => {
        if (readOwn(output, rn) === undefined) {
          let iv = readMerged(input, il, rn) ?? null;
          if (iv === null && aliased) iv = (il === undefined ? input[typenameFieldName] : readMerged(input, il, typenameFieldName)) ?? null;
          const type = iv !== null && typeof iv === 'string' ? (this.typeInfo(iv) ?? pt) : pt;
          if (!type.isObject) return false;
          writeOwn(output, rn, type.name);
        }
        return true;
      };
    }
    const fieldType = field.definition.type!;
    if (rn !== '__proto__' && !selection.selectionSet) {
      const leaf = this.compileLeafField(rn, fieldType);
      if (leaf) return leaf;
    }
    const val = this.compileValue(fieldType, selection.selectionSet, st, variableDefinitions);
    if (rn === '__proto__') {
      return (input, il, output, rt, path, pt) => {
        const ov = readOwn(output, rn);
        const iv = readMerged(input, il, rn) ?? null;
        path.push(rn);
        const u = val(ov, iv, rt, path, pt);
        writeOwn(output, rn, u);
        path.pop();
        return (rt.flags & F_INVALID) === 0;
      };
    }
    return (input, il, output, rt, path, pt) => {
      let ov = output[rn];
      if (typeof ov === 'function') ov = undefined;
      let iv = il === undefined ? input[rn] : readMerged(input, il, rn);
      if (iv === undefined || (typeof iv === 'function' && !Object.prototype.hasOwnProperty.call(input, rn))) iv = null;
      path.push(rn);
      output[rn] = val(ov, iv, rt, path, pt);
      path.pop();
      return (rt.flags & F_INVALID) === 0;
    };
  }

  /**
   * Leaf field (nullable or non-null scalar/enum) without selection set:
   * the same outcome as the generic field step + compileValue, without the
   * path push/pop and the flag protocol on the happy path.
   */
  private compileLeafField(rn: string, type: Type): SelFn | undefined {
    const nonNull = isNonNullType(type);
    const named = nonNull ? (type as { ofType: Type }).ofType : type;
    if (isListType(named) || isNonNullType(named) || isCompositeType(named)) return undefined;
    const check = this.leafChecker(named as NamedType);
    const typeStr = named.toString();
    const hasOwn = Object.prototype.hasOwnProperty;
    const invalid = (rt: ShapeRuntime, path: PathElement[], pt: TypeInfo) => {
      path.push(rn);
      rt.errors.push(ERRORS.INVALID_GRAPHQL.err(`Invalid value found for ${describe(path, typeStr, pt)}.`, { path: Array.from(path) }));
      path.pop();
    };
    if (!nonNull) {
      return (input, il, output, rt, path, pt) => {
        const ov = output[rn];
        if (ov !== undefined && typeof ov !== 'function') return true; // already set: kept as is
        let iv = il === undefined ? input[rn] : readMerged(input, il, rn);
        if (iv === undefined || iv === null || (typeof iv === 'function' && !hasOwn.call(input, rn))) {
          output[rn] = null;
          return true;
        }
        if (check(iv)) {
          output[rn] = leafOutput(iv, rt);
          return true;
        }
        invalid(rt, path, pt);
        output[rn] = null;
        return true;
      };
    }
    return (input, il, output, rt, path, pt) => {
      const ov = output[rn];
      if (ov !== undefined && typeof ov !== 'function') return true;
      let iv = il === undefined ? input[rn] : readMerged(input, il, rn);
      if (iv === undefined || iv === null || (typeof iv === 'function' && !hasOwn.call(input, rn))) {
        path.push(rn);
        rt.errors.push(
          ERRORS.INVALID_GRAPHQL.err(`Cannot return null for non-nullable ${describe(path, typeStr, pt)}.`, { path: Array.from(path) }),
        );
        path.pop();
        output[rn] = null;
        return false;
      }
      if (check(iv)) {
        output[rn] = leafOutput(iv, rt);
        return true;
      }
      invalid(rt, path, pt);
      output[rn] = null;
      return false;
    };
  }

  private compileValue(
    type: Type,
    selectionSet: SelectionSet | undefined,
    st: { needsVars: boolean },
    variableDefinitions: readonly VariableDefinitionNode[] | undefined,
  ): ValFn {
    const hasSel = !!selectionSet;
    if (isNonNullType(type)) {
      const inner = this.compileValue(type.ofType, selectionSet, st, variableDefinitions);
      const innerName = type.ofType.toString();
      return (ov, iv, rt, path, pt) => {
        if (ov === null || (ov !== undefined && !hasSel)) {
          rt.flags = 0;
          return ov;
        }
        const u = inner(ov, iv, rt, path, pt);
        if (u === null) {
          if ((rt.flags & F_ERR) === 0) {
            rt.errors.push(
              ERRORS.INVALID_GRAPHQL.err(`Cannot return null for non-nullable ${describe(path, innerName, pt)}.`, {
                path: Array.from(path),
              }),
            );
          }
          rt.flags = F_INVALID | F_ERR;
          return null;
        }
        rt.flags = 0;
        return u;
      };
    }
    if (isListType(type)) {
      const elem = this.compileValue(type.ofType, selectionSet, st, variableDefinitions);
      const typeStr = type.toString();
      return (ov, iv, rt, path, pt) => {
        if (ov === null || (ov !== undefined && !hasSel)) {
          rt.flags = 0;
          return ov;
        }
        if (iv === null) {
          rt.flags = 0;
          return null;
        }
        assert(Array.isArray(iv), () => `Invalid non-list value ${iv} returned by subgraph for list type ${typeStr}`);
        assert(ov === undefined || Array.isArray(ov), () => `Invalid non-list value ${ov} returned by subgraph for list type ${typeStr}`);
        const input = iv as unknown[];
        const n = input.length;
        const outList = ov as unknown[] | undefined;
        assert(
          outList === undefined || n === outList.length,
          () => `[${input}].length (${n}) !== [${outList}].length (${outList!.length})`,
        );
        let nullify = false;
        let hasErrors = false;
        const updated: unknown[] = new Array(n); // sized once: lists of entities are long
        const depth = path.length;
        path.push(0);
        for (let i = 0; i < n; i++) {
          path[depth] = i;
          updated[i] = elem(outList === undefined ? undefined : outList[i], input[i], rt, path, pt);
          const f = rt.flags;
          if (f & F_INVALID) nullify = true;
          if (f & F_ERR) hasErrors = true;
        }
        path.pop();
        rt.flags = hasErrors ? F_ERR : 0;
        return nullify ? null : updated;
      };
    }
    if (isCompositeType(type)) {
      const declared = this.typeInfo(type.name)!;
      const typeStr = type.toString();
      const sub = selectionSet ? this.compileSelectionSet(selectionSet, st, variableDefinitions) : undefined;
      return (ov, iv, rt, path, pt) => {
        if (ov === null || (ov !== undefined && !hasSel)) {
          rt.flags = 0;
          return ov;
        }
        if (iv === null) {
          rt.flags = 0;
          return null;
        }
        assert(sub, () => `Invalid empty selection set for composite type ${typeStr}`);
        assert(typeof iv === 'object', () => `Invalid non-object value ${iv} returned by subgraph for composite type ${typeStr}`);
        assert(
          ov === undefined || typeof ov === 'object',
          () => `Invalid non-object value ${iv} returned by subgraph for composite type ${typeStr}`,
        );
        const input = iv as Obj;
        const il = rt.layers?.get(input);
        const inputTypename = il === undefined ? input[typenameFieldName] : readMerged(input, il, typenameFieldName);
        assert(
          inputTypename === undefined || typeof inputTypename === 'string',
          () => `Invalid non-string value ${inputTypename} for __typename at ${path}`,
        );
        let objType = declared;
        if (inputTypename) {
          const t = this.typeInfo(inputTypename as string);
          if (!t || !t.isComposite) {
            rt.errors.push(
              ERRORS.INVALID_GRAPHQL.err(`Invalid __typename found for object at ${describe(path, typeStr, pt)}.`, {
                path: Array.from(path),
              }),
            );
            rt.flags = F_ERR;
            return null;
          }
          objType = t;
        }
        const out = ov === undefined ? {} : (ov as Obj);
        const ok = sub!(input, il, out, rt, path, objType);
        rt.flags = ok ? 0 : F_ERR;
        return ok ? out : null;
      };
    }
    // leaf
    const check = this.leafChecker(type as NamedType);
    const typeStr = type.toString();
    return (ov, iv, rt, path, pt) => {
      if (ov === null || (ov !== undefined && !hasSel)) {
        rt.flags = 0;
        return ov;
      }
      if (iv === null) {
        rt.flags = 0;
        return null;
      }
      assert(ov === undefined, () => `Excepted output to be undefined but got ${typeStr} for type ${typeStr}`);
      if (check(iv)) {
        rt.flags = 0;
        return leafOutput(iv, rt);
      }
      rt.errors.push(ERRORS.INVALID_GRAPHQL.err(`Invalid value found for ${describe(path, typeStr, pt)}.`, { path: Array.from(path) }));
      rt.flags = F_ERR;
      return null;
    };
  }

  private leafChecker(type: NamedType): (v: unknown) => boolean {
    let c = this.leafCheckers.get(type.name);
    if (c) return c;
    const schema = this.schema;
    if (isCustomScalarType(type)) {
      c = () => true;
    } else if (type === schema.stringType()) {
      c = (v) => typeof v === 'string';
    } else if (type === schema.booleanType()) {
      c = (v) => typeof v === 'boolean';
    } else if (type === schema.intType()) {
      c = isValidInt;
    } else if (type === schema.floatType()) {
      c = isValidFloat;
    } else if (type === schema.idType()) {
      c = isValidId;
    } else {
      c = (v) => isValidLeafValue(schema, v, type as Parameters<typeof isValidLeafValue>[2]);
    }
    this.leafCheckers.set(type.name, c);
    return c;
  }

  private introspectionInfo(selection: Selection, variableDefinitions: readonly VariableDefinitionNode[] | undefined): IntrospectionInfo {
    const field = selection.element as Field;
    const node = (selection as unknown as { expandFragments(): { toSelectionNode(): SelectionNode } }).expandFragments().toSelectionNode();
    const used = new Set<string>();
    visit(node, {
      Variable: ({ name }) => {
        used.add(name.value);
      },
    });
    const usedDefs = variableDefinitions?.filter((def) => used.has(def.variable.name.value));
    assert(
      used.size === (usedDefs?.length ?? 0),
      () => `Should have found all used variables ${[...used]} in definitions ${JSON.stringify(variableDefinitions)}`,
    );
    return {
      document: {
        kind: Kind.DOCUMENT,
        definitions: [
          {
            kind: Kind.OPERATION_DEFINITION,
            operation: OperationTypeNode.QUERY,
            variableDefinitions: usedDefs,
            selectionSet: { kind: Kind.SELECTION_SET, selections: [node] },
          },
        ],
      },
      key: field.responseName(),
      usesVariables: used.size > 0,
    };
  }
}

/** A valid leaf value as written to the output: a long string may become raw JSON (ShapeRuntime.strings). */
function leafOutput(value: unknown, rt: ShapeRuntime): unknown | RawJson {
  const strings = rt.strings;
  return strings !== undefined && typeof value === 'string' && value.length >= strings.minLength ? strings.jsonOf(value) : value;
}

function describe(path: readonly PathElement[], currentType: string, parentType: TypeInfo): string {
  const element = path[path.length - 1];
  assert(element !== undefined, 'Should not have been called on an empty path');
  return typeof element === 'string' ? `field ${parentType.name}.${element}` : `array element of type ${currentType} at index ${element}`;
}

function executeIntrospection(schema: GraphQLSchema, info: IntrospectionInfo, variableValues: Obj | undefined): unknown {
  if (!info.usesVariables && info.cached !== undefined) return info.cached;
  const { data, errors } = executeSync({ schema, document: info.document, rootValue: {}, variableValues });
  assert(!errors || errors.length === 0, () => `Introspection query should not have failed but got ${JSON.stringify(errors)}`);
  assert(data, () => `Introspection query should not have failed`);
  const value = Object.prototype.hasOwnProperty.call(data, info.key) ? (data as Obj)[info.key] : undefined;
  if (!info.usesVariables) info.cached = value;
  return value;
}
