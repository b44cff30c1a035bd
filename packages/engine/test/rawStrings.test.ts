// With serializeData on, long strings of the data are written as raw JSON once they repeat
// (src/jsonStrings.ts, src/shape.ts). Over real HTTP, a gateway with it answers what a gateway
// without it answers: first sighting, repeats (raw JSON), strings in lists, strings that need
// escaping, an ID and a custom scalar, a field fetched from another subgraph.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fastGateway, post, serveGateway, type RunningGateway } from './fixtures/gateways.ts';
import { startSupergraph } from './fixtures/subgraphs.ts';

const link = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])';
const long = (s: string) => `${s} `.repeat(12);
const NOTES = [
  { id: 'n'.repeat(70), body: long('quote " backslash \\ newline \n tab \t control \u0001 😀 Кириллица'), tags: [long('tag a'), 'short'] },
  { id: '2', body: long('plain text'), tags: [long('tag a'), long('tag b')] },
  { id: '3', body: null, tags: [] },
];

let supergraph: Awaited<ReturnType<typeof startSupergraph>>;
let serialized: RunningGateway;
let objects: RunningGateway;

beforeAll(async () => {
  supergraph = await startSupergraph({
    notes: {
      typeDefs: `${link}\nscalar Json\ntype Query { notes: [Note] }\ntype Note @key(fields: "id") { id: ID! body: String tags: [String!]! meta: Json }`,
      resolvers: { Query: { notes: () => NOTES.map((n) => ({ ...n, meta: long('json scalar') })) } },
    },
    summaries: {
      typeDefs: `${link}\ntype Note @key(fields: "id") { id: ID! summary: String! }`,
      resolvers: { Note: { __resolveReference: (ref: { id: string }) => ({ id: ref.id, summary: long(`summary of ${ref.id}`) }) } },
    },
  });
  [serialized, objects] = await Promise.all([
    serveGateway(fastGateway(supergraph.supergraphSdl, { serializeData: () => true })),
    serveGateway(fastGateway(supergraph.supergraphSdl)),
  ]);
}, 60_000);
afterAll(async () => {
  await Promise.all([serialized?.close(), objects?.close()]);
  await supergraph?.close();
});

describe('long strings as raw JSON (serializeData)', () => {
  it('answers the same text as the object path, on first sighting and on repeats', async () => {
    const query = '{ notes { id body tags meta summary again: body } }';
    for (let round = 0; round < 3; round++) {
      const [a, b] = await Promise.all([post(serialized.url, { query }), post(objects.url, { query })]);
      expect(a.text).toBe(b.text);
      expect(a.status).toBe(200);
    }
    const { body } = await post(serialized.url, { query });
    const notes = (body as { data: { notes: Record<string, unknown>[] } }).data.notes;
    expect(notes[0]).toEqual({
      ...NOTES[0],
      meta: long('json scalar'),
      summary: long(`summary of ${NOTES[0]!.id}`),
      again: NOTES[0]!.body,
    });
    expect(notes[2]!['body']).toBeNull();
  });
});
