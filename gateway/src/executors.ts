/**
 * The two engines that can execute federated operations behind Apollo Server:
 * our own (`fast`, packages/engine) and stock @apollo/gateway (`apollo`,
 * kept as the reference the fast one is tested and benchmarked against).
 * Both attach the same internal identity token to every subgraph request.
 */
import type { GatewayInterface } from '@apollo/server-gateway-interface';
import type { GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { SubgraphHook } from '@tma/engine';
import { requestSignalOf, subgraphHeadersFor, wantsSerializedData } from './context.ts';
import { injectTraceHeaders, tracingEnabled } from '../../lib/tracing.ts';
import { subgraphSpanHook } from './subgraphTracing.ts';
import { jsonStringifyFastPath } from './jsonSerializer.ts';
import type { Config } from '../../lib/config.ts';

/** Stock engine: identity plus, when tracing, the W3C `traceparent` of the request (a no-op otherwise). */
function headersWithTrace(context: unknown): Record<string, string> | undefined {
  const headers = injectTraceHeaders({ ...subgraphHeadersFor(context) });
  return Object.keys(headers).length > 0 ? headers : undefined;
}

export interface EngineOptions {
  engine: 'fast' | 'apollo';
  supergraphSdl: string;
  urlOverride: (name: string, url: string) => string;
  /** fast engine: query planner (default hive) */
  planner?: 'hive' | 'apollo';
  /** fast engine: deadline per subgraph request, with per-subgraph overrides */
  subgraphTimeoutMs?: number;
  subgraphTimeouts?: Record<string, number>;
  maxSubgraphResponseBytes?: number;
  /** fast engine: hooks on each subgraph HTTP request sent, after in-flight dedup (metrics) */
  fetchHooks?: SubgraphHook[];
  /** fast engine: validate the supergraph at start (off in production: it is slow and the file is generated) */
  validateSupergraph?: boolean;
}

/**
 * What the configuration decides about an engine, whichever endpoint it serves: the Mini App
 * endpoint and the partner endpoint run theirs with the same deadlines and size limits.
 */
export function engineSettings(
  config: Config,
): Pick<
  EngineOptions,
  'engine' | 'planner' | 'subgraphTimeoutMs' | 'subgraphTimeouts' | 'maxSubgraphResponseBytes' | 'validateSupergraph'
> {
  return {
    engine: config.GATEWAY_ENGINE,
    planner: config.GATEWAY_PLANNER,
    subgraphTimeoutMs: config.SUBGRAPH_TIMEOUT_MS,
    subgraphTimeouts: config.SUBGRAPH_TIMEOUTS,
    maxSubgraphResponseBytes: config.SUBGRAPH_MAX_RESPONSE_BYTES,
    validateSupergraph: config.NODE_ENV !== 'production',
  };
}

export async function createEngine(options: EngineOptions): Promise<GatewayInterface & { stop(): Promise<void> }> {
  if (options.engine === 'apollo') {
    // Loaded only when chosen: @apollo/gateway takes most of a second to import, which the fast path does not pay.
    const { ApolloGateway, RemoteGraphQLDataSource } = await import('@apollo/gateway');
    class IdentityForwardingDataSource extends RemoteGraphQLDataSource {
      override willSendRequest({ request, context }: GraphQLDataSourceProcessOptions): void {
        const headers = headersWithTrace(context);
        if (headers) for (const [k, v] of Object.entries(headers)) request.http?.headers.set(k, v);
      }
    }
    return new ApolloGateway({
      supergraphSdl: options.supergraphSdl,
      buildService: ({ name, url }) => new IdentityForwardingDataSource({ url: options.urlOverride(name, url ?? '') }),
    });
  }
  const { createFastGateway } = await import('@tma/engine');
  return createFastGateway({
    supergraphSdl: options.supergraphSdl,
    planner: options.planner ?? 'hive',
    validateSupergraph: options.validateSupergraph ?? true,
    subgraphHeaders: subgraphHeadersFor,
    // With tracing on, each fetch gets a span of its own and sends that span's traceparent (so identical
    // fetches of different requests are not shared then); every engine of the gateway gets it, the partner one too.
    subgraphHooks: tracingEnabled() ? [subgraphSpanHook] : undefined,
    fetchHooks: options.fetchHooks,
    subgraphUrlOverride: options.urlOverride,
    subgraphTimeoutMs: { default: options.subgraphTimeoutMs ?? 30_000, perSubgraph: options.subgraphTimeouts },
    maxSubgraphResponseBytes: options.maxSubgraphResponseBytes,
    requestSignal: requestSignalOf,
    serializeData: wantsSerializedData,
    rawJsonStrings: !jsonStringifyFastPath(),
    // A dead subgraph costs only its own fields (SERVICE_UNAVAILABLE with path and subgraph name).
    partialFailures: true,
  });
}
