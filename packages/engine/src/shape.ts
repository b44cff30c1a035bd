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
import { GeneratedFunction, isPlainKey, readCode } from './generated.ts';

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
  /** characters of source generated for it: a measure of what it holds (the operation cache bounds by it) */
  readonly sourceChars: number;
}

interface IntrospectionInfo {
  readonly document: import('graphql').DocumentNode;
  readonly key: string;
  readonly usesVariables: boolean;
  cached?: unknown;
}

const SEL_PARAMS = 'input, il, output, rt, path, pt';
const VAL_PARAMS = 'ov, iv, rt, path, pt';

/**
 * How generated code reads and writes one response name: a plain key (isPlainKey) as a property,
 * inline; any other (`__proto__`, `constructor`…) through merge.ts's readOwn / readMerged / writeOwn,
 * which read only own properties and define `__proto__` as data.
 */
function accessCode(fn: GeneratedFunction, key: string): { output: string; write(value: string): string; read(target: string): string } {
  const k = JSON.stringify(key);
  if (isPlainKey(key)) {
    return { output: `output[${k}]`, write: (value) => `output[${k}] = ${value};`, read: (target) => readCode(fn, target, key) };
  }
  return {
    output: `${fn.ref(readOwn)}(output, ${k})`,
    write: (value) => `${fn.ref(writeOwn)}(output, ${k}, ${value});`,
    read: (target) => `${target} = ${fn.ref(readMerged)}(input, il, ${k});`,
  };
}

function unexpectedTypename(typename: unknown): never {
  assert(false, () => `Got unexpected value for __typename: ${typename}`);
  throw new Error('unreachable');
}

export class ShaperCompiler {
  private readonly types = new Map<string, TypeInfo | null>();
  /** characters of generated source so far (CompiledShaper.sourceChars is each shaper's share) */
  private generatedChars = 0;
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

  private newFunction(): GeneratedFunction {
    return new GeneratedFunction((chars) => {
      this.generatedChars += chars;
    });
  }

  compile(operation: Operation, variableDefinitions: readonly VariableDefinitionNode[] | undefined): CompiledShaper {
    const charsBefore = this.generatedChars;
    const st = { needsVars: false };
    const root = this.compileSelectionSet(operation.selectionSet, st, variableDefinitions);
    const rootType = this.typeInfo(operation.schema().schemaDefinition.rootType(operation.rootKind)!.name)!;
    const defaulted = operation.collectDefaultedVariableValues() as Obj;
    const hasDefaults = Object.keys(defaulted).length > 0;
    const needsVars = st.needsVars;
    const shaper = (input: Obj, requestVariables: Obj | undefined, strings?: JsonStringCache) => {
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
    return Object.assign(shaper, { sourceChars: this.generatedChars - charsBefore });
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
    const fn = this.newFunction();
    const body = this.selectionSetCode(selectionSet, st, variableDefinitions, fn, 'return false;');
    return fn.build<SelFn>('shapeSelectionSet', SEL_PARAMS, `${body}\nreturn true;`);
  }

  /**
   * The statements that shape `selectionSet` from `input` (layers `il`) into `output` (parent type `pt`),
   * in selection order; `fail` is the statement run when an invalid null must bubble up. Fragments are
   * inlined, so a selection set and its fragments are one function.
   */
  private selectionSetCode(
    selectionSet: SelectionSet,
    st: { needsVars: boolean },
    variableDefinitions: readonly VariableDefinitionNode[] | undefined,
    fn: GeneratedFunction,
    fail: string,
  ): string {
    const steps: string[] = [];
    for (const selection of selectionSet.selections()) {
      const cond = this.condition(selection, st);
      if (cond === 'always-skip') continue;
      let step =
        selection.kind === 'FieldSelection'
          ? this.fieldCode(selection, st, variableDefinitions, fn, fail)
          : this.fragmentCode(selection, st, variableDefinitions, fn, fail);
      if (cond) step = `if (!${fn.ref(cond)}(rt.vars)) {\n${step}\n}`;
      steps.push(`{\n${step}\n}`);
    }
    return steps.join('\n');
  }

  private fragmentCode(
    selection: Selection,
    st: { needsVars: boolean },
    variableDefinitions: readonly VariableDefinitionNode[] | undefined,
    fn: GeneratedFunction,
    fail: string,
  ): string {
    const fragment = selection.element as FragmentElement;
    const checkTypename = `let tn;\n${readCode(fn, 'tn', typenameFieldName)}\nif (tn && typeof tn !== 'string') ${fn.ref(unexpectedTypename)}(tn);`;
    const typeCondition = fragment.typeCondition;
    if (!typeCondition) {
      return `${checkTypename}\n${this.selectionSetCode(selection.selectionSet!, st, variableDefinitions, fn, fail)}`;
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
    // the fragment's selections see its type condition as their parent type
    const sub = this.selectionSetCode(selection.selectionSet!, st, variableDefinitions, fn, fail);
    return `${checkTypename}\nif (${fn.ref(applies)}(tn, pt)) {\nconst pt = ${fn.ref(condInfo)};\n${sub}\n}`;
  }

  private fieldCode(
    selection: Selection,
    st: { needsVars: boolean },
    variableDefinitions: readonly VariableDefinitionNode[] | undefined,
    fn: GeneratedFunction,
    fail: string,
  ): string {
    const field = selection.element as Field;
    const rn = field.responseName();
    if (field.definition.isSchemaIntrospectionField()) {
      return `if (!${fn.ref(this.introspectionStep(selection, variableDefinitions))}(${SEL_PARAMS})) ${fail}`;
    }
    const at = accessCode(fn, rn);
    if (field.name === typenameFieldName) {
      const aliased = rn !== typenameFieldName;
      const typeInfo = fn.ref((name: string) => this.typeInfo(name));
      return [
        `if (${at.output} === undefined) {`,
        `let iv;\n${at.read('iv')}\nif (iv === undefined) iv = null;`,
        aliased ? `if (iv === null) {\n${readCode(fn, 'iv', typenameFieldName)}\nif (iv === undefined) iv = null;\n}` : '',
        `const type = iv !== null && typeof iv === 'string' ? (${typeInfo}(iv) ?? pt) : pt;`,
        `if (!type.isObject) ${fail}`,
        at.write('type.name'),
        '}',
      ].join('\n');
    }
    const fieldType = field.definition.type!;
    if (!selection.selectionSet) {
      const leaf = this.leafFieldCode(at, rn, fieldType, fn, fail);
      if (leaf) return leaf;
    }
    const val = this.compileValue(fieldType, selection.selectionSet, st, variableDefinitions);
    return [
      `const ov = ${at.output};`,
      `let iv;\n${at.read('iv')}\nif (iv === undefined) iv = null;`,
      `path.push(${JSON.stringify(rn)});`,
      at.write(`${fn.ref(val)}(ov, iv, rt, path, pt)`),
      'path.pop();',
      `if ((rt.flags & ${F_INVALID}) !== 0) ${fail}`,
    ].join('\n');
  }

  /** An introspection field: answered by graphql-js against the gateway's schema, as stock does. */
  private introspectionStep(selection: Selection, variableDefinitions: readonly VariableDefinitionNode[] | undefined): SelFn {
    const rn = (selection.element as Field).responseName();
    const info = this.introspectionInfo(selection, variableDefinitions);
    const gatewaySchema = this.gatewaySchema;
    return (_input, _il, output, rt) => {
      if (readOwn(output, rn) === undefined) {
        writeOwn(output, rn, executeIntrospection(gatewaySchema, info, rt.requestVariables));
      }
      return true;
    };
  }

  /**
   * Leaf field (nullable or non-null scalar/enum) without selection set: the same outcome as the
   * generic field step + the leaf value, without the path push/pop and the flag protocol on the happy path.
   */
  private leafFieldCode(
    at: ReturnType<typeof accessCode>,
    rn: string,
    type: Type,
    fn: GeneratedFunction,
    fail: string,
  ): string | undefined {
    const nonNull = isNonNullType(type);
    const named = nonNull ? (type as { ofType: Type }).ofType : type;
    if (isListType(named) || isNonNullType(named) || isCompositeType(named)) return undefined;
    const typeStr = named.toString();
    const invalid = fn.ref((rt: ShapeRuntime, path: PathElement[], pt: TypeInfo) => {
      path.push(rn);
      rt.errors.push(ERRORS.INVALID_GRAPHQL.err(`Invalid value found for ${describe(path, typeStr, pt)}.`, { path: Array.from(path) }));
      path.pop();
    });
    const onNull = nonNull
      ? `{\n${fn.ref((rt: ShapeRuntime, path: PathElement[], pt: TypeInfo) => {
          path.push(rn);
          rt.errors.push(
            ERRORS.INVALID_GRAPHQL.err(`Cannot return null for non-nullable ${describe(path, typeStr, pt)}.`, { path: Array.from(path) }),
          );
          path.pop();
        })}(rt, path, pt);\n${at.write('null')}\n${fail}\n}`
      : `{\n${at.write('null')}\n}`;
    return [
      `if (${at.output} === undefined) {`,
      `let iv;\n${at.read('iv')}`,
      `if (iv === undefined || iv === null) ${onNull}`,
      `else if (${this.leafCheckCode(named as NamedType, fn)}) {\n${at.write(this.leafOutputCode(named as NamedType, fn))}\n}`,
      `else {\n${invalid}(rt, path, pt);\n${at.write('null')}\n${nonNull ? fail : ''}\n}`,
      '}',
    ].join('\n');
  }

  private compileValue(
    type: Type,
    selectionSet: SelectionSet | undefined,
    st: { needsVars: boolean },
    variableDefinitions: readonly VariableDefinitionNode[] | undefined,
  ): ValFn {
    const fn = this.newFunction();
    // a value already written (by an earlier selection of the same response name) is kept as is
    // when null, or when there is no selection set to merge into it
    const kept = `if (ov === null || (ov !== undefined && ${!selectionSet})) {\nrt.flags = 0;\nreturn ov;\n}`;
    if (isNonNullType(type)) {
      const inner = fn.ref(this.compileValue(type.ofType, selectionSet, st, variableDefinitions));
      const innerName = type.ofType.toString();
      const nullError = fn.ref((rt: ShapeRuntime, path: PathElement[], pt: TypeInfo) => {
        rt.errors.push(
          ERRORS.INVALID_GRAPHQL.err(`Cannot return null for non-nullable ${describe(path, innerName, pt)}.`, { path: Array.from(path) }),
        );
      });
      return fn.build<ValFn>(
        'shapeNonNull',
        VAL_PARAMS,
        `${kept}
const u = ${inner}(ov, iv, rt, path, pt);
if (u === null) {
  if ((rt.flags & ${F_ERR}) === 0) ${nullError}(rt, path, pt);
  rt.flags = ${F_INVALID | F_ERR};
  return null;
}
rt.flags = 0;
return u;`,
      );
    }
    const nullValue = 'if (iv === null) {\nrt.flags = 0;\nreturn null;\n}';
    if (isListType(type)) {
      const elem = fn.ref(this.compileValue(type.ofType, selectionSet, st, variableDefinitions));
      const typeStr = type.toString();
      const notLists = fn.ref((ov: unknown, iv: unknown) => {
        assert(Array.isArray(iv), () => `Invalid non-list value ${iv} returned by subgraph for list type ${typeStr}`);
        assert(ov === undefined || Array.isArray(ov), () => `Invalid non-list value ${ov} returned by subgraph for list type ${typeStr}`);
        assert(false, () => `[${iv}].length (${(iv as unknown[]).length}) !== [${ov}].length (${(ov as unknown[]).length})`);
      });
      return fn.build<ValFn>(
        'shapeList',
        VAL_PARAMS,
        `${kept}
${nullValue}
if (!${fn.ref(Array.isArray)}(iv) || (ov !== undefined && (!${fn.ref(Array.isArray)}(ov) || ov.length !== iv.length))) ${notLists}(ov, iv);
const n = iv.length;
let nullify = false;
let hasErrors = false;
const updated = new Array(n); // sized once: lists of entities are long
const depth = path.length;
path.push(0);
for (let i = 0; i < n; i++) {
  path[depth] = i;
  updated[i] = ${elem}(ov === undefined ? undefined : ov[i], iv[i], rt, path, pt);
  const f = rt.flags;
  if (f & ${F_INVALID}) nullify = true;
  if (f & ${F_ERR}) hasErrors = true;
}
path.pop();
rt.flags = hasErrors ? ${F_ERR} : 0;
return nullify ? null : updated;`,
      );
    }
    if (isCompositeType(type)) {
      const typeStr = type.toString();
      const notObjects = fn.ref((ov: unknown, iv: unknown) => {
        assert(selectionSet, () => `Invalid empty selection set for composite type ${typeStr}`);
        assert(typeof iv === 'object', () => `Invalid non-object value ${iv} returned by subgraph for composite type ${typeStr}`);
        assert(false, () => `Invalid non-object value ${iv} returned by subgraph for composite type ${typeStr}`);
      });
      const typenameNotString = fn.ref((typename: unknown, path: PathElement[]) => {
        assert(false, () => `Invalid non-string value ${typename} for __typename at ${path}`);
      });
      const invalidTypename = fn.ref((rt: ShapeRuntime, path: PathElement[], pt: TypeInfo) => {
        rt.errors.push(
          ERRORS.INVALID_GRAPHQL.err(`Invalid __typename found for object at ${describe(path, typeStr, pt)}.`, { path: Array.from(path) }),
        );
      });
      const typeInfo = fn.ref((name: string) => this.typeInfo(name));
      // the selection set is shaped inline: an invalid null leaves the labelled block with ok = false
      const sub = selectionSet ? this.selectionSetCode(selectionSet, st, variableDefinitions, fn, '{\nok = false;\nbreak shape;\n}') : '';
      return fn.build<ValFn>(
        'shapeObject',
        VAL_PARAMS,
        `${kept}
${nullValue}
if (${!selectionSet} || typeof iv !== 'object' || (ov !== undefined && typeof ov !== 'object')) ${notObjects}(ov, iv);
const input = iv;
const layers = rt.layers;
const il = layers === undefined ? undefined : layers.get(input);
let tn;
${readCode(fn, 'tn', typenameFieldName)}
if (tn !== undefined && typeof tn !== 'string') ${typenameNotString}(tn, path);
let objType = ${fn.ref(this.typeInfo(type.name)!)};
if (tn) {
  const t = ${typeInfo}(tn);
  if (!t || !t.isComposite) {
    ${invalidTypename}(rt, path, pt);
    rt.flags = ${F_ERR};
    return null;
  }
  objType = t;
}
const output = ov === undefined ? {} : ov;
let ok = true;
shape: {
  const pt = objType;
  ${sub}
}
rt.flags = ok ? 0 : ${F_ERR};
return ok ? output : null;`,
      );
    }
    // leaf
    const named = type as NamedType;
    const typeStr = type.toString();
    const outputNotEmpty = fn.ref(() => assert(false, () => `Excepted output to be undefined but got ${typeStr} for type ${typeStr}`));
    const invalid = fn.ref((rt: ShapeRuntime, path: PathElement[], pt: TypeInfo) => {
      rt.errors.push(ERRORS.INVALID_GRAPHQL.err(`Invalid value found for ${describe(path, typeStr, pt)}.`, { path: Array.from(path) }));
    });
    return fn.build<ValFn>(
      'shapeLeaf',
      VAL_PARAMS,
      `${kept}
${nullValue}
if (ov !== undefined) ${outputNotEmpty}();
if (${this.leafCheckCode(named, fn)}) {
  rt.flags = 0;
  return ${this.leafOutputCode(named, fn)};
}
${invalid}(rt, path, pt);
rt.flags = ${F_ERR};
return null;`,
    );
  }

  /** An expression: whether `iv` (not null) is a valid value of the leaf type. */
  private leafCheckCode(type: NamedType, fn: GeneratedFunction): string {
    const schema = this.schema;
    if (isCustomScalarType(type)) return 'true';
    if (type === schema.stringType()) return `typeof iv === 'string'`;
    if (type === schema.booleanType()) return `typeof iv === 'boolean'`;
    return `${fn.ref(this.leafChecker(type))}(iv)`;
  }

  /** An expression: the valid leaf value `iv` as written to the output (a long string may become raw JSON). */
  private leafOutputCode(type: NamedType, fn: GeneratedFunction): string {
    const schema = this.schema;
    if (type === schema.booleanType() || type === schema.intType() || type === schema.floatType()) return 'iv'; // never a string
    return `${fn.ref(leafOutput)}(iv, rt)`;
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
