/**
 * The gateway's /metrics also carries every subgraph's operational figures
 * (external-service calls, errors, latency, retries, breaker state, queue
 * wait, durable work and dead letters; subgraphs/shared/metrics.ts), so an
 * operator scrapes one endpoint. Each subgraph serves them as prom-client
 * JSON; a subgraph that does not answer within a second is left out (its
 * absence shows in /readyz), never blocks the scrape.
 */
import { request as undiciRequest } from 'undici';
import { AggregatorRegistry } from 'prom-client';

const SCRAPE_TIMEOUT_MS = 1_000;
/** A subgraph's metrics document is small; anything bigger is refused, not buffered. */
const MAX_METRICS_BYTES = 1_000_000;

async function fetchSubgraphMetrics(url: string): Promise<unknown[] | undefined> {
  try {
    const res = await undiciRequest(new URL('/metrics?format=json', url), {
      method: 'GET',
      signal: AbortSignal.timeout(SCRAPE_TIMEOUT_MS),
    });
    const length = Number(res.headers['content-length'] ?? 0);
    if (res.statusCode !== 200 || length > MAX_METRICS_BYTES) {
      await res.body.dump();
      return undefined;
    }
    const text = await res.body.text();
    if (text.length > MAX_METRICS_BYTES) return undefined;
    const parsed: unknown = JSON.parse(text);
    return Array.isArray(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** Prometheus text of all reachable subgraphs' metrics (series labelled by `subgraph`). */
export async function subgraphMetricsText(subgraphs: ReadonlyMap<string, string>): Promise<string> {
  const documents = (await Promise.all([...subgraphs.values()].map(fetchSubgraphMetrics))).filter((d) => d !== undefined);
  if (documents.length === 0) return '';
  return AggregatorRegistry.aggregate(documents as never).metrics();
}
