// Fast federation executor for Apollo Server 5 (drop-in for @apollo/gateway's
// ApolloGateway when configured with a static supergraph SDL).
//
//   const gateway = createFastGateway({ supergraphSdl });
//   const server = new ApolloServer({ gateway });
//
// Planning is Apollo's (@apollo/query-planner on a federation-internals
// Supergraph); execution, merging, result shaping and transport are ours.
import { createRequire } from 'node:module';
import v8 from 'node:v8';
import type { GraphQLSchema } from 'graphql';
import { GraphQLError, getVariableValues } from './graphql.ts';
import { Supergraph } from '@apollo/federation-internals';
import { QueryPlanner } from '@apollo/query-planner';
import type {
  GatewayExecutionResult,
  GatewayGraphQLRequestContext,
  GatewayInterface,
  GatewayLoadResult,
  GatewaySchemaLoadOrUpdateCallback,
} from '@apollo/server-gateway-interface';
import { OperationCache } from './operation.ts';
import { markOwned } from './merge.ts';
import type { ExecContext } from './plan.ts';
import { Transport, type RawOutcome } from './transport.ts';
import type { StreamingDeps } from './streaming.ts';
import { createSubscriptionExecutor } from './subscription.ts';
import { createDeferExecutor } from './defer.ts';

export interface FastGatewayLogger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface FastGatewayOptions {
  supergraphSdl: string;
  /** Extra headers for one subgraph request; called once per (request, subgraph). */
  subgraphHeaders?: (contextValue: unknown, subgraphName: string) => Record<string, string> | undefined;
  /** Share identical in-flight subgraph fetches (query operations only). Default true. */
  dedupeInflight?: boolean;
  subgraphUrlOverride?: (name: string, url: string) => string;
  /** headers + body timeout per subgraph request (default 30000) */
  requestTimeoutMs?: number;
  /** max keep-alive connections per subgraph origin (default 32) */
  connectionsPerSubgraph?: number;
  logger?: FastGatewayLogger;
  /**
   * Process-wide V8 tuning: old-generation growing factor in percent
   * (`--heap-growing-percent`, settable at runtime). V8's default grows the
   * heap up to 4x the live size when the mutator is busy; the gateway's live
   * heap is small (~50 MB) but it allocates fast, so the default lets RSS
   * climb far above what is needed. Default: env GATEWAY_HEAP_GROWING_PERCENT,
   * else untouched. (The young generation can only be bounded with a launch
   * flag: `node --max-semi-space-size=16`.)
   */
  heapGrowingPercent?: number;
}

export interface FastGateway extends GatewayInterface {
  /** upstream HTTP requests sent so far (tests, metrics) */
  readonly stats: { readonly upstreamRequests: number };
  /** The API schema clients see (what streaming transports validate against). */
  readonly schema: GraphQLSchema;
  /** The same with the @defer directive (what deferred queries validate against); built on first use. */
  readonly schemaWithDefer: GraphQLSchema;
  /** Executes a subscription operation as a stream of results (subscription.ts). */
  readonly subscribe: ReturnType<typeof createSubscriptionExecutor>;
  /** Executes a query with @defer as an initial result plus incremental parts (defer.ts). */
  readonly executeDeferred: ReturnType<typeof createDeferExecutor>;
}

interface SubgraphEndpoint {
  readonly name: string;
  readonly url: string;
}

const BASE_HEADERS: Record<string, string> = { 'content-type': 'application/json' };

export function createFastGateway(options: FastGatewayOptions): FastGateway {
  const logger: FastGatewayLogger = options.logger ?? {
    debug() {},
    info() {},
    warn: (m) => console.warn(m),
    error: (m) => console.error(m),
  };
  const growing = options.heapGrowingPercent ?? Number(process.env['GATEWAY_HEAP_GROWING_PERCENT'] || 0);
  if (growing > 0) v8.setFlagsFromString(`--heap-growing-percent=${Math.round(growing)}`);
  const dedupe = options.dedupeInflight ?? true;
  const subgraphHeaders = options.subgraphHeaders;
  const transport = new Transport({
    requestTimeoutMs: options.requestTimeoutMs,
    connectionsPerOrigin: options.connectionsPerSubgraph,
  });
  const listeners = new Set<GatewaySchemaLoadOrUpdateCallback>();
  let stopped = false;

  const validateSupergraph = process.env['NODE_ENV'] !== 'production';
  const supergraph = Supergraph.build(options.supergraphSdl, { validateSupergraph });
  const apiSchema = supergraph.apiSchema();
  const gatewaySchema = addExtensions(apiSchema.toGraphQLJSSchema());
  const supergraphSchema = supergraph.schema.toGraphQLJSSchema();
  const queryPlanner = new QueryPlanner(supergraph);
  const subgraphs = new Map<string, SubgraphEndpoint>();
  for (const sg of supergraph.subgraphsMetadata()) {
    const url = options.subgraphUrlOverride ? options.subgraphUrlOverride(sg.name, sg.url) : sg.url;
    if (!url) logger.error(`Service definition for service ${sg.name} is missing a url`);
    subgraphs.set(sg.name, { name: sg.name, url });
  }
  const planOptions = {
    recursiveSelectionsLimitDisabled: process.env['APOLLO_DISABLE_SECURITY_RECURSIVE_SELECTIONS_CHECK'] === 'true',
    nonLocalSelectionsLimitDisabled: process.env['APOLLO_DISABLE_SECURITY_NON_LOCAL_SELECTIONS_CHECK'] === 'true',
  };
  const operations = new OperationCache({
    apiSchema,
    gatewaySchema,
    supergraphSchema,
    queryPlanner,
    planOptions,
  });

  interface HeaderEntry {
    headers: Record<string, string>;
    key: string;
  }
  const defaultHeaderEntry: HeaderEntry = { headers: BASE_HEADERS, key: '' };

  const headersFor = (ctx: ExecContext, name: string): HeaderEntry => {
    if (!subgraphHeaders) return defaultHeaderEntry;
    let memo = ctx.headerMemo;
    if (!memo) memo = ctx.headerMemo = new Map();
    let h = memo.get(name) as HeaderEntry | undefined;
    if (h) return h;
    const extra = subgraphHeaders(ctx.contextValue, name);
    if (!extra) {
      h = defaultHeaderEntry;
    } else {
      const headers: Record<string, string> = { ...BASE_HEADERS };
      for (const k of Object.keys(extra)) headers[k.toLowerCase()] = extra[k]!;
      const keys = Object.keys(headers).sort();
      h = { headers, key: keys.map((k) => k + ':' + headers[k]).join('\n') };
    }
    memo.set(name, h);
    return h;
  };

  const send = (ctx: ExecContext, serviceName: string, body: string, isQuery: boolean): Promise<RawOutcome> => {
    const sg = subgraphs.get(serviceName);
    if (!sg) throw new Error(`Couldn't find service with name "${serviceName}"`);
    const h = headersFor(ctx, serviceName);
    const key = dedupe && isQuery ? (h.key === '' ? sg.url : sg.url + '\n' + h.key) : undefined;
    return transport.post(sg.url, body, h.headers, key);
  };
  const sendMutation = (ctx: ExecContext, serviceName: string, body: string): Promise<RawOutcome> =>
    send(ctx, serviceName, body, false);

  const executor = async (requestContext: GatewayGraphQLRequestContext): Promise<GatewayExecutionResult> => {
    const { request, document } = requestContext;
    const entry = operations.entry(document, request.operationName, requestContext.queryHash);
    const opCtx = entry.ctx;
    if (opCtx.variableDefinitions.length > 0) {
      const { errors } = getVariableValues(gatewaySchema, opCtx.variableDefinitions, request.variables || {});
      if (errors) return { errors };
    }
    const compiled = operations.compiled(entry, document, request.operationName);
    if (compiled.operationError) return { errors: [compiled.operationError] };
    const root: Record<string, unknown> = markOwned({});
    const errors: unknown[] = [];
    const ctx: ExecContext = {
      root,
      errors,
      variables: request.variables,
      variableDefinitions: compiled.operation!.variableDefinitions,
      cachePolicy: requestContext.overallCachePolicy,
      metrics: requestContext.metrics as ExecContext['metrics'],
      contextValue: requestContext.context,
      send: opCtx.isQuery ? send : sendMutation,
      headerMemo: undefined,
    };
    if (compiled.exec) await compiled.exec(ctx, { path: [], data: root });
    let data: Record<string, unknown> | null;
    try {
      const shaped = compiled.shaper!(root, request.variables);
      data = shaped.data;
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

  const streaming: StreamingDeps = {
    supergraph,
    apiSchema,
    gatewaySchema,
    supergraphSchema,
    queryPlanner,
    planOptions,
    operations,
    send,
    subgraphUrl: (name) => subgraphs.get(name)?.url,
    subgraphHeaders: (contextValue, name) => subgraphHeaders?.(contextValue, name),
  };

  let schemaWithDefer: GraphQLSchema | undefined;
  const gateway: FastGateway = {
    schema: gatewaySchema,
    get schemaWithDefer() {
      return (schemaWithDefer ??= apiSchema.toGraphQLJSSchema({ includeDefer: true }));
    },
    subscribe: createSubscriptionExecutor(streaming),
    executeDeferred: createDeferExecutor(streaming),
    stats: {
      get upstreamRequests() {
        return transport.upstreamRequests;
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

function addExtensions(schema: GraphQLSchema): GraphQLSchema {
  let version = 'unknown';
  try {
    const require = createRequire(import.meta.url);
    const main = require.resolve('@apollo/gateway');
    version = (require(main.replace(/dist[\\/]index\.js$/, 'package.json')) as { version: string }).version;
  } catch {
    // not observable by clients; keep 'unknown'
  }
  const ext = (schema.extensions ?? {}) as Record<string, Record<string, unknown> | undefined>;
  const apollo = ext['apollo'] ?? {};
  const gw = (apollo['gateway'] as Record<string, unknown> | undefined) ?? {};
  (schema as { extensions: unknown }).extensions = { ...ext, apollo: { ...apollo, gateway: { ...gw, version } } };
  return schema;
}

export { Transport } from './transport.ts';
