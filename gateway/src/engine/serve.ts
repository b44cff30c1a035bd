// Minimal standalone entry (until gateway/src/main.ts is wired):
//   SUPERGRAPH_PATH=... PORT=4000 HOST=127.0.0.1 node gateway/src/engine/serve.ts
// node:http + ApolloServer.executeHTTPGraphQLRequest; CSRF prevention on,
// landing page off, GET /healthz. GATEWAY_ENGINE=apollo serves stock
// @apollo/gateway with the same HTTP layer (for A/B profiling).
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApolloServer, HeaderMap } from '@apollo/server';
import type { GatewayInterface } from '@apollo/server-gateway-interface';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { createFastGateway } from './index.ts';

const supergraphPath = process.env['SUPERGRAPH_PATH'];
if (!supergraphPath) {
  console.error('SUPERGRAPH_PATH is required');
  process.exit(1);
}
const supergraphSdl = readFileSync(supergraphPath, 'utf8');
const port = Number(process.env['PORT'] || 4000);
const host = process.env['HOST'] || '127.0.0.1';
const engine = process.env['GATEWAY_ENGINE'] || 'fast';

let gateway: GatewayInterface;
if (engine === 'apollo') {
  const { ApolloGateway } = await import('@apollo/gateway');
  gateway = new ApolloGateway({ supergraphSdl }) as unknown as GatewayInterface;
} else {
  gateway = createFastGateway({ supergraphSdl });
}

const server = new ApolloServer({
  gateway,
  csrfPrevention: true,
  plugins: [ApolloServerPluginLandingPageDisabled()],
});
await server.start();

const MAX_BODY = 1 << 20;

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new Error('body too large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const pathname = q === -1 ? url : url.slice(0, q);
  if (pathname === '/healthz') {
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    return;
  }
  if (pathname !== '/graphql' && pathname !== '/') {
    res.writeHead(404).end();
    return;
  }
  const headers = new HeaderMap();
  for (const [k, v] of Object.entries(req.headers)) {
    if (v !== undefined) headers.set(k, Array.isArray(v) ? v.join(', ') : v);
  }
  let body: unknown = undefined;
  if (req.method === 'POST') {
    const text = await readBody(req);
    const ct = headers.get('content-type') ?? '';
    if (text.length > 0 && ct.startsWith('application/json')) {
      try {
        body = JSON.parse(text);
      } catch {
        res.writeHead(400, { 'content-type': 'text/plain' }).end('Invalid JSON body');
        return;
      }
    } else {
      body = text;
    }
  }
  const result = await server.executeHTTPGraphQLRequest({
    httpGraphQLRequest: { method: req.method ?? 'GET', headers, search: q === -1 ? '' : url.slice(q), body },
    context: async () => ({ headers: req.headers }),
  });
  const outHeaders: Record<string, string> = {};
  for (const [k, v] of result.headers) outHeaders[k] = v;
  res.writeHead(result.status ?? 200, outHeaders);
  if (result.body.kind === 'complete') {
    res.end(result.body.string);
  } else {
    for await (const chunk of result.body.asyncIterator) res.write(chunk);
    res.end();
  }
}

const httpServer = createServer((req, res) => {
  handle(req, res).catch((err) => {
    if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
    res.end(String((err as Error)?.message ?? err));
  });
});
httpServer.keepAliveTimeout = 65_000;
httpServer.listen(port, host, () => {
  console.log(`gateway (${engine}) ready at http://${host}:${port}/graphql`);
});

for (const sig of ['SIGTERM', 'SIGINT'] as const) {
  process.on(sig, () => {
    httpServer.close();
    server.stop().finally(() => process.exit(0));
  });
}
