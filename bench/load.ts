/**
 * Load generator process (autocannon, closed loop): prints one JSON line.
 *   node bench/load.ts '<json config>'
 * config: { url, connections, durationSec, body, headers?, rotateHeaders?: string[] (one per request, round robin),
 *           expect?: string (every response body must equal it; counted as mismatches otherwise) }
 */
import autocannon from 'autocannon';

interface LoadConfig {
  url: string;
  connections: number;
  durationSec: number;
  body: string;
  headers?: Record<string, string>;
  rotateAuthorization?: string[];
  expectLength?: number;
}

const config = JSON.parse(process.argv[2] ?? '{}') as LoadConfig;
const latencies: number[] = [];
let mismatches = 0;
let sequence = 0;

const instance = autocannon(
  {
    url: config.url,
    method: 'POST',
    headers: { 'content-type': 'application/json', ...config.headers },
    body: config.body,
    connections: config.connections,
    pipelining: 1,
    duration: config.durationSec,
    timeout: 30,
    ...(config.expectLength !== undefined ? { verifyBody: (b: string) => b.length === config.expectLength } : {}),
    ...(config.rotateAuthorization
      ? {
          requests: [
            {
              setupRequest: (req: { headers?: Record<string, string> }) => ({
                ...req,
                headers: { ...req.headers, authorization: config.rotateAuthorization![sequence++ % config.rotateAuthorization!.length]! },
              }),
            },
          ],
        }
      : {}),
  } as autocannon.Options,
  (error, result) => {
    if (error) {
      console.log(JSON.stringify({ error: String(error) }));
      process.exit(1);
    }
    latencies.sort((a, b) => a - b);
    const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0;
    mismatches = result.mismatches ?? 0;
    console.log(
      JSON.stringify({
        rps: result['2xx'] / config.durationSec,
        ok: result['2xx'],
        non2xx: result.non2xx,
        errors: result.errors + result.timeouts,
        mismatches,
        p50: pct(50),
        p95: pct(95),
        p99: pct(99),
      }),
    );
  },
);
instance.on('response', (_client: unknown, _status: number, _bytes: number, responseTime: number) => latencies.push(responseTime));
