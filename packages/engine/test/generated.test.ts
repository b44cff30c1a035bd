// Generated differential test: queries are produced from the fixture
// supergraph's API schema (not hand-picked) with a seeded generator, sent to
// stock @apollo/gateway and to the engine with each planner, and must get the
// same answer. Errors are compared as a set: their order follows the order of
// subgraph fetches, which differs between planners and is not specified.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import type { GraphQLField, GraphQLNamedType, GraphQLSchema } from 'graphql';
import { loadSupergraph } from '../src/apollo.ts';
import { startSubgraphs, type RunningSubgraphs } from './fixtures/subgraphs.ts';
import { fastGateway, post, serveGateway, stockGateway, type RunningGateway } from './fixtures/gateways.ts';

// the CommonJS graphql instance the engine and Apollo use (see src/graphql.ts)
const { getNamedType, isAbstractType, isLeafType, isNonNullType, isObjectType } = createRequire(import.meta.url)(
  'graphql',
) as typeof import('graphql');

/** mulberry32: a small deterministic PRNG, so every run generates the same queries. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A literal for a required argument (values that exist in the fixtures). */
function argumentLiteral(type: GraphQLNamedType, random: () => number): string {
  switch (type.name) {
    case 'ID':
    case 'String':
      return JSON.stringify(['1', '2', 'c'][Math.floor(random() * 3)]);
    case 'Int':
      return String(1 + Math.floor(random() * 3));
    case 'Boolean':
      return random() < 0.5 ? 'true' : 'false';
    default:
      throw new Error(`no literal for ${type.name}`);
  }
}

function selection(schema: GraphQLSchema, type: GraphQLNamedType, depth: number, random: () => number): string {
  if (isLeafType(type)) return '';
  const parts: string[] = [];
  if (random() < 0.3) parts.push('__typename');
  if (isAbstractType(type)) {
    const possible = schema.getPossibleTypes(type);
    if ('getFields' in type) parts.push(...fieldsOf(schema, type.getFields(), depth, random, 0.5));
    for (const t of possible)
      if (random() < 0.7)
        parts.push(`... on ${t.name} { ${fieldsOf(schema, t.getFields(), depth, random, 0.6).join(' ') || '__typename'} }`);
  } else if (isObjectType(type)) {
    parts.push(...fieldsOf(schema, type.getFields(), depth, random, 0.6));
  }
  return `{ ${parts.length ? parts.join(' ') : '__typename'} }`;
}

function fieldsOf(
  schema: GraphQLSchema,
  fields: Record<string, GraphQLField<unknown, unknown>>,
  depth: number,
  random: () => number,
  p: number,
): string[] {
  const out: string[] = [];
  for (const f of Object.values(fields)) {
    // the never-started "ghost" subgraph's fields: a refused connection has machine-specific messages
    if (f.name.startsWith('ghost')) continue;
    const named = getNamedType(f.type);
    const composite = !isLeafType(named);
    if (composite && depth >= 3) continue;
    if (random() > p) continue;
    const args = f.args.filter((a) => isNonNullType(a.type)).map((a) => `${a.name}: ${argumentLiteral(getNamedType(a.type), random)}`);
    const alias = random() < 0.1 ? `a${Math.floor(random() * 100)}: ` : '';
    out.push(
      `${alias}${f.name}${args.length ? `(${args.join(', ')})` : ''}${composite ? ' ' + selection(schema, named, depth + 1, random) : ''}`,
    );
  }
  return out;
}

function generateQueries(schema: GraphQLSchema, count: number, seed: number): string[] {
  const random = prng(seed);
  const root = schema.getQueryType()!;
  const queries = new Set<string>();
  for (let attempts = 0; queries.size < count && attempts < count * 50; attempts++) {
    const fields = fieldsOf(schema, root.getFields(), 1, random, 0.35).filter((f) => !f.startsWith('__'));
    if (fields.length) queries.add(`{ ${fields.join(' ')} }`);
  }
  return [...queries];
}

/**
 * Hive Router's planner 0.0.38 bug, found by this test: an @interfaceObject
 * field selected inside fragments on two implementations of a root list of the
 * interface object is fetched for one implementation only (the plan's
 * `requires` keeps one type condition), so the other one gets null. Stock and
 * the Apollo planner are right. Asserted in federationCases.test.ts.
 */
function knownHivePlannerBug(query: string): boolean {
  return /topRated\s*\{[^]*\.\.\. on (Movie|Song) \{[^}]*stars[^]*\.\.\. on (Movie|Song) \{[^}]*stars/.test(query);
}

function normalized(body: unknown): unknown {
  const b = body as { errors?: unknown[] };
  if (!b || typeof b !== 'object' || !Array.isArray(b.errors)) return body;
  return { ...b, errors: [...b.errors].map((e) => JSON.stringify(e)).sort() };
}

let subgraphs: RunningSubgraphs;
let stock: RunningGateway;
const gateways: Record<string, RunningGateway> = {};
const QUERY_COUNT = 40;
let queries: string[] = [];

beforeAll(async () => {
  subgraphs = await startSubgraphs();
  stock = await serveGateway(stockGateway(subgraphs.supergraphSdl));
  gateways['hive'] = await serveGateway(fastGateway(subgraphs.supergraphSdl, { planner: 'hive' }));
  gateways['apollo'] = await serveGateway(fastGateway(subgraphs.supergraphSdl, { planner: 'apollo' }));
  queries = generateQueries(loadSupergraph(subgraphs.supergraphSdl, { validate: false }).apiGraphQLSchema, QUERY_COUNT, 20261201);
}, 60_000);

afterAll(async () => {
  await Promise.all(Object.values(gateways).map((g) => g.close()));
  await stock?.close();
  await subgraphs?.close();
});

describe('generated queries: engine vs stock @apollo/gateway', () => {
  it('the generator produces distinct queries over many fields', () => {
    expect(new Set(queries).size).toBe(QUERY_COUNT);
    const fieldsUsed = new Set(queries.flatMap((q) => q.match(/[A-Za-z_]+/g) ?? []));
    for (const f of ['topProducts', 'users', 'search', 'items', 'media', 'topRated', 'reviews', 'shippingEstimate'])
      expect(fieldsUsed, f).toContain(f);
  });

  for (const planner of ['hive', 'apollo'] as const) {
    it(`${planner} planner: every generated query answers like stock`, async () => {
      const mismatches: string[] = [];
      for (const query of queries) {
        if (planner === 'hive' && knownHivePlannerBug(query)) continue;
        const [a, b] = await Promise.all([post(stock.url, { query }), post(gateways[planner]!.url, { query })]);
        if (a.status !== b.status || JSON.stringify(normalized(a.body)) !== JSON.stringify(normalized(b.body))) {
          // key order is not compared (toEqual semantics): re-check structurally before reporting
          try {
            expect(b.status).toBe(a.status);
            expect(normalized(b.body)).toEqual(normalized(a.body));
          } catch {
            mismatches.push(`${query}\n  stock: ${a.text.slice(0, 400)}\n  engine: ${b.text.slice(0, 400)}`);
          }
        }
      }
      expect(mismatches).toEqual([]);
    });
  }
});
