/**
 * writeApolloResponse with a body answered as bytes (gateway/src/resultJson.ts): the release
 * registered with releaseAfterWrite (giving a pooled buffer back) runs once, after the bytes are
 * written, and also when the client goes away before reading them.
 */
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { HeaderMap, type HTTPGraphQLResponse } from '@apollo/server';
import { releaseAfterWrite, writeApolloResponse } from '../lib/http/apollo.ts';

let server: Server | undefined;

/** Closes the server and its connections: every response's 'close' has been emitted once this resolves. */
async function closeServer(): Promise<void> {
  const s = server;
  server = undefined;
  if (!s) return;
  s.closeAllConnections();
  await new Promise((r) => s.close(r));
}
afterEach(closeServer);

/** One served response: how many times its release ran, and whether the response had finished at the first. */
interface Served {
  calls: number;
  finishedAtRelease: Promise<boolean>;
}

/** Serves `body` with writeApolloResponse, recording each response's release. */
async function serve(body: Buffer): Promise<{ url: string; served: Served[] }> {
  const served: Served[] = [];
  server = createServer((_req, res) => {
    let resolveFinished!: (finished: boolean) => void;
    const record: Served = { calls: 0, finishedAtRelease: new Promise((r) => (resolveFinished = r)) };
    served.push(record);
    releaseAfterWrite(body, () => {
      record.calls++;
      resolveFinished(res.writableFinished); // when released, not later
    });
    const response: HTTPGraphQLResponse = {
      status: 200,
      headers: new HeaderMap([['content-type', 'application/json']]),
      body: { kind: 'complete', string: body as unknown as string },
    };
    void writeApolloResponse(res, response);
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, served };
}

describe('releaseAfterWrite', () => {
  it('releases once, after the whole body was written', async () => {
    const body = Buffer.from(JSON.stringify({ data: { s: 'x'.repeat(200_000) } }));
    const { url, served } = await serve(body);
    const res = await fetch(url);
    expect(Buffer.from(await res.arrayBuffer()).equals(body)).toBe(true);
    expect(await served[0]!.finishedAtRelease).toBe(true);
    await closeServer(); // the connection's own close comes after: no second release
    expect(served[0]!.calls).toBe(1);
  });

  it('releases when the client leaves before reading a body larger than the socket buffers', async () => {
    const body = Buffer.alloc(64 * 1024 * 1024, 'x');
    const { url, served } = await serve(body);
    await new Promise<void>((resolve) => {
      const req = request(url, (res) => {
        res.once('data', () => {
          req.destroy(); // gone after the first chunk
          resolve();
        });
      });
      req.end();
    });
    // the response never finished: released (on 'close') all the same
    expect(await served[0]!.finishedAtRelease).toBe(false);
    await closeServer();
    expect(served[0]!.calls).toBe(1);
  });
});
