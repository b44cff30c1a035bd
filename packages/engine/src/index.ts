// @tma/engine: a federation executor for Apollo Server 5, a drop-in for
// @apollo/gateway's ApolloGateway with a static supergraph SDL.
//
//   const gateway = createFastGateway({ supergraphSdl });
//   const server = new ApolloServer({ gateway });
//
// Planning is Hive Router's query planner (default) or Apollo's (`planner:
// 'apollo'`); execution, merging, result shaping and transport are ours.
// Everything is configured by options: the engine reads no environment
// variables and changes no process-wide settings.
import { serviceUnavailableErrors, type SubgraphUnavailableHandler } from './partialFailures.ts';
import { createRequire } from 'node:module';
import type { GraphQLSchema } from 'graphql';
import { GraphQLError, getVariableValues } from './graphql.ts';
import type {
  GatewayExecutionResult,
  GatewayGraphQLRequestContext,
  GatewayInterface,
  GatewayLoadResult,
  GatewaySchemaLoadOrUpdateCallback,
} from '@apollo/server-gateway-interface';
import { loadSupergraph } from './apollo.ts';
import { createHivePlanner } from './hivePlanner.ts';
import { OperationCache, type OverrideDecision } from './operation.ts';
import { newResponseRoot } from './merge.ts';
import { QueryPlanningError } from './errors.ts';
import { rootCursor, type ExecContext, type SubgraphSender } from './plan.ts';
import { Transport } from './transport.ts';
import { composeHooks, dedupeHook, headersHook, type SubgraphHook, type SubgraphRequest } from './subgraphRequest.ts';
import type { EnginePlanner } from './planTypes.ts';
import type { StreamingDeps } from './streaming.ts';
import { createSubscriptionExecutor } from './subscription.ts';
import { createDeferExecutor } from './defer.ts';
import { JsonStringCache, rawJsonSupported } from './jsonStrings.ts';
import { ResponseBufferPool, serializeData } from './serializedData.ts';
import { assertCodeGeneration } from './generated.ts';

export type { SubgraphFetch, SubgraphHook, SubgraphRequest, SubgraphResponse } from './subgraphRequest.ts';
export { composeHooks, dedupeHook, headersHook } from './subgraphRequest.ts';
export { ResponseTooLargeError, SubgraphTimeoutError, subgraphResponse } from './transport.ts';
export { QueryPlanningError, UnsupportedPlanError } from './errors.ts';
export type { EngineQueryPlan, PlanNode } from './planTypes.ts';
export type { StreamRequest, StreamResult } from './streaming.ts';
export type { SubscriptionResult } from './subscription.ts';
export type { DeferredResponse, IncrementalItem, SubsequentPayload } from './defer.ts';
export { mapAsyncIterator } from './asyncIterators.ts';
export { SerializedData } from './serializedData.ts';
export { documentRetainedBytes } from './documentSize.ts';

export interface FastGatewayLogger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export type PlannerName = 'hive' | 'apollo';

export interface FastGatewayOptions {
  supergraphSdl: string;
  /** Query planner: Hive Router's (default) or Apollo's (the reference stock uses). */
  planner?: PlannerName;
  /** Validate the supergraph on load (default true; slow on big supergraphs). */
  validateSupergraph?: boolean;
  /** Apollo planner only: stock's APOLLO_DISABLE_SECURITY_* switches. */
  apolloPlannerLimits?: { recursiveSelectionsLimitDisabled?: boolean; nonLocalSelectionsLimitDisabled?: boolean };
  /** Rewrites a subgraph URL of the supergraph (e.g. to a local address). */
  subgraphUrlOverride?: (name: string, url: string) => string;
  /**
   * Extra headers for one subgraph request (a shorthand for a headersHook first in the chain). A frozen
   * object given again for another request reuses that request's merged headers.
   */
  subgraphHeaders?: (contextValue: unknown, subgraphName: string) => Readonly<Record<string, string>> | undefined;
  /**
   * Hooks every subgraph request passes through, outermost first (headers,
   * metrics, tracing, mocks). In-flight deduplication comes after them.
   */
  subgraphHooks?: readonly SubgraphHook[];
  /**
   * Hooks on each subgraph HTTP request actually sent, after in-flight deduplication (Hive Gateway's
   * onFetch): one call per shared fetch, whatever the number of requests waiting on it, with the
   * request of the one that sent it. For what measures subgraph load (request counts, durations,
   * statuses), at a fraction of the cost of a hook on every fetch of every client request.
   */
  fetchHooks?: readonly SubgraphHook[];
  /** Share identical in-flight subgraph query fetches. Default true. */
  dedupeInflight?: boolean;
  /** Deadline per subgraph fetch in ms: a number, or per subgraph with a default (default 30000). */
  subgraphTimeoutMs?: number | { default: number; perSubgraph?: Record<string, number> };
  /** Largest accepted subgraph response body in bytes (default 16 MiB). */
  maxSubgraphResponseBytes?: number;
  /**
   * Bound of the estimated bytes of compiled operations (plans, plan executors, generated shapers)
   * kept for reuse; past it the least recently used are compiled again when next used (default 48 MB).
   */
  maxCompiledOperationBytes?: number;
  /** Max keep-alive connections per subgraph origin (default 32). */
  connectionsPerSubgraph?: number;
  /** The client request's AbortSignal (from the context value): its subgraph fetches are cancelled with it. */
  requestSignal?: (contextValue: unknown) => AbortSignal | undefined;
  /** Progressive @override: labels switched on for this request (feature flags). */
  overrideLabels?: (contextValue: unknown) => ReadonlySet<string> | undefined;
  /** Progressive @override: the 0..100 roll of a request for `percent(x)` labels (default Math.random() * 100). */
  overrideRoll?: () => number;
  logger?: FastGatewayLogger;
  /**
   * Partial data: a subgraph that cannot be reached (or answers non-2xx / not JSON) costs only the
   * fields its fetch would have filled, each with a `SERVICE_UNAVAILABLE` error carrying its path
   * and the subgraph name (never its URL; the cause is logged). Default false: errors exactly as
   * stock @apollo/gateway builds them.
   */
  partialFailures?: boolean;
  /**
   * When it answers true for a request, its data comes back as a `SerializedData` (the JSON bytes
   * of `{ data }`) instead of an object: for a host that writes the response itself, has no plugin
   * that reads the data, and calls `release()` once written (serializedData.ts says why it pays).
   * Default: never.
   */
  serializeData?: (contextValue: unknown) => boolean;
  /**
   * With `serializeData`: hand long strings that repeat across responses to JSON.stringify as raw JSON
   * text (jsonStrings.ts), which V8's classic serializer copies without escaping them again. V8's
   * side-effect-free serializer (on by default from V8 13.8, Node 25; behind the
   * `--json-stringify-fast-path` flag in Node 24) escapes plain strings faster than it writes raw JSON
   * values: a host that runs it passes false. Default true.
   */
  rawJsonStrings?: boolean;
}

export interface FastGateway extends GatewayInterface {
  /** upstream HTTP requests sent so far (tests, metrics) */
  readonly stats: {
    readonly upstreamRequests: number;
    /** estimated bytes of the compiled operations kept, and how many operations hold them */
    readonly compiledOperations: { readonly bytes: number; readonly entries: number };
  };
  /** which planner this instance plans with */
  readonly planner: PlannerName;
  /** The API schema clients see (what streaming transports validate against). */
  readonly schema: GraphQLSchema;
  /** The same with the @defer directive (what deferred queries validate against); built on first use. */
  readonly schemaWithDefer: GraphQLSchema;
  /** Executes a subscription operation as a stream of results (subscription.ts; Apollo's planner). */
  readonly subscribe: ReturnType<typeof createSubscriptionExecutor>;
  /** Executes a query with @defer as an initial result plus incremental parts (defer.ts; Apollo's planner). */
  readonly executeDeferred: ReturnType<typeof createDeferExecutor>;
}

const BASE_HEADERS: Readonly<Record<string, string>> = Object.freeze({ 'content-type': 'application/json' });

export function createFastGateway(options: FastGatewayOptions): FastGateway {
  assertCodeGeneration();
  const logger: FastGatewayLogger = options.logger ?? {
    debug() {},
    info() {},
    warn: (m) => console.warn(m),
    error: (m) => console.error(m),
  };
  const transport = new Transport({
    connectionsPerOrigin: options.connectionsPerSubgraph,
    maxResponseBytes: options.maxSubgraphResponseBytes,
  });
  const listeners = new Set<GatewaySchemaLoadOrUpdateCallback>();
  let responseBuffers: ResponseBufferPool | undefined; // the first serialized response creates it
  let jsonStrings: JsonStringCache | undefined; // the same: long strings repeated across responses (jsonStrings.ts)
  const rawJsonStrings = rawJsonSupported && (options.rawJsonStrings ?? true);
  const subgraphUnavailable: SubgraphUnavailableHandler | undefined = options.partialFailures
    ? (error, serviceName, paths) => {
        logger.warn(`subgraph ${serviceName} unavailable: ${(error as Error).message}`);
        return serviceUnavailableErrors(serviceName, paths);
      }
    : undefined;
  let stopped = false;

  const loaded = loadSupergraph(options.supergraphSdl, { validate: options.validateSupergraph ?? true });
  const gatewaySchema = addExtensions(loaded.apiGraphQLSchema);
  const planner: EnginePlanner =
    (options.planner ?? 'hive') === 'hive'
      ? createHivePlanner(options.supergraphSdl)
      : loaded.apolloPlanner(options.apolloPlannerLimits ?? {});
  const urls = new Map<string, string>();
  for (const sg of loaded.subgraphs) {
    const url = options.subgraphUrlOverride ? options.subgraphUrlOverride(sg.name, sg.url) : sg.url;
    if (!url) logger.error(`Service definition for service ${sg.name} is missing a url`);
    urls.set(sg.name, url);
  }
  const operations = new OperationCache({
    apiSchema: loaded.apiSchema,
    gatewaySchema,
    supergraphSchema: loaded.supergraphGraphQLSchema,
    planner,
    maxCompiledBytes: options.maxCompiledOperationBytes,
  });

  const timeouts = options.subgraphTimeoutMs ?? 30_000;
  const timeoutFor = (name: string): number =>
    typeof timeouts === 'number' ? timeouts : (timeouts.perSubgraph?.[name] ?? timeouts.default);
  const hooks: SubgraphHook[] = [];
  if (options.subgraphHeaders) hooks.push(headersHook(options.subgraphHeaders));
  hooks.push(...(options.subgraphHooks ?? []));
  if (options.dedupeInflight ?? true) hooks.push(dedupeHook());
  hooks.push(...(options.fetchHooks ?? []));
  const fetchSubgraph = composeHooks(hooks, (request) => transport.fetch(request));

  const send: SubgraphSender = (ctx, serviceName, body, operationKind) => {
    const url = urls.get(serviceName);
    if (url === undefined) throw new Error(`Couldn't find service with name "${serviceName}"`);
    const request: SubgraphRequest = {
      subgraphName: serviceName,
      url,
      body,
      headers: BASE_HEADERS,
      operationKind,
      clientOperationKind: ctx.operationKind,
      context: ctx.contextValue,
      signal: ctx.signal,
      timeoutMs: timeoutFor(serviceName),
    };
    return fetchSubgraph(request);
  };

  const usesOverride = planner.overridePercentages.length > 0 || options.overrideLabels !== undefined;
  const roll = options.overrideRoll ?? (() => Math.random() * 100);
  const overrideFor = (contextValue: unknown): OverrideDecision | undefined =>
    usesOverride ? { activeLabels: options.overrideLabels?.(contextValue) ?? new Set(), percentage: roll() } : undefined;

  const executor = async (requestContext: GatewayGraphQLRequestContext): Promise<GatewayExecutionResult> => {
    const { request, document } = requestContext;
    const entry = operations.entry(document, request.operationName, requestContext.queryHash);
    const opCtx = entry.ctx;
    if (opCtx.variableDefinitions.length > 0) {
      const { errors } = getVariableValues(gatewaySchema, opCtx.variableDefinitions, request.variables || {});
      if (errors) return { errors };
    }
    const contextValue = requestContext.context;
    let compiled: ReturnType<OperationCache['compiled']>;
    try {
      compiled = operations.compiled(entry, document, request.operationName, request.query, overrideFor(contextValue));
    } catch (error) {
      if (error instanceof QueryPlanningError) return { errors: [error], data: null };
      throw error; // Apollo planner: stock's behaviour (an internal server error)
    }
    if (compiled.operationError) return { errors: [compiled.operationError] };
    const root: Record<string, unknown> = newResponseRoot();
    const errors: unknown[] = [];
    const ctx: ExecContext = {
      root,
      errors,
      variables: request.variables,
      variableDefaults: opCtx.variableDefaults,
      cachePolicy: requestContext.overallCachePolicy,
      metrics: requestContext.metrics as ExecContext['metrics'],
      contextValue,
      signal: options.requestSignal?.(contextValue),
      operationKind: opCtx.operation.operation as ExecContext['operationKind'],
      send,
      subgraphUnavailable,
    };
    if (compiled.exec) await compiled.exec(ctx, rootCursor(root));
    let data: Record<string, unknown> | null;
    try {
      const serialize = options.serializeData?.(contextValue) === true;
      // data that is serialized here and nowhere else read may carry long strings as raw JSON
      const shaped = compiled.shaper!(
        root,
        request.variables,
        serialize && rawJsonStrings ? (jsonStrings ??= new JsonStringCache()) : undefined,
      );
      data = shaped.data;
      // a SerializedData is an object: Apollo Server's types call data a record
      if (data !== null && serialize) {
        data = serializeData(data, (responseBuffers ??= new ResponseBufferPool())) as unknown as Record<string, unknown>;
      }
      if (errors.length === 0 && shaped.errors.length > 0) {
        return { extensions: { valueCompletion: shaped.errors }, data };
      }
    } catch (error) {
      if (error instanceof GraphQLError) return { errors: [error] };
      if (error instanceof Error) return { errors: [new GraphQLError(error.message, { originalError: error })] };
      (requestContext.logger ?? logger).error('Unexpected error during query plan execution: ' + error);
      return { errors: [new GraphQLError('Unexpected error during query plan execution')] };
    }
    return errors.length === 0 ? { data } : { errors: errors as GraphQLError[], data };
  };

  // Subscriptions and incremental @defer are planned by Apollo's planner whatever `planner` says
  // (Hive's plans neither); each planner is built on first use, as it is slow to build.
  const apolloPlannerOptions = options.apolloPlannerLimits ?? {};
  let subscriptionOperations: OperationCache | undefined;
  let deferPlanner: EnginePlanner | undefined;
  const streaming: StreamingDeps = {
    apiSchema: loaded.apiSchema,
    gatewaySchema,
    supergraphSchema: loaded.supergraphGraphQLSchema,
    subscriptionOperations: () =>
      (subscriptionOperations ??= new OperationCache({
        apiSchema: loaded.apiSchema,
        gatewaySchema,
        supergraphSchema: loaded.supergraphGraphQLSchema,
        planner: planner.name === 'apollo' ? planner : loaded.apolloPlanner(apolloPlannerOptions),
      })),
    deferPlanner: () => (deferPlanner ??= loaded.apolloDeferPlanner(apolloPlannerOptions)),
    send,
    subgraphUnavailable,
    requestSignal: (contextValue) => options.requestSignal?.(contextValue),
    subgraphUrl: (name) => urls.get(name),
    subgraphHeaders: (contextValue, name) => options.subgraphHeaders?.(contextValue, name),
  };

  const gateway: FastGateway = {
    planner: planner.name,
    schema: gatewaySchema,
    get schemaWithDefer() {
      return loaded.apiGraphQLSchemaWithDefer();
    },
    subscribe: createSubscriptionExecutor(streaming),
    executeDeferred: createDeferExecutor(streaming),
    stats: {
      get upstreamRequests() {
        return transport.upstreamRequests;
      },
      get compiledOperations() {
        return operations.compiledStats;
      },
    },
    onSchemaLoadOrUpdate(callback) {
      listeners.add(callback);
      return () => {
        listeners.delete(callback);
      };
    },
    async load(): Promise<GatewayLoadResult> {
      for (const l of listeners) {
        try {
          l({ apiSchema: gatewaySchema, coreSupergraphSdl: options.supergraphSdl });
        } catch (e) {
          logger.error("An error was thrown from an 'onSchemaLoadOrUpdate' listener: " + ((e as Error)?.message ?? e));
        }
      }
      return { executor };
    },
    async stop(): Promise<void> {
      if (stopped) return;
      stopped = true;
      await transport.close();
    },
  };
  return gateway;
}

/** schema.extensions.apollo.gateway.version, as stock sets it (read by Apollo Server's usage reporting). */
function addExtensions(schema: GraphQLSchema): GraphQLSchema {
  const { version } = createRequire(import.meta.url)('../package.json') as { version: string };
  const ext = (schema.extensions ?? {}) as Record<string, Record<string, unknown> | undefined>;
  const apollo = ext['apollo'] ?? {};
  const gw = (apollo['gateway'] as Record<string, unknown> | undefined) ?? {};
  (schema as { extensions: unknown }).extensions = { ...ext, apollo: { ...apollo, gateway: { ...gw, version: `@tma/engine@${version}` } } };
  return schema;
}
