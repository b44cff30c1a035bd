/**
 * The contract transform (lib/contract.ts), one case per rule: a small
 * subgraph is composed with @apollo/composition exactly as `npm run compose`
 * does, and the printed contract is compared with what must be in it.
 */
import { describe, expect, it } from 'vitest';
import { parse, printSchema, lexicographicSortSchema } from 'graphql';
import { composeServices } from '@apollo/composition';
import { contractSchema } from '../lib/contract.ts';

const LINK = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@tag", "@shareable"])';

function contractOf(sdl: string): string {
  const result = composeServices([{ name: 'fixture', url: 'http://fixture.invalid/graphql', typeDefs: parse(`${LINK}\n${sdl}`) }]);
  if (result.errors) throw new Error(result.errors.map((e) => e.message).join('\n'));
  const api = lexicographicSortSchema(result.schema.toAPISchema().toGraphQLJSSchema());
  return printSchema(contractSchema(api, result.supergraphSdl, 'public'));
}

/** The contract SDL without descriptions or blank lines, for compact comparisons. */
const compact = (sdl: string) =>
  sdl
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .join(' ');

describe('contract transform (@tag "public")', () => {
  it('object types: a tagged type keeps all its fields, an untagged one only its tagged fields; mutations never', () => {
    const sdl = contractOf(`
      type Product @tag(name: "public") { id: ID! title: String! }
      type Shop { id: ID! @tag(name: "public") secret: String }
      type Query { products: [Product!]! @tag(name: "public") shop: Shop @tag(name: "public") me: String }
      type Mutation { buy: Boolean @tag(name: "public") }
    `);
    expect(compact(sdl)).toBe(
      'type Product { id: ID! title: String! } type Query { products: [Product!]! shop: Shop } type Shop { id: ID! }',
    );
  });

  it('interfaces: only tagged fields, only implementations that are in the contract', () => {
    const sdl = contractOf(`
      interface Item { id: ID! @tag(name: "public") internalCode: String }
      type Book implements Item @tag(name: "public") { id: ID! internalCode: String pages: Int }
      type Coupon implements Item { id: ID! internalCode: String }
      type Query { items: [Item!]! @tag(name: "public") }
    `);
    expect(sdl).toContain('interface Item {\n  id: ID!\n}');
    expect(sdl).toContain('type Book implements Item');
    expect(sdl).not.toContain('Coupon');
    expect(sdl).not.toMatch(/interface Item \{[^}]*internalCode/);
  });

  it('unions: only tagged member types', () => {
    const sdl = contractOf(`
      type Article @tag(name: "public") { id: ID! }
      type Draft { id: ID! }
      union SearchResult = Article | Draft
      type Query { search: [SearchResult!]! @tag(name: "public") }
    `);
    expect(sdl).toContain('union SearchResult = Article');
    expect(sdl).not.toContain('Draft');
  });

  it('enums: an untagged enum keeps only its tagged values, a tagged enum keeps all', () => {
    const sdl = contractOf(`
      enum Status { ACTIVE @tag(name: "public") ARCHIVED @tag(name: "public") FLAGGED_FOR_REVIEW }
      enum Currency @tag(name: "public") { USD XTR }
      type Offer @tag(name: "public") { status: Status! currency: Currency! }
      type Query { offers: [Offer!]! @tag(name: "public") }
    `);
    expect(compact(sdl)).toContain('enum Status { ACTIVE ARCHIVED }');
    expect(compact(sdl)).toContain('enum Currency { USD XTR }');
    expect(sdl).not.toContain('FLAGGED_FOR_REVIEW');
  });

  it('unreachable types are pruned, even when tagged', () => {
    const sdl = contractOf(`
      type Product @tag(name: "public") { id: ID! }
      type Orphan @tag(name: "public") { id: ID! }
      enum Loose @tag(name: "public") { A }
      input Filter @tag(name: "public") { q: String }
      type Query { products: [Product!]! @tag(name: "public") }
    `);
    for (const name of ['Orphan', 'Loose', 'Filter']) expect(sdl).not.toContain(name);
    expect(sdl).toContain('type Product');
  });

  it('a tagged field whose type has nothing tagged is an error naming the type, not a silent drop', () => {
    expect(() =>
      contractOf(`
        type Secret { value: String }
        type Query { secret: Secret @tag(name: "public") }
      `),
    ).toThrow(/type Secret is reachable but has none of its fields tagged/);
    expect(() =>
      contractOf(`
        enum Level { HIGH LOW }
        type Query { level: Level @tag(name: "public") }
      `),
    ).toThrow(/type Level is reachable but has none of its values tagged/);
  });

  it('an implementation that would lack a tagged interface field is an error at compose time', () => {
    expect(() =>
      contractOf(`
        interface Item { id: ID! @tag(name: "public") }
        type Coupon implements Item { id: ID! code: String @tag(name: "public") }
        type Query { items: [Item!]! @tag(name: "public") }
      `),
    ).toThrow(/contract "public" is not a valid schema: .*Item\.id.*Coupon/);
  });
});
