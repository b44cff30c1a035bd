import type { Identity } from '../../lib/internalToken.ts';

/** Per-request state of the gateway, built once per HTTP request. */
export interface GatewayContext {
  identity: Identity;
  /** The signed internal token for this identity, attached to every subgraph request. */
  internalToken: string | undefined;
  /** Aborted when the client disconnects before its response: the engine cancels its subgraph fetches. */
  signal?: AbortSignal | undefined;
  /**
   * The fast engine may hand the data over as JSON bytes (engine option `serializeData`): set by the
   * HTTP route, which writes the response itself, when no plugin reads the data (response cache off).
   */
  serializedData?: boolean;
}

/** Headers every subgraph request of this request carries. */
export function subgraphHeadersFor(context: unknown): Record<string, string> | undefined {
  const token = (context as GatewayContext | undefined)?.internalToken;
  return token ? { authorization: `Bearer ${token}` } : undefined;
}

/** Whether the engine may answer this request's data as JSON bytes (fast engine option `serializeData`). */
export function wantsSerializedData(context: unknown): boolean {
  return (context as GatewayContext | undefined)?.serializedData === true;
}

/** The client request's AbortSignal (fast engine option `requestSignal`). */
export function requestSignalOf(context: unknown): AbortSignal | undefined {
  return (context as GatewayContext | undefined)?.signal;
}
