// Differential tests: every operation is sent over HTTP to ApolloServer + stock
// @apollo/gateway and to ApolloServer + createFastGateway (same subgraphs);
// status, JSON body and Cache-Control header must be identical.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSubgraphs, type FailMode, type RunningSubgraphs } from './fixtures/subgraphs.ts';
import { fastGateway, post, serveGateway, stockGateway, type RunningGateway } from './fixtures/gateways.ts';

interface Case {
  name: string;
  query: string;
  variables?: Record<string, unknown>;
  operationName?: string;
  failMode?: Record<string, FailMode>;
  cacheControl?: Record<string, string>;
  /** expected to contain errors (sanity check that the case exercises something) */
  expectErrors?: boolean;
}

const USER_FIELDS = 'id name username';

const CASES: Case[] = [
  { name: 'simple root field', query: '{ me { id name } }' },
  { name: 'root __typename only', query: '{ __typename }' },
  { name: 'aliased __typename + nested typename', query: '{ t: __typename me { __typename tn: __typename id } }' },
  {
    name: 'entities across 4 subgraphs, @requires, @provides',
    query: `{ topProducts { upc name price weight inStock shippingEstimate reviews { id body author { ${USER_FIELDS} reviews { id product { upc name } } } } } }`,
    expectErrors: false,
  },
  {
    name: 'bench-like nested fragments',
    query: `fragment U on User { id username name }
      fragment R on Review { id body }
      fragment P on Product { inStock name price shippingEstimate upc weight }
      query Q { users { ...U reviews { ...R product { ... on Product { ...P reviews { ...R author { ...U } } } } } } }`,
    operationName: 'Q',
    expectErrors: false,
  },
  {
    name: 'aliases everywhere',
    query: '{ a: topProducts(first: 2) { x: upc y: name z: reviews { i: id } } b: topProducts(first: 1) { upc } }',
  },
  {
    // names Object.prototype has read as plain properties nowhere (shape.ts isPlainKey): the closure path
    name: 'aliases named like Object.prototype members',
    query:
      '{ me { constructor: name __proto__: id toString: username hasOwnProperty: __typename valueOf: reviews { id body } } topProducts(first: 1) { constructor: upc } }',
    expectErrors: false,
  },
  { name: 'same response name merged', query: '{ me { id } me { name reviews { id } } me { reviews { body } } }' },
  {
    name: 'variables with defaults and literal args',
    query: 'query V($n: Int = 2, $id: ID!) { topProducts(first: $n) { upc name } user(id: $id) { id name } }',
    variables: { id: '2' },
  },
  { name: 'variables: explicit null', query: 'query V($n: Int) { topProducts(first: $n) { upc } }', variables: { n: null } },
  { name: 'variables: missing required', query: 'query V($id: ID!) { user(id: $id) { id } }', variables: {}, expectErrors: true },
  {
    name: 'variables: wrong type',
    query: 'query V($n: Int) { topProducts(first: $n) { upc } }',
    variables: { n: 'abc' },
    expectErrors: true,
  },
  {
    name: '@skip/@include literals and variables',
    query: `query S($yes: Boolean!, $no: Boolean = false) {
      me { id name @include(if: $yes) username @skip(if: $yes) birthday @include(if: false) reviews @include(if: $no) { id } }
      topProducts(first: 2) @skip(if: $no) { upc ... on Product @include(if: $yes) { name } ...PF @skip(if: $yes) }
    }
    fragment PF on Product { price }`,
    variables: { yes: true },
  },
  {
    name: '@skip on plan Condition',
    query: 'query S($withReviews: Boolean!) { topProducts(first: 2) { upc reviews @include(if: $withReviews) { body } } }',
    variables: { withReviews: false },
  },
  {
    name: '@skip on plan Condition (true)',
    query: 'query S($withReviews: Boolean!) { topProducts(first: 2) { upc reviews @include(if: $withReviews) { body } } }',
    variables: { withReviews: true },
  },
  {
    name: 'union with fragments',
    query:
      '{ search(term: "c") { __typename ... on Product { upc name price inStock } ... on Book { upc author inStock reviews { body } } } }',
  },
  {
    name: 'interface with fragments and shared fields',
    query: '{ items { __typename upc name ... on Book { pages } ... on Product { kindless: price } } }',
  },
  { name: 'interface root field node()', query: '{ node(id: "1") { id __typename ... on User { name reviews { id } } } }' },
  { name: 'interface root field node() miss', query: '{ node(id: "99") { id } }' },
  {
    name: 'fragment on interface spread inside object',
    query: 'fragment N on Node { id } { users { ...N ... on Node { __typename } name } }',
    expectErrors: false,
  },
  { name: 'nullable field error (root subgraph)', query: '{ users { id email } }', expectErrors: true },
  { name: 'non-null error propagation in subgraph', query: '{ users { id secret } }', expectErrors: true },
  { name: 'non-null error nullable parent', query: '{ user(id: "3") { id name secret } }', expectErrors: true },
  {
    name: 'error inside entity fetch (path rewriting)',
    query: '{ topProducts { upc warehouse } }',
    expectErrors: true,
  },
  {
    name: 'non-null error inside entity fetch',
    query: '{ topProducts { upc reviews { id rating } } }',
    expectErrors: true,
  },
  {
    name: 'entity resolved to null -> gateway non-null violation',
    query: '{ topProducts(first: 5) { upc name inStock } }',
  },
  { name: 'invalid enum value from subgraph', query: '{ topProducts(first: 5) { upc kind } }' },
  {
    name: 'errors at several depths',
    query: '{ latestReviews { id rating author { id email secret } product { ... on Product { upc warehouse } } } }',
    expectErrors: true,
  },
  { name: 'subgraph down (root)', query: '{ ghostStatus me { id } }', expectErrors: true },
  { name: 'subgraph down (entity)', query: '{ users { id ghostScore } }', expectErrors: true },
  { name: 'subgraph HTTP 500', query: '{ users { id name reviews { id } } }', failMode: { reviews: 'http500' }, expectErrors: true },
  { name: 'subgraph HTTP 401', query: '{ topProducts { upc inStock } }', failMode: { inventory: 'http401' }, expectErrors: true },
  { name: 'subgraph invalid JSON', query: '{ me { id name } }', failMode: { accounts: 'badjson' }, expectErrors: true },
  { name: 'subgraph text/plain', query: '{ me { id name } }', failMode: { accounts: 'textplain' }, expectErrors: true },
  { name: 'introspection __schema', query: '{ __schema { queryType { name } mutationType { name } types { name kind } } }' },
  {
    name: 'introspection __type with variables + data',
    query: 'query I($t: String!) { __type(name: $t) { name kind fields { name type { name kind ofType { name } } } } me { id } }',
    variables: { t: 'Product' },
  },
  { name: 'inaccessible field rejected', query: '{ me { internalCode } }', expectErrors: true },
  {
    name: 'multiple operations with operationName',
    query: 'query A { me { id } } query B { topProducts(first: 1) { upc name } }',
    operationName: 'B',
  },
  { name: 'unknown operationName', query: 'query A { me { id } }', operationName: 'Nope', expectErrors: true },
  { name: 'multiple operations without name', query: 'query A { me { id } } query B { me { name } }', expectErrors: true },
  { name: 'syntax error', query: '{ me { id ', expectErrors: true },
  {
    name: 'cache-control: all public max-age',
    query: '{ topProducts(first: 2) { upc name inStock reviews { body } } }',
    cacheControl: { products: 'max-age=60, public', inventory: 'max-age=30', reviews: 'public, max-age=120' },
  },
  {
    name: 'cache-control: one private',
    query: '{ me { id name reviews { body } } }',
    cacheControl: { accounts: 'max-age=60', reviews: 'max-age=30, private' },
  },
  {
    name: 'cache-control: one subgraph without header',
    query: '{ me { id name reviews { body } } }',
    cacheControl: { accounts: 'max-age=60' },
  },
  {
    name: 'cache-control: garbage',
    query: '{ me { id } }',
    cacheControl: { accounts: 'max-age=abc' },
  },
  {
    name: 'cache-control: with errors',
    query: '{ users { id email } }',
    cacheControl: { accounts: 'max-age=60' },
    expectErrors: true,
  },
  {
    name: '@interfaceObject: interface field from interface object',
    query: '{ media { __typename id title ... on Movie { minutes } stars } }',
  },
  {
    name: '@interfaceObject: root from interface object, typename + concrete fields',
    query: '{ topRated { __typename id stars title ... on Song { artist } ... on Movie { minutes } } }',
  },
  { name: '@interfaceObject: only interface object fields', query: '{ topRated { id stars } }' },
  {
    name: 'mutations in order across subgraphs',
    query: `mutation M($k: String!) {
      a: accountsLog(key: $k, entry: "1")
      b: productsLog(key: $k, entry: "2")
      c: reviewsLog(key: $k, entry: "3")
      d: accountsLog(key: $k, entry: "4")
      u: setName(id: "1", name: "Countess") { id name reviews { id body } }
    }`,
    variables: { k: 'KEY' },
  },
];

let subgraphs: RunningSubgraphs;
let stock: RunningGateway;
let keySeq = 0;

beforeAll(async () => {
  subgraphs = await startSubgraphs();
  stock = await serveGateway(stockGateway(subgraphs.supergraphSdl));
}, 60_000);

afterAll(async () => {
  await stock?.close();
  await subgraphs?.close();
});

// On these fixtures both planners must answer exactly like stock: none of
// stock's Federation bugs is reachable here (those are in federationCases.test.ts).
describe.each(['hive', 'apollo'] as const)('fast gateway (%s planner) vs stock @apollo/gateway', (planner) => {
  let fast: RunningGateway;
  beforeAll(async () => {
    fast = await serveGateway(fastGateway(subgraphs.supergraphSdl, { planner }));
  });
  afterAll(async () => {
    await fast?.close();
  });

  for (const c of CASES) {
    it(c.name, async () => {
      subgraphs.control.failMode = { ...c.failMode };
      subgraphs.control.cacheControl = { ...c.cacheControl };
      try {
        const payload = (side: string) => {
          // mutations log under a per-side key so both sides start from the same state
          const variables = c.variables && 'k' in c.variables ? { ...c.variables, k: `${side}-${++keySeq}` } : c.variables;
          return { query: c.query, variables, operationName: c.operationName };
        };
        const a = await post(stock.url, payload('stock'));
        const b = await post(fast.url, payload('fast'));
        expect(b.status).toBe(a.status);
        expect(b.body).toEqual(a.body);
        expect(b.cacheControl).toBe(a.cacheControl);
        if (c.expectErrors !== undefined) {
          const hasErrors = typeof a.body === 'object' && a.body !== null && 'errors' in a.body;
          expect(hasErrors).toBe(c.expectErrors);
        }
      } finally {
        subgraphs.control.failMode = {};
        subgraphs.control.cacheControl = {};
      }
    });
  }

  it('bench-like query: byte-identical body', async () => {
    const query = CASES.find((c) => c.name === 'bench-like nested fragments')!;
    const a = await post(stock.url, { query: query.query, operationName: 'Q' });
    const b = await post(fast.url, { query: query.query, operationName: 'Q' });
    expect(b.text).toBe(a.text);
  });

  it('repeated requests of the same operation stay identical (plan/shaper caches)', async () => {
    const q = CASES[3]!;
    const first = await post(fast.url, { query: q.query });
    for (let i = 0; i < 5; i++) {
      const again = await post(fast.url, { query: q.query });
      expect(again.text).toBe(first.text);
    }
    const ref = await post(stock.url, { query: q.query });
    expect(first.body).toEqual(ref.body);
  });
});
