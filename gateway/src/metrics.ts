/** Prometheus metrics of the gateway (GET /metrics). One registry per process. */
import { Registry, Counter, Histogram, collectDefaultMetrics } from 'prom-client';
import type { SubgraphHook } from '@tma/engine';

export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const requests = new Counter({
    name: 'gateway_http_requests_total',
    help: 'HTTP requests by route and status',
    labelNames: ['route', 'status'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'gateway_http_request_duration_seconds',
    help: 'HTTP request duration by route',
    labelNames: ['route'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const subgraphDuration = new Histogram({
    name: 'gateway_subgraph_request_duration_seconds',
    help: 'Subgraph requests of the fast engine by subgraph and outcome (HTTP status or error)',
    labelNames: ['subgraph', 'outcome'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  // Label children by key, bounded by the routes (fixed, plus 'unknown') and HTTP statuses.
  const requestCounters = new Map<string, ReturnType<typeof requests.labels>>();
  const routeTimers = new Map<string, ReturnType<typeof duration.labels>>();
  // prom-client hashes the label object on every observe(): one child per (subgraph, outcome) instead,
  // since this runs for every subgraph fetch of every request.
  const subgraphChildren = new Map<string, Map<string, ReturnType<typeof subgraphDuration.labels>>>();
  const subgraphTimer = (subgraph: string, outcome: string) => {
    let bySubgraph = subgraphChildren.get(subgraph);
    if (!bySubgraph) subgraphChildren.set(subgraph, (bySubgraph = new Map()));
    let child = bySubgraph.get(outcome);
    if (!child) bySubgraph.set(outcome, (child = subgraphDuration.labels({ subgraph, outcome })));
    return child;
  };
  /** Engine hook: times every subgraph fetch the engine asks for (it runs before dedup, so shared fetches count once per waiter). */
  const subgraphHook: SubgraphHook = (request, next) => {
    const started = performance.now();
    return next(request).then((response) => {
      const outcome = response.kind === 'response' ? String(response.status) : 'error';
      subgraphTimer(request.subgraphName, outcome).observe((performance.now() - started) / 1000);
      return response;
    });
  };
  return {
    registry,
    subgraphHook,
    observe(route: string, status: number, seconds: number) {
      const key = `${route} ${status}`;
      let counter = requestCounters.get(key);
      if (!counter) requestCounters.set(key, (counter = requests.labels({ route, status: String(status) })));
      counter.inc();
      let timer = routeTimers.get(route);
      if (!timer) routeTimers.set(route, (timer = duration.labels({ route })));
      timer.observe(seconds);
    },
  };
}
export type Metrics = ReturnType<typeof createMetrics>;
