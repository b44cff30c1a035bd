/** The subgraphs this project ships, loaded on demand so a process only imports its own. */
import type { SubgraphDefinition } from './shared/subgraph.ts';

// Each subgraph has its own Services type; the registry only needs "some subgraph".
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnySubgraph = SubgraphDefinition<any>;

export const SUBGRAPHS = {
  telegram: async () => (await import('./telegram/index.ts')).default,
  payments: async () => (await import('./payments/index.ts')).default,
  crm: async () => (await import('./crm/index.ts')).default,
  analytics: async () => (await import('./analytics/index.ts')).default,
} satisfies Record<string, () => Promise<AnySubgraph>>;

export type SubgraphName = keyof typeof SUBGRAPHS;
export const SUBGRAPH_NAMES = Object.keys(SUBGRAPHS) as SubgraphName[];
