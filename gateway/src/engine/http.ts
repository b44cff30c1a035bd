// node:http adapter for ApolloServer.executeHTTPGraphQLRequest (what the
// gateway's HTTP layer needs, kept minimal: no framework, body read as one
// string, one JSON.parse, response written with a single end()).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HeaderMap } from '@apollo/server';
import type { ApolloServer, BaseContext } from '@apollo/server';

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

export interface GraphQLHttpHandlerOptions<TContext extends BaseContext> {
  /** paths answered with GraphQL (default ['/graphql', '/']) */
  paths?: readonly string[];
  context?: (req: IncomingMessage) => Promise<TContext>;
}

export function createGraphQLHttpHandler<TContext extends BaseContext>(
  server: ApolloServer<TContext>,
  opts: GraphQLHttpHandlerOptions<TContext> = {},
): (req: IncomingMessage, res: ServerResponse) => void {
  const paths = new Set(opts.paths ?? ['/graphql', '/']);
  const makeContext = opts.context ?? (async () => ({}) as TContext);
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const pathname = q === -1 ? url : url.slice(0, q);
    if (pathname === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
      return;
    }
    if (!paths.has(pathname)) {
      res.writeHead(404).end();
      return;
    }
    const headers = new HeaderMap();
    const raw = req.rawHeaders;
    for (let i = 0; i < raw.length; i += 2) {
      const k = raw[i]!.toLowerCase();
      const prev = headers.get(k);
      headers.set(k, prev === undefined ? raw[i + 1]! : prev + ', ' + raw[i + 1]!);
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
      context: () => makeContext(req),
    });
    const outHeaders: Record<string, string> = {};
    for (const [k, v] of result.headers) outHeaders[k] = v;
    if (result.body.kind === 'complete') {
      // One UTF-8 copy outside the V8 heap (res.end(string) would copy it on the heap).
      const buf = Buffer.from(result.body.string, 'utf8');
      outHeaders['content-length'] = String(buf.length);
      res.writeHead(result.status ?? 200, outHeaders);
      res.end(buf);
    } else {
      res.writeHead(result.status ?? 200, outHeaders);
      for await (const chunk of result.body.asyncIterator) res.write(chunk);
      res.end();
    }
  };
  return (req, res) => {
    handle(req, res).catch((err) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(String((err as Error)?.message ?? err));
    });
  };
}
