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

// The headers of the last token, reused: requests of one identity (every anonymous request, all of a
// user's concurrent requests) then give the engine the same object, and its dedup keys them by identity.
let lastToken: string | undefined;
let lastHeaders: Readonly<Record<string, string>> | undefined;

/** Headers every subgraph request of this request carries (read-only). */
export function subgraphHeadersFor(context: unknown): Readonly<Record<string, string>> | undefined {
  const token = (context as GatewayContext | undefined)?.internalToken;
  if (!token) return undefined;
  if (token !== lastToken) {
    lastHeaders = Object.freeze({ authorization: `Bearer ${token}` });
    lastToken = token;
  }
  return lastHeaders;
}

/** Whether the engine may answer this request's data as JSON bytes (fast engine option `serializeData`). */
export function wantsSerializedData(context: unknown): boolean {
  return (context as GatewayContext | undefined)?.serializedData === true;
}

/** The client request's AbortSignal (fast engine option `requestSignal`). */
export function requestSignalOf(context: unknown): AbortSignal | undefined {
  return (context as GatewayContext | undefined)?.signal;
}
