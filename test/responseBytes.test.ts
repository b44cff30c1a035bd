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
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r) ?? r(undefined));
});

/** Serves `body` with writeApolloResponse; resolves each release with whether the response had finished. */
async function serve(body: Buffer): Promise<{ url: string; releases: Promise<boolean>[] }> {
  const releases: Promise<boolean>[] = [];
  server = createServer((_req, res) => {
    releases.push(
      new Promise((resolve) => {
        let calls = 0;
        releaseAfterWrite(body, () => {
          calls++;
          if (calls > 1) return;
          const finished = res.writableFinished; // when released, not later
          setTimeout(() => resolve(calls === 1 && finished), 50);
        });
      }),
    );
    const response: HTTPGraphQLResponse = {
      status: 200,
      headers: new HeaderMap([['content-type', 'application/json']]),
      body: { kind: 'complete', string: body as unknown as string },
    };
    void writeApolloResponse(res, response);
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, releases };
}

describe('releaseAfterWrite', () => {
  it('releases once, after the whole body was written', async () => {
    const body = Buffer.from(JSON.stringify({ data: { s: 'x'.repeat(200_000) } }));
    const { url, releases } = await serve(body);
    const res = await fetch(url);
    expect(Buffer.from(await res.arrayBuffer()).equals(body)).toBe(true);
    expect(await releases[0]).toBe(true);
  });

  it('releases when the client leaves before reading a body larger than the socket buffers', async () => {
    const body = Buffer.alloc(64 * 1024 * 1024, 'x');
    const { url, releases } = await serve(body);
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
    expect(await releases[0]).toBe(false);
  });
});
