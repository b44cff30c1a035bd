// @defer: incremental delivery from the planner's deferred plans.
//
// Apollo's QueryPlanner with incremental delivery enabled (through apollo.ts;
// Hive's planner does not plan @defer incrementally) is built on first use, so
// the query path (and its plans, from whichever planner) stays exactly as it
// is without @defer. The planner returns a `Defer` node (possibly under a `Condition` for
// `@defer(if: $var)`): a primary plan and deferred plans, each deferred plan
// naming the fetches it depends on. Execution: run the primary plan, answer
// the initial result, then run every deferred plan as soon as the fetches it
// depends on are done, and answer one incremental part per finished plan (in
// completion order, so a slow subgraph only delays its own part).
//
// Shaping reuses the query shaper: each answer shapes the operation without
// the still-pending deferred fragments, and a part carries, at each path
// where its fragment applies, the fragment's top-level fields of that result.
// Merging every part into the initial result therefore gives exactly the
// result of the same query without @defer.
import type { DocumentNode, FieldNode, OperationDefinitionNode, SelectionSetNode, VariableDefinitionNode, DirectiveNode } from 'graphql';
import { LRUCache } from 'lru-cache';
import { operationFromDocument } from './apollo.ts';
import { GraphQLError, Kind, parse, valueFromASTUntyped, visit } from './graphql.ts';
import { newResponseRoot } from './merge.ts';
import { compileNode, rootCursor, type Exec } from './plan.ts';
import type { DeferNode, EngineQueryPlan, PlanNode } from './planTypes.ts';
import { ShaperCompiler, type CompiledShaper } from './shape.ts';
import { execContext, shapeResult, variableErrors, type StreamingDeps, type StreamRequest, type StreamResult } from './streaming.ts';

/** Labels the executor gives unlabelled @defer fragments (never shown to clients). */
const SYNTHETIC_LABEL = '__defer_';

export interface IncrementalItem {
  data: Record<string, unknown> | null;
  path: (string | number)[];
  label?: string;
  errors?: readonly unknown[];
}
export interface SubsequentPayload {
  incremental: IncrementalItem[];
  hasNext: boolean;
}
export interface DeferredResponse {
  initial: StreamResult & { hasNext: true };
  subsequent: AsyncIterable<SubsequentPayload>;
}

interface PreparedDeferred {
  label: string;
  queryPath: readonly string[];
  /** Top-level response names of the deferred fragment. */
  fields: ReadonlySet<string>;
  exec: Exec | undefined;
  /** Fetch ids this plan waits for, and the fetch ids it contains. */
  depends: readonly string[];
  owns: ReadonlySet<string>;
}
interface Prepared {
  labelled: DocumentNode;
  operation: OperationDefinitionNode;
  plan: EngineQueryPlan;
  variableDefaults: Record<string, unknown>;
  /** Shapers by the sorted list of pending labels. */
  shapers: Map<string, CompiledShaper>;
  compiledDefers: WeakMap<DeferNode, { primary: Exec | undefined; primaryOwns: ReadonlySet<string>; deferred: PreparedDeferred[] }>;
}

export function createDeferExecutor(deps: StreamingDeps) {
  const shaperCompiler = new ShaperCompiler(deps.apiSchema, deps.gatewaySchema);
  // Bounded by the query text it holds (a plan grows with its query), and by count.
  const prepared = new LRUCache<string, Prepared>({ max: 500, maxSize: 8 * 1024 * 1024, sizeCalculation: (_p, key) => key.length || 1 });

  function prepare(query: string, document: DocumentNode, operationName: string | undefined): Prepared {
    const key = `${operationName ?? ''}\u0000${query}`;
    const hit = prepared.get(key);
    if (hit) return hit;
    const labelled = labelDefers(document);
    const plan = deps.deferPlanner().plan({ query, operationName, activeLabels: new Set(), percentage: 100 }, labelled);
    const operation = labelled.definitions.find(
      (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION && (!operationName || d.name?.value === operationName),
    )!;
    const variableDefaults: Record<string, unknown> = {};
    for (const def of operation.variableDefinitions ?? []) {
      if (def.defaultValue) variableDefaults[def.variable.name.value] = valueFromASTUntyped(def.defaultValue);
    }
    const p: Prepared = { labelled, operation, plan, variableDefaults, shapers: new Map(), compiledDefers: new WeakMap() };
    prepared.set(key, p);
    return p;
  }

  function shaperFor(p: Prepared, pending: ReadonlySet<string>, operationName: string | undefined): CompiledShaper {
    const key = [...pending].sort().join('\u0000');
    let shaper = p.shapers.get(key);
    if (!shaper) {
      const doc = withoutDeferred(p.labelled, pending);
      const op = operationFromDocument(deps.apiSchema, doc, { operationName, validate: false });
      shaper = shaperCompiler.compile(op, p.operation.variableDefinitions ?? ([] as readonly VariableDefinitionNode[]));
      p.shapers.set(key, shaper);
    }
    return shaper;
  }

  function compileDefer(p: Prepared, node: DeferNode) {
    let c = p.compiledDefers.get(node);
    if (!c) {
      const mode = p.plan.requiresMode;
      c = {
        primary: node.primary ? compileNode(node.primary, deps.supergraphSchema, mode) : undefined,
        primaryOwns: fetchIds(node.primary),
        deferred: (node.parts ?? []).map((d) => ({
          label: d.label!,
          queryPath: d.queryPath,
          fields: responseNames(d.subselection),
          exec: d.node ? compileNode(d.node, deps.supergraphSchema, mode) : undefined,
          depends: d.depends,
          owns: fetchIds(d.node),
        })),
      };
      p.compiledDefers.set(node, c);
    }
    return c;
  }

  /**
   * `undefined` when nothing in this request is deferred (no @defer, or every
   * @defer(if:) is false): the caller answers the usual single result.
   */
  return async function executeDeferred(request: StreamRequest & { query: string }): Promise<DeferredResponse | StreamResult | undefined> {
    const operationName = request.operationName ?? undefined;
    let p: Prepared;
    try {
      p = prepare(request.query, request.document, operationName);
    } catch (error) {
      return { errors: [error instanceof GraphQLError ? error : new GraphQLError('Could not plan the operation')] };
    }
    const varErrors = variableErrors(deps, request, p.operation.variableDefinitions ?? []);
    if (varErrors) return { errors: varErrors };
    const variables = request.variables ?? undefined;
    const deferNode = findDefer(p.plan.node, p, variables);
    if (!deferNode?.parts || deferNode.parts.length === 0) return undefined;
    const compiled = compileDefer(p, deferNode);
    const root: Record<string, unknown> = newResponseRoot();
    const contextValue = await request.context();
    const ctxFor = (errors: unknown[]) => execContext(deps, root, errors, request, contextValue, p.variableDefaults, 'query');

    const primaryErrors: unknown[] = [];
    if (compiled.primary) await compiled.primary(ctxFor(primaryErrors), rootCursor(root));
    const pending = new Set(compiled.deferred.map((d) => d.label));
    const initial = shapeResult(shaperFor(p, pending, operationName), root, primaryErrors, variables);

    // Each deferred plan starts when the plans holding the fetches it depends on have finished.
    const finished = new Map<PreparedDeferred, Promise<unknown[]>>();
    const start = (d: PreparedDeferred): Promise<unknown[]> => {
      let run = finished.get(d);
      if (!run) {
        const before = compiled.deferred.filter(
          (other) => other !== d && d.depends.some((id) => other.owns.has(id) && !compiled.primaryOwns.has(id)),
        );
        run = Promise.all(before.map(start)).then(async () => {
          const errors: unknown[] = [];
          try {
            if (d.exec) await d.exec(ctxFor(errors), rootCursor(root));
          } catch (error) {
            // Never a rejected promise: nobody may be waiting for this part any more (client gone).
            errors.push(error instanceof GraphQLError ? error : new GraphQLError('Unexpected error during query plan execution'));
          }
          return errors;
        });
        finished.set(d, run);
      }
      return run;
    };
    const completions = compiled.deferred.map((d) => start(d).then((errors) => ({ d, errors })));

    async function* subsequent(): AsyncGenerator<SubsequentPayload> {
      const waiting = new Map(completions.map((c, i) => [i, c.then((v) => ({ ...v, i }))]));
      while (waiting.size > 0) {
        const { d, errors, i } = await Promise.race(waiting.values());
        waiting.delete(i);
        pending.delete(d.label);
        const shaped = shapeResult(shaperFor(p, pending, operationName), root, errors, variables);
        const items = partsAt(shaped.data ?? null, d).map((item) =>
          d.label.startsWith(SYNTHETIC_LABEL) ? item : { ...item, label: d.label },
        );
        if (items.length === 0) items.push({ data: null, path: [...d.queryPath] });
        if (shaped.errors?.length) items[0] = { ...items[0]!, errors: shaped.errors };
        yield { incremental: items, hasNext: waiting.size > 0 };
      }
    }
    return { initial: { ...initial, hasNext: true }, subsequent: subsequent() };
  };
}

/** Gives every unlabelled @defer a unique label, so plans and fragments can be matched. */
function labelDefers(document: DocumentNode): DocumentNode {
  let n = 0;
  return visit(document, {
    Directive(node: DirectiveNode) {
      if (node.name.value !== 'defer' || node.arguments?.some((a) => a.name.value === 'label')) return undefined;
      return {
        ...node,
        arguments: [
          ...(node.arguments ?? []),
          {
            kind: Kind.ARGUMENT,
            name: { kind: Kind.NAME, value: 'label' },
            value: { kind: Kind.STRING, value: `${SYNTHETIC_LABEL}${n++}` },
          },
        ],
      };
    },
  });
}

function deferLabel(directives: readonly DirectiveNode[] | undefined): string | undefined {
  const defer = directives?.find((d) => d.name.value === 'defer');
  const label = defer?.arguments?.find((a) => a.name.value === 'label')?.value;
  return label?.kind === Kind.STRING ? label.value : undefined;
}

/** The document with the `pending` deferred fragments removed and every other @defer dropped. */
function withoutDeferred(document: DocumentNode, pending: ReadonlySet<string>): DocumentNode {
  const strip = (node: { directives?: readonly DirectiveNode[] }) => {
    const label = deferLabel(node.directives);
    if (label === undefined) return undefined;
    if (pending.has(label)) return null;
    return { ...node, directives: node.directives!.filter((d) => d.name.value !== 'defer') };
  };
  return visit(document, { InlineFragment: strip, FragmentSpread: strip });
}

/** The Defer node this request runs (Conditions of @defer(if:) resolved with the request's variables). */
function findDefer(node: PlanNode | undefined, p: Prepared, variables: Record<string, unknown> | undefined): DeferNode | undefined {
  if (!node) return undefined;
  if (node.kind === 'Defer') return node;
  if (node.kind === 'Condition') {
    const value = variables?.[node.condition] ?? defaultOf(p.operation, node.condition);
    return findDefer(value ? node.ifClause : node.elseClause, p, variables);
  }
  return undefined;
}

function defaultOf(operation: OperationDefinitionNode, name: string): boolean {
  const def = operation.variableDefinitions?.find((v) => v.variable.name.value === name)?.defaultValue;
  return def?.kind === Kind.BOOLEAN ? def.value : false;
}

function fetchIds(node: PlanNode | undefined, out = new Set<string>()): Set<string> {
  if (!node) return out;
  switch (node.kind) {
    case 'Fetch':
      if (node.id !== undefined) out.add(node.id);
      break;
    case 'Sequence':
    case 'Parallel':
      for (const n of node.nodes) fetchIds(n, out);
      break;
    case 'Flatten':
      fetchIds(node.node, out);
      break;
    case 'Condition':
      fetchIds(node.ifClause, out);
      fetchIds(node.elseClause, out);
      break;
    case 'Defer':
      fetchIds(node.primary, out);
      for (const d of node.deferred) fetchIds(d, out);
      break;
  }
  return out;
}

/** Top-level response names of a planner subselection (`{ a b: c ... on T { d } }`). */
function responseNames(subselection: string | undefined): ReadonlySet<string> {
  const names = new Set<string>();
  if (!subselection) return names;
  const op = parse(subselection).definitions[0] as OperationDefinitionNode;
  const collect = (set: SelectionSetNode) => {
    for (const sel of set.selections) {
      if (sel.kind === Kind.FIELD) names.add((sel as FieldNode).alias?.value ?? (sel as FieldNode).name.value);
      else if (sel.kind === Kind.INLINE_FRAGMENT) collect(sel.selectionSet);
    }
  };
  collect(op.selectionSet);
  return names;
}

/** One incremental item per object at the deferred plan's path (lists expand to one item per element). */
function partsAt(data: Record<string, unknown> | null, d: PreparedDeferred): IncrementalItem[] {
  const items: IncrementalItem[] = [];
  const walk = (value: unknown, i: number, path: (string | number)[]) => {
    if (value === null || value === undefined) return;
    if (Array.isArray(value)) {
      value.forEach((v, index) => walk(v, i, [...path, index]));
      return;
    }
    if (typeof value !== 'object') return;
    if (i === d.queryPath.length) {
      const obj = value as Record<string, unknown>;
      const picked: Record<string, unknown> = {};
      for (const k of Object.keys(obj)) if (d.fields.has(k)) picked[k] = obj[k];
      items.push({ data: picked, path });
      return;
    }
    const step = d.queryPath[i]!;
    // A type condition in the path ("... on T") does not move in the data.
    if (step.startsWith('... on ')) return walk(value, i + 1, path);
    walk((value as Record<string, unknown>)[step], i + 1, [...path, step]);
  };
  walk(data, 0, []);
  return items;
}
