import type { Identity } from '../../lib/internalToken.ts';

/** Per-request state of the gateway, built once per HTTP request. */
export interface GatewayContext {
  identity: Identity;
  /** The signed internal token for this identity, attached to every subgraph request. */
  internalToken: string | undefined;
}

/** Headers every subgraph request of this request carries. */
export function subgraphHeadersFor(context: unknown): Record<string, string> | undefined {
  const token = (context as GatewayContext | undefined)?.internalToken;
  return token ? { authorization: `Bearer ${token}` } : undefined;
}
