// Per-operation preparation, cached per (document, operationName): operation
// context (as buildOperationContext), query plan, compiled plan executor and
// compiled result shaper. Everything here runs once per distinct operation.
import type { DocumentNode, FragmentDefinitionNode, GraphQLSchema, OperationDefinitionNode, VariableDefinitionNode } from 'graphql';
import { GraphQLError, Kind, print, valueFromASTUntyped } from './graphql.ts';
import { ERRORS, operationFromDocument } from './apollo.ts';
import type { Operation, Schema } from './apollo.ts';
import { compilePlan, type Exec } from './plan.ts';
import type { EnginePlanner, EngineQueryPlan } from './planTypes.ts';
import { ShaperCompiler, type CompiledShaper } from './shape.ts';
import { documentRetainedBytes } from './documentSize.ts';

export interface OperationContext {
  readonly operation: OperationDefinitionNode;
  readonly fragments: Record<string, FragmentDefinitionNode>;
  readonly variableDefinitions: readonly VariableDefinitionNode[];
  /** default values of the operation's variables */
  readonly variableDefaults: Record<string, unknown>;
  readonly isQuery: boolean;
}

export interface CompiledOperation {
  readonly plan: EngineQueryPlan;
  /** undefined when the plan has no node */
  readonly exec: Exec | undefined;
  /** operationFromDocument failed at execution time in stock: respond with this error */
  readonly operationError: GraphQLError | undefined;
  readonly operation: Operation | undefined;
  readonly shaper: CompiledShaper | undefined;
}

interface Shaping {
  readonly operationError: GraphQLError | undefined;
  readonly operation: Operation | undefined;
  readonly shaper: CompiledShaper | undefined;
}

interface Entry {
  ctx: OperationContext;
  shaping?: Shaping;
  /** compiled plan per progressive-override decision ('' = none) */
  compiled?: Map<string, CompiledOperation>;
  /** estimated bytes of `shaping` and `compiled` (OperationCache bounds their sum over entries) */
  compiledBytes: number;
}

export interface OperationCacheDeps {
  apiSchema: Schema;
  gatewaySchema: GraphQLSchema;
  supergraphSchema: GraphQLSchema;
  planner: EnginePlanner;
  /** bound of the estimated bytes of compiled operations kept (default 48 MB) */
  maxCompiledBytes?: number;
}

/**
 * What compiled state holds, estimated from what was generated for it: the plan (as JSON) and the
 * shaper's generated source, each held about three times over once compiled (source, bytecode,
 * objects), plus 16 KB each for the operation and plan executor objects. On the federation
 * benchmark's query the two say ~200 KB, about twice the ~100 KB measured (heap after a full GC, per
 * distinct operation): on the safe side.
 */
const shapingSizeEstimate = (shaper: CompiledShaper | undefined): number => 3 * (shaper?.sourceChars ?? 0) + 16 * 1024;
const planSizeEstimate = (plan: EngineQueryPlan): number => 3 * planChars(plan) + 16 * 1024;

/** The plan's size as JSON (Apollo's fetch nodes also carry their parsed operation: left out, it repeats `operation`). */
function planChars(plan: EngineQueryPlan): number {
  try {
    return JSON.stringify(plan.node ?? null, (key, value: unknown) => (key === 'operationDocumentNode' ? undefined : value)).length;
  } catch {
    return 64 * 1024; // not JSON (a cycle): counted as a large plan
  }
}

const DEFAULT_MAX_COMPILED_BYTES = 48 * 1024 * 1024;

/** The @override decision of one request: labels switched on, and the percentage roll. */
export interface OverrideDecision {
  readonly activeLabels: ReadonlySet<string>;
  readonly percentage: number;
}

const NO_LABELS: ReadonlySet<string> = new Set();

/**
 * Entries kept by query hash (beyond Apollo's document store, which the WeakMap follows), bounded by
 * the bytes of the documents they retain (documentSize.ts): a parsed document keeps its tokens and its
 * whole source text, so an entry count alone lets 1,000 padded 100 KB queries pin 100 MB.
 */
const MAX_BY_HASH = 1000;
const MAX_BY_HASH_BYTES = 8 * 1024 * 1024;

export class OperationCache {
  private readonly byDocument = new WeakMap<DocumentNode, Map<string, Entry>>();
  private readonly byHash = new Map<string, { entry: Entry; bytes: number }>();
  private byHashBytes = 0;
  private readonly shaperCompiler: ShaperCompiler;
  private readonly deps: OperationCacheDeps;
  /**
   * Entries holding compiled state, least recently used first. Entries themselves live as long as
   * their documents (as long as a document store keeps them, or byHash), but
   * their compiled plans and shapers (~100 KB each on the federation benchmark's query) are bounded
   * here: 1,500 distinct operations of that size ran the gateway out of memory before. Past the
   * bound, the least recently used entry's compiled state is dropped and compiled again on its next use.
   */
  private readonly withCompiled = new Set<Entry>();
  private compiledBytesTotal = 0;
  private readonly maxCompiledBytes: number;

  constructor(deps: OperationCacheDeps) {
    this.deps = deps;
    this.shaperCompiler = new ShaperCompiler(deps.apiSchema, deps.gatewaySchema);
    this.maxCompiledBytes = deps.maxCompiledBytes ?? DEFAULT_MAX_COMPILED_BYTES;
  }

  /** estimated bytes of the compiled operations kept, and how many entries hold them (tests, metrics) */
  get compiledStats(): { bytes: number; entries: number } {
    return { bytes: this.compiledBytesTotal, entries: this.withCompiled.size };
  }

  /** buildOperationContext semantics (throws the same errors); cached. */
  entry(document: DocumentNode, operationName: string | undefined, queryHash: string | undefined): Entry {
    const nameKey = operationName ?? '';
    let perDoc = this.byDocument.get(document);
    let e = perDoc?.get(nameKey);
    if (e) return e;
    const hashKey = queryHash !== undefined ? queryHash + '\u0000' + nameKey : undefined;
    if (hashKey !== undefined) {
      e = this.byHash.get(hashKey)?.entry;
    }
    if (!e) {
      e = { ctx: buildOperationContext(document, operationName), compiledBytes: 0 };
      if (hashKey !== undefined) {
        const bytes = documentRetainedBytes(document);
        // Oldest first, until both the count and the byte budget have room.
        while (this.byHash.size > 0 && (this.byHash.size >= MAX_BY_HASH || this.byHashBytes + bytes > MAX_BY_HASH_BYTES)) {
          const [oldestKey, oldest] = this.byHash.entries().next().value!;
          this.byHash.delete(oldestKey);
          this.byHashBytes -= oldest.bytes;
        }
        if (bytes <= MAX_BY_HASH_BYTES) {
          this.byHash.set(hashKey, { entry: e, bytes });
          this.byHashBytes += bytes;
        }
      }
    }
    if (!perDoc) {
      perDoc = new Map();
      this.byDocument.set(document, perDoc);
    }
    perDoc.set(nameKey, e);
    return e;
  }

  /** plan + compile (throws planning errors like stock; failures are not cached) */
  compiled(
    e: Entry,
    document: DocumentNode,
    operationName: string | undefined,
    query: string | undefined,
    override: OverrideDecision | undefined,
  ): CompiledOperation {
    const { planner } = this.deps;
    const key = override ? overrideKey(planner.overridePercentages, override) : '';
    const cached = e.compiled?.get(key);
    if (cached) {
      // most recently used last
      this.withCompiled.delete(e);
      this.withCompiled.add(e);
      return cached;
    }
    const plan = planner.plan(
      {
        query: query ?? print(document),
        operationName,
        activeLabels: override?.activeLabels ?? NO_LABELS,
        percentage: override?.percentage ?? 100,
      },
      document,
    );
    const exec = compilePlan(plan, this.deps.supergraphSchema);
    let bytes = 0;
    if (!e.shaping) {
      e.shaping = this.shape(e);
      // an entry with compiled state is kept (withCompiled), and with it its document: its AST nodes'
      // locations reach every token and the source, whatever the document stores have dropped since
      bytes += shapingSizeEstimate(e.shaping.shaper) + documentRetainedBytes(document);
    }
    const compiled: CompiledOperation = { plan, exec, ...e.shaping };
    e.compiled ??= new Map();
    // bounded: one entry per distinct decision, and decisions are few (labels x thresholds)
    if (e.compiled.size < 64) {
      e.compiled.set(key, compiled);
      bytes += planSizeEstimate(plan);
    }
    this.keepCompiled(e, bytes);
    return compiled;
  }

  /** Counts `bytes` more compiled state for `e`, then drops the least recently used until within the bound. */
  private keepCompiled(e: Entry, bytes: number): void {
    e.compiledBytes += bytes;
    this.compiledBytesTotal += bytes;
    this.withCompiled.delete(e);
    this.withCompiled.add(e);
    for (const oldest of this.withCompiled) {
      if (this.compiledBytesTotal <= this.maxCompiledBytes || oldest === e) break;
      this.withCompiled.delete(oldest);
      this.compiledBytesTotal -= oldest.compiledBytes;
      oldest.compiledBytes = 0;
      oldest.compiled = undefined;
      oldest.shaping = undefined;
    }
  }

  private shape(e: Entry): Shaping {
    let operation: Operation | undefined;
    let operationError: GraphQLError | undefined;
    try {
      operation = operationFromDocument(
        this.deps.apiSchema,
        { kind: Kind.DOCUMENT, definitions: [e.ctx.operation, ...Object.values(e.ctx.fragments)] },
        { validate: false },
      );
    } catch (err) {
      if (err instanceof GraphQLError) operationError = err;
      else throw err;
    }
    const shaper = operation ? this.shaperCompiler.compile(operation, e.ctx.variableDefinitions) : undefined;
    return { operation, operationError, shaper };
  }
}

/** Requests whose decisions plan the same way share a key: labels, and which thresholds the roll is under. */
function overrideKey(percentages: readonly number[], override: OverrideDecision): string {
  let key = '';
  for (const p of percentages) key += override.percentage < p ? '1' : '0';
  if (override.activeLabels.size > 0) key += '|' + [...override.activeLabels].sort().join(',');
  return key;
}

function buildOperationContext(document: DocumentNode, operationName: string | undefined): OperationContext {
  let operation: OperationDefinitionNode | undefined;
  let operationCount = 0;
  const fragments: Record<string, FragmentDefinitionNode> = Object.create(null);
  for (const definition of document.definitions) {
    switch (definition.kind) {
      case Kind.OPERATION_DEFINITION:
        operationCount++;
        if (!operationName && operationCount > 1) {
          throw ERRORS.INVALID_GRAPHQL.err('Must provide operation name if query contains ' + 'multiple operations.');
        }
        if (!operationName || (definition.name && definition.name.value === operationName)) {
          operation = definition;
        }
        break;
      case Kind.FRAGMENT_DEFINITION:
        fragments[definition.name.value] = definition;
        break;
    }
  }
  if (!operation) {
    throw ERRORS.INVALID_GRAPHQL.err(operationName ? `Unknown operation named "${operationName}".` : 'Must provide an operation.');
  }
  const variableDefaults: Record<string, unknown> = {};
  for (const def of operation.variableDefinitions ?? []) {
    if (def.defaultValue) variableDefaults[def.variable.name.value] = valueFromASTUntyped(def.defaultValue);
  }
  return {
    operation,
    fragments,
    variableDefinitions: operation.variableDefinitions ?? [],
    variableDefaults,
    isQuery: operation.operation === 'query',
  };
}
