/**
 * "Subgraph time" for workload (b): replays, without any gateway, exactly the
 * subgraph requests the query plan makes (Apollo's planner on our supergraph),
 * on the critical path: the root fetch, then the entity fetches in parallel.
 * Gateway overhead = gateway latency − this replay's latency.
 */
import { parse } from 'graphql';
import { Supergraph, operationFromDocument } from '@apollo/federation-internals';
import { QueryPlanner, type PlanNode, type FetchNode } from '@apollo/query-planner';
import { Agent, request } from 'undici';

export interface Replay {
  /** One full replay; returns its duration in ms. */
  once(): Promise<number>;
  close(): Promise<void>;
}

function collectEntityFetches(node: PlanNode | undefined, out: FetchNode[]): void {
  if (!node) return;
  if (node.kind === 'Flatten' && node.node.kind === 'Fetch') out.push(node.node);
  else if (node.kind === 'Parallel' || node.kind === 'Sequence') for (const n of node.nodes) collectEntityFetches(n, out);
}

export function createReplay(options: {
  supergraphSdl: string;
  query: string;
  subgraphUrls: Record<string, string>;
  token: string;
  userId: string;
}): Replay {
  const supergraph = Supergraph.build(options.supergraphSdl);
  const operation = operationFromDocument(supergraph.schema, parse(options.query));
  const plan = new QueryPlanner(supergraph).buildQueryPlan(operation);
  const root = plan.node;
  if (root?.kind !== 'Sequence' || root.nodes[0]?.kind !== 'Fetch') throw new Error('replay expects Sequence[Fetch, entity fetches]');
  const rootFetch = root.nodes[0];
  const entityFetches: FetchNode[] = [];
  for (const n of root.nodes.slice(1)) collectEntityFetches(n, entityFetches);
  if (entityFetches.length === 0) throw new Error('replay found no entity fetches');

  const agent = new Agent({ keepAliveTimeout: 10_000, connections: 8 });
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${options.token}` };
  async function post(service: string, body: string): Promise<unknown> {
    const url = options.subgraphUrls[service];
    if (!url) throw new Error(`no URL for subgraph ${service}`);
    const res = await request(url, { method: 'POST', headers, body, dispatcher: agent });
    const json = (await res.body.json()) as { errors?: unknown; data?: unknown };
    if (json.errors) throw new Error(`${service}: ${JSON.stringify(json.errors)}`);
    return json.data;
  }
  const rootBody = JSON.stringify({ query: rootFetch.operation, variables: {} });
  const entityBodies = entityFetches.map((f) => ({
    service: f.serviceName,
    body: JSON.stringify({ query: f.operation, variables: { representations: [{ __typename: 'User', id: options.userId }] } }),
  }));

  return {
    async once() {
      const started = performance.now();
      await post(rootFetch.serviceName, rootBody);
      await Promise.all(entityBodies.map((e) => post(e.service, e.body)));
      return performance.now() - started;
    },
    close: () => agent.close(),
  };
}
