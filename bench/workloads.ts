/** The product's own benchmark workloads (issue: "npm run bench"). */
export const CATALOG = `query Catalog { products { id title description prices { amount currency } } }`;

export const ME_EVERYTHING = `query Profile {
  me {
    id firstName lastName username isPremium
    payments(first: 10) { edges { cursor node { id provider status amount { amount currency } createdAt } } pageInfo { hasNextPage endCursor } }
    customer { id email phone lifecycleStage tags }
    activity { firstSeenAt lastSeenAt eventCount }
  }
}`;

export const FAN_OUT_50 = `query FanOut {
  customers(first: 50) {
    edges { node { id email lifecycleStage user { id firstName username activity { eventCount lastSeenAt } payments(first: 3) { edges { node { id status } } } } } }
  }
}`;

export interface Workload {
  id: 'a' | 'b' | 'c';
  name: string;
  query: string;
  /** Our gateway's settings for this workload. */
  oursEnv: Record<string, string>;
  /** Callers: one Authorization per request, round robin (none = anonymous). */
  callers: 'anonymous' | 'many-users' | 'operator';
  target: string;
  targetRatio: number;
}

export const WORKLOADS: Workload[] = [
  {
    id: 'a',
    name: 'catalog (public, cacheable), response cache on',
    query: CATALOG,
    oursEnv: { RESPONSE_CACHE: 'on', REQUEST_COLLAPSING: 'on' },
    callers: 'anonymous',
    target: '≥ 10x stock',
    targetRatio: 10,
  },
  {
    id: 'b',
    name: 'me + payments + customer + activity, 200 distinct users, cache off',
    query: ME_EVERYTHING,
    oursEnv: { RESPONSE_CACHE: 'off', REQUEST_COLLAPSING: 'off' },
    callers: 'many-users',
    target: '≥ 2x stock, p99 overhead < 5 ms',
    targetRatio: 2,
  },
  {
    id: 'c',
    name: '50-entity fan-out across 4 subgraphs, cache off',
    query: FAN_OUT_50,
    oursEnv: { RESPONSE_CACHE: 'off', REQUEST_COLLAPSING: 'off' },
    callers: 'operator',
    target: '≥ 2x stock',
    targetRatio: 2,
  },
];
