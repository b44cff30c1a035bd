/**
 * A reverse proxy in front of one subgraph that keeps the operations it
 * forwarded: what a gateway sent to that subgraph is observable, scoped to the
 * gateway behind it (the shared stack's subgraphs also serve other test files).
 */
import { createServer, type Server } from 'node:http';

export interface CountingProxy {
  /** URL to give the gateway as this subgraph's URL. */
  url: string;
  /** Bodies of the operations (POSTs) forwarded, oldest first. */
  operations: string[];
  close(): Promise<void>;
}

export async function startCountingProxy(subgraphUrl: string): Promise<CountingProxy> {
  const operations: string[] = [];
  const server: Server = createServer(async (req, res) => {
    // Operations are POSTs; the gateway also GETs the subgraph's /metrics, which is no execution.
    const operation = req.method === 'POST';
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    if (operation) operations.push(Buffer.concat(chunks).toString('utf8'));
    const headers = Object.fromEntries(
      Object.entries(req.headers).filter(([k]) => !['host', 'content-length', 'connection'].includes(k)),
    ) as Record<string, string>;
    try {
      const upstream = await fetch(new URL(req.url ?? '/', subgraphUrl), {
        method: req.method,
        headers,
        body: operation ? Buffer.concat(chunks) : undefined,
      });
      res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' });
      res.end(Buffer.from(await upstream.arrayBuffer()));
    } catch {
      res.writeHead(502).end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}/graphql`,
    operations,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
