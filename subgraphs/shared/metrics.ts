/**
 * Operational metrics of a subgraph process: its external services (calls,
 * errors, latency, retries, circuit breaker state, rate-limit queue wait)
 * and its durable background work. One registry per process, labelled with
 * the subgraph's name once it is known, served by the subgraph at
 * GET /metrics and aggregated into the gateway's /metrics (what an operator
 * scrapes), so the figures are visible in one place.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export const subgraphRegistry = new Registry();

/** Called once by startSubgraph: every series of this process carries `subgraph="<name>"`. */
export function labelSubgraphMetrics(subgraph: string): void {
  subgraphRegistry.setDefaultLabels({ subgraph });
}

export const upstreamCalls = new Counter({
  name: 'upstream_calls_total',
  help: 'Calls to an external service by outcome (HTTP status, "network", "circuit_open", "queue_timeout")',
  labelNames: ['service', 'outcome'] as const,
  registers: [subgraphRegistry],
});

export const upstreamErrors = new Counter({
  name: 'upstream_errors_total',
  help: 'Calls to an external service that failed (after retries)',
  labelNames: ['service'] as const,
  registers: [subgraphRegistry],
});

export const upstreamDuration = new Histogram({
  name: 'upstream_call_duration_seconds',
  help: 'Duration of one HTTP exchange with an external service',
  labelNames: ['service'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [subgraphRegistry],
});

export const upstreamRetries = new Counter({
  name: 'upstream_retries_total',
  help: 'Repeated calls to an external service (after 429 / 5xx / network failures)',
  labelNames: ['service', 'reason'] as const,
  registers: [subgraphRegistry],
});

export const upstreamCircuitState = new Gauge({
  name: 'upstream_circuit_state',
  help: 'Circuit breaker per external service: 0 closed, 1 open (failing fast), 2 half-open (probing)',
  labelNames: ['service'] as const,
  registers: [subgraphRegistry],
});

export const upstreamQueueWait = new Histogram({
  name: 'upstream_queue_wait_seconds',
  help: 'Time a call waited for the outbound rate limit of its service',
  labelNames: ['service'] as const,
  buckets: [0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10],
  registers: [subgraphRegistry],
});

export const durableWork = new Gauge({
  name: 'durable_work_items',
  help: 'Durable background work by queue and state (pending, retrying, dead)',
  labelNames: ['queue', 'state'] as const,
  registers: [subgraphRegistry],
});
