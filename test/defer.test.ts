/**
 * @defer end to end over HTTP: a fixture supergraph whose deferred fields come
 * from a slow subgraph (its answers held behind a gate the test opens), served
 * by a real gateway process. The first part must arrive while the slow
 * subgraph still holds its answer (ordering proven by the gate, not by
 * timing); parts come in order with correct paths and labels; merging them
 * gives exactly the result of the same query without @defer.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'graphql';
import { ApolloServer } from '@apollo/server';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { composeServices } from '@apollo/composition';
import { handleGraphQLRequest } from '../lib/http/apollo.ts';
import { freePort, ROOT, waitForHttp } from '../scripts/lib/stack.ts';
import {
  DEFER_SUBGRAPHS,
  DEFERRED_QUERY,
  EXPECTED_DEFERRED_PARTS,
  mergeAt,
  PLAIN_QUERY,
} from '../packages/engine/test/fixtures/deferSupergraph.ts';

/** The slow subgraph's answers wait for this gate (when closed). */
let gate: { open: boolean; release: () => void; wait: Promise<void> };
function closeGate() {
  let release!: () => void;
  const wait = new Promise<void>((r) => (release = r));
  gate = { open: false, release: () => ((gate.open = true), release()), wait };
}
let reviewsAnswered = 0;

interface Part {
  data?: Record<string, unknown> | null;
  errors?: unknown[];
  hasNext?: boolean;
  incremental?: { data: Record<string, unknown> | null; path: (string | number)[]; label?: string }[];
}

/** Reads a multipart/mixed (deferSpec=20220824) response part by part, as Apollo Client does. */
async function* readParts(res: Response): AsyncGenerator<Part> {
  const decoder = new TextDecoder();
  let buffer = '';
  let started = false;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    if (!started) {
      const at = buffer.indexOf('\r\n---\r\n');
      if (at === -1) continue;
      buffer = buffer.slice(at + 7);
      started = true;
    }
    for (;;) {
      const end = buffer.indexOf('\r\n---');
      if (end === -1) break;
      const part = buffer.slice(0, end);
      const rest = buffer.slice(end + 5);
      const closing = rest.startsWith('--');
      buffer = rest.replace(/^(--)?\r\n/, '');
      yield JSON.parse(part.slice(part.indexOf('\r\n\r\n') + 4)) as Part;
      if (closing) return;
    }
  }
}

describe('@defer with incremental delivery', () => {
  const servers: Server[] = [];
  const apollos: ApolloServer[] = [];
  let gateway: ChildProcess;
  let url: string;
  let dir: string;

  beforeAll(async () => {
    closeGate();
    gate.release();
    const urls: Record<string, string> = {};
    for (const [name, def] of Object.entries(DEFER_SUBGRAPHS)) {
      const apollo = new ApolloServer({
        schema: buildSubgraphSchema({ typeDefs: parse(def.typeDefs), resolvers: def.resolvers as never }),
      });
      await apollo.start();
      apollos.push(apollo);
      const server = createServer((req: IncomingMessage, res: ServerResponse) => {
        const answer = () => void handleGraphQLRequest(apollo, req, res, async () => ({}));
        if (name !== 'reviews') return answer();
        void gate.wait.then(() => {
          reviewsAnswered++;
          answer();
        });
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      servers.push(server);
      urls[name] = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
    }
    const composed = composeServices(
      Object.entries(DEFER_SUBGRAPHS).map(([name, def]) => ({ name, url: urls[name]!, typeDefs: parse(def.typeDefs) })),
    );
    if (composed.errors) throw new Error(composed.errors.map((e) => e.message).join('; '));
    dir = mkdtempSync(join(tmpdir(), 'tma-defer-'));
    writeFileSync(join(dir, 'supergraph.graphql'), composed.supergraphSdl);
    const port = await freePort();
    gateway = spawn(process.execPath, ['gateway/src/main.ts'], {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'inherit'],
      env: {
        ...process.env,
        PORT: String(port),
        HOST: '127.0.0.1',
        LOG_LEVEL: 'warn',
        SUPERGRAPH_PATH: join(dir, 'supergraph.graphql'),
        DATA_DIR: dir,
        RESPONSE_CACHE: 'off',
      },
    });
    await waitForHttp(`http://127.0.0.1:${port}/healthz`, 60_000, () => gateway.exitCode === null);
    url = `http://127.0.0.1:${port}/graphql`;
  });
  afterAll(async () => {
    if (gateway && gateway.exitCode === null) {
      const exited = new Promise((r) => gateway.once('exit', r));
      gateway.kill('SIGTERM');
      await exited;
    }
    gate?.release();
    for (const s of servers) s.closeAllConnections();
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    await Promise.all(apollos.map((a) => a.stop()));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const post = (query: string, accept: string) =>
    fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept }, body: JSON.stringify({ query }) });

  it('sends the first part before the slow subgraph answers, then the parts in order, merging to the plain result', async () => {
    closeGate();
    const answeredBefore = reviewsAnswered;
    const res = await post(DEFERRED_QUERY, 'multipart/mixed;deferSpec=20220824,application/json');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('multipart/mixed; boundary="-"; deferSpec=20220824');
    const parts = readParts(res);

    const initial = (await parts.next()).value as Part;
    // The reviews subgraph still holds its answer: the first part cannot contain anything of it.
    expect(gate.open).toBe(false);
    expect(reviewsAnswered).toBe(answeredBefore);
    expect(initial).toEqual(EXPECTED_DEFERRED_PARTS.initial);

    // The unlabelled fragment (same fast subgraph) is not held by the gate.
    const shopPart = (await parts.next()).value as Part;
    expect(shopPart).toEqual(EXPECTED_DEFERRED_PARTS.shop);
    expect(gate.open).toBe(false);

    gate.release();
    const reviewsPart = (await parts.next()).value as Part;
    expect(reviewsPart.hasNext).toBe(false);
    expect(reviewsPart.incremental).toEqual(EXPECTED_DEFERRED_PARTS.reviewsIncremental);
    expect((await parts.next()).done).toBe(true);

    const merged = structuredClone(initial.data!) as Record<string, unknown>;
    for (const part of [shopPart, reviewsPart]) for (const item of part.incremental!) mergeAt(merged, item.path, item.data!);
    const plain = (await (await post(PLAIN_QUERY, 'application/json')).json()) as { data: unknown };
    expect(merged).toEqual(plain.data);
  });

  it('without multipart in Accept, the same query answers one complete result (as today)', async () => {
    gate.release();
    const res = await post(DEFERRED_QUERY, 'application/json');
    expect(res.headers.get('content-type')).toMatch(/^application\/(graphql-response\+)?json/);
    const body = (await res.json()) as { data: Record<string, unknown> };
    const plain = (await (await post(PLAIN_QUERY, 'application/json')).json()) as { data: Record<string, unknown> };
    expect(body.data).toEqual(plain.data);
  });

  it('@defer(if: false) is not deferred; invalid deferred queries get the usual errors', async () => {
    gate.release();
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'multipart/mixed;deferSpec=20220824,application/json' },
      body: JSON.stringify({ query: 'query ($d: Boolean!) { products { id ... @defer(if: $d) { rating } } }', variables: { d: false } }),
    });
    expect(res.headers.get('content-type')).toMatch(/^application\/(graphql-response\+)?json/);
    expect(((await res.json()) as { data: unknown }).data).toEqual({
      products: [
        { id: 'p1', rating: 5 },
        { id: 'p2', rating: 2.5 },
      ],
    });

    const invalid = await post('{ products { ... @defer { nope } } }', 'multipart/mixed;deferSpec=20220824,application/json');
    expect(invalid.status).toBe(400);
    const body = (await invalid.json()) as { errors: { extensions: { code: string } }[] };
    expect(body.errors[0]!.extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });

  it('/metrics counts deferred responses', async () => {
    const metrics = await (await fetch(url.replace('/graphql', '/metrics'))).text();
    expect(Number(/gateway_deferred_responses_total (\d+)/.exec(metrics)?.[1])).toBeGreaterThanOrEqual(1);
    expect(Number(/gateway_stream_events_total\{transport="multipart"\} (\d+)/.exec(metrics)?.[1])).toBeGreaterThanOrEqual(3);
  });
});
