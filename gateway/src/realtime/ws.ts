/**
 * GraphQL over WebSocket on the gateway's /graphql (graphql-ws, subprotocol
 * `graphql-transport-ws`). The caller's initData goes in the connection_init
 * payload (`{ "authorization": "tma <initData>" }`) and is verified before the
 * connection is acknowledged (close 4403 otherwise). Every subscription counts
 * against the per-user cap like an SSE stream. The server pings every
 * HEARTBEAT_MS and drops connections that stopped answering (a WebView that
 * went to sleep without closing).
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { useServer } from 'graphql-ws/use/ws';
import type { Identity } from '../../../lib/internalToken.ts';
import { pathOf } from '../../../lib/http/io.ts';
import type { StreamExecution } from './execution.ts';

export const HEARTBEAT_MS = 12_000;
/** A connection_init must arrive this soon after the upgrade. */
const INIT_TIMEOUT_MS = 5_000;
/** One message (a subscribe with its query) is small; anything bigger is refused by ws. */
const MAX_MESSAGE_BYTES = 256 * 1024;

type Extra = { identity?: Identity } & Record<PropertyKey, unknown>;

export function attachWebSocket(options: {
  http: Server;
  path: string;
  execution: StreamExecution;
  resolveIdentity: (authorization: string | undefined) => Identity;
}) {
  const { execution } = options;
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (pathOf(req) !== options.path) {
      socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  };
  options.http.on('upgrade', onUpgrade);

  const alive = new WeakSet<WebSocket>();
  wss.on('connection', (ws) => {
    alive.add(ws);
    ws.on('pong', () => alive.add(ws));
  });
  const heartbeat = setInterval(() => {
    for (const ws of wss.clients) {
      if (!alive.has(ws)) {
        ws.terminate();
        continue;
      }
      alive.delete(ws);
      ws.ping();
    }
  }, HEARTBEAT_MS);
  heartbeat.unref();

  const server = useServer<Record<string, unknown>, Extra>(
    {
      connectionInitWaitTimeout: INIT_TIMEOUT_MS,
      onConnect(ctx) {
        const params = ctx.connectionParams ?? {};
        const authorization = params.authorization ?? params.Authorization;
        try {
          ctx.extra.identity = options.resolveIdentity(typeof authorization === 'string' ? authorization : undefined);
        } catch {
          return false; // 4403 Forbidden: the initData did not verify
        }
        return true;
      },
      async onSubscribe(ctx, _id, payload) {
        const prepared = await execution.prepare({ ...payload }, ctx.extra.identity!, 'ws', ctx.extra.request as IncomingMessage);
        if (!prepared.ok) return prepared.errors;
        return prepared.args;
      },
      execute: (args) => execution.execute(args),
      subscribe: (args) => execution.subscribe(args),
      onNext: (_ctx, _id, _payload, _args, result) => execution.formatResult(result) as never,
    },
    wss,
  );

  return {
    /** Ends every connection (close 1001 "Going away"); each client reconnects to another replica. */
    async close() {
      clearInterval(heartbeat);
      options.http.off('upgrade', onUpgrade);
      await server.dispose();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
