/**
 * One URL in front of several replicas of a subgraph, the way a Kubernetes
 * Service is: requests go round-robin; a replica whose connection is refused
 * (down, restarting) is skipped and the next one is tried, which is safe
 * because that request never reached a server. A replica that dies with a
 * request in flight costs that request (502), as it would behind a Service.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent, request } from 'undici';
import { closeServer, readRawBody } from '../../lib/http/io.ts';

export interface RoundRobinProxy {
  /** `http://127.0.0.1:<port>`: the subgraph URL is this plus the replicas' path. */
  base: string;
  /** Requests answered 502 because a replica failed mid-request, or none was reachable. */
  failures(): number;
  close(): Promise<void>;
}

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'upgrade',
  'proxy-connection',
  'te',
  'trailer',
  'host',
  'content-length',
]);

function refused(error: unknown): boolean {
  const code = (error as { code?: string; cause?: { code?: string } }).code ?? (error as { cause?: { code?: string } }).cause?.code;
  return code === 'ECONNREFUSED' || code === 'UND_ERR_CONNECT_TIMEOUT';
}

export interface ProxyOptions {
  /** Sees every request (method and body) before it is forwarded, e.g. to count what a gateway sent. */
  onRequest?: (method: string, body: Buffer) => void;
}

export async function startRoundRobinProxy(replicaBases: readonly string[], options: ProxyOptions = {}): Promise<RoundRobinProxy> {
  const agent = new Agent({ connect: { timeout: 2_000 }, keepAliveTimeout: 4_000 });
  let next = 0;
  let failures = 0;

  async function forward(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readRawBody(req, 16 * 1024 * 1024);
    options.onRequest?.(req.method ?? 'GET', body);
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(req.headers)) if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = value;
    const start = next++ % replicaBases.length;
    for (let i = 0; i < replicaBases.length; i++) {
      const base = replicaBases[(start + i) % replicaBases.length]!;
      try {
        const upstream = await request(`${base}${req.url ?? '/'}`, {
          method: req.method as 'GET',
          headers,
          body: req.method === 'GET' || req.method === 'HEAD' ? undefined : body,
          dispatcher: agent,
          headersTimeout: 60_000,
          bodyTimeout: 60_000,
        });
        const payload = Buffer.from(await upstream.body.arrayBuffer());
        const out: Record<string, string | string[]> = {};
        for (const [name, value] of Object.entries(upstream.headers)) if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
        res.writeHead(upstream.statusCode, out).end(payload);
        return;
      } catch (error) {
        if (refused(error)) continue; // never reached that replica: try the next one
        break;
      }
    }
    failures++;
    if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
    res.end('bad gateway');
  }

  const server: Server = createServer((req, res) => {
    forward(req, res).catch(() => {
      failures++;
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end('bad gateway');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    failures: () => failures,
    async close() {
      await closeServer(server);
      await agent.close();
    },
  };
}
