/**
 * A reverse proxy in front of one subgraph that keeps the operations it
 * forwarded: what a gateway sent to that subgraph is observable, scoped to the
 * gateway behind it (the shared stack's subgraphs also serve other test files).
 * The round-robin proxy of the chaos run, with one replica and a recorder.
 */
import { startRoundRobinProxy } from './roundRobinProxy.ts';

export interface CountingProxy {
  /** URL to give the gateway as this subgraph's URL. */
  url: string;
  /** Bodies of the operations (POSTs) forwarded, oldest first. */
  operations: string[];
  close(): Promise<void>;
}

export async function startCountingProxy(subgraphUrl: string): Promise<CountingProxy> {
  const target = new URL(subgraphUrl);
  const operations: string[] = [];
  const proxy = await startRoundRobinProxy([target.origin], {
    // Operations are POSTs; the gateway also GETs the subgraph's /metrics, which is no execution.
    onRequest: (method, body) => {
      if (method === 'POST') operations.push(body.toString('utf8'));
    },
  });
  return { url: `${proxy.base}${target.pathname}`, operations, close: () => proxy.close() };
}
