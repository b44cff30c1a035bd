/**
 * Per-partner usage in the gateway's /metrics: requests by status, errors,
 * latency, labelled with the key's name (never the key). Cardinality is the
 * number of partner names, which the operator controls.
 */
import { Counter, Histogram, type Registry } from 'prom-client';

export function createPartnerMetrics(registry: Registry) {
  const requests = new Counter({
    name: 'gateway_partner_requests_total',
    help: 'Partner API requests by key name and HTTP status',
    labelNames: ['key_name', 'status'] as const,
    registers: [registry],
  });
  const errors = new Counter({
    name: 'gateway_partner_errors_total',
    help: 'Partner API requests answered with an error (HTTP status >= 400, or GraphQL errors in the response)',
    labelNames: ['key_name'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'gateway_partner_request_duration_seconds',
    help: 'Partner API request duration by key name',
    labelNames: ['key_name'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  return {
    observe(keyName: string, status: number, failed: boolean, seconds: number) {
      requests.inc({ key_name: keyName, status: String(status) });
      if (failed || status >= 400) errors.inc({ key_name: keyName });
      duration.observe({ key_name: keyName }, seconds);
    },
  };
}
export type PartnerMetrics = ReturnType<typeof createPartnerMetrics>;
