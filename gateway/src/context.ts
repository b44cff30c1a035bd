import type { Identity } from '../../lib/internalToken.ts';

/** Per-request state of the gateway, built once per HTTP request. */
export interface GatewayContext {
  identity: Identity;
  /** The signed internal token for this identity, attached to every subgraph request. */
  internalToken: string | undefined;
  /** Aborted when the client disconnects before its response: the engine cancels its subgraph fetches. */
  signal?: AbortSignal | undefined;
}

/** Headers every subgraph request of this request carries. */
export function subgraphHeadersFor(context: unknown): Record<string, string> | undefined {
  const token = (context as GatewayContext | undefined)?.internalToken;
  return token ? { authorization: `Bearer ${token}` } : undefined;
}

/** The client request's AbortSignal (fast engine option `requestSignal`). */
export function requestSignalOf(context: unknown): AbortSignal | undefined {
  return (context as GatewayContext | undefined)?.signal;
}
