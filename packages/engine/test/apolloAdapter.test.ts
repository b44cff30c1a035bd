// src/apollo.ts is the only file that touches Apollo's non-public modules
// (@apollo/federation-internals, @apollo/query-planner). This test uses every
// export the engine relies on, the way the engine uses it, so an @apollo
// upgrade that renames, removes or changes one of them fails here by name.
import { describe, expect, it } from 'vitest';
import { parse } from 'graphql';
import * as adapter from '../src/apollo.ts';
import { compose, SUBGRAPH_DEFS } from './fixtures/subgraphs.ts';

const urls = Object.fromEntries(Object.keys(SUBGRAPH_DEFS).map((n, i) => [n, `http://127.0.0.1:${4900 + i}/graphql`]));
const sdl = compose(SUBGRAPH_DEFS, urls);
const LINK_FOR_SUBSCRIPTIONS = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])';

describe('Apollo adapter (src/apollo.ts)', () => {
  it('exports every runtime value the engine imports', () => {
    const values = [
      'ERRORS',
      'Variable',
      'assert',
      'errorCodeDef',
      'isCompositeType',
      'isCustomScalarType',
      'isListType',
      'isNonNullType',
      'isObjectType',
      'isSubtype',
      'isValidLeafValue',
      'operationFromDocument',
      'typenameFieldName',
      'loadSupergraph',
    ] as const;
    for (const name of values) expect(adapter[name], name).toBeDefined();
    expect(adapter.typenameFieldName).toBe('__typename');
  });

  it('loads a supergraph: API schema (both forms), supergraph schema, subgraph list', () => {
    const loaded = adapter.loadSupergraph(sdl, { validate: true });
    expect(loaded.subgraphs.map((s) => s.name).sort()).toEqual(
      Object.keys(SUBGRAPH_DEFS)
        .map((n) => n)
        .sort(),
    );
    expect(loaded.subgraphs.find((s) => s.name === 'accounts')?.url).toBe(urls['accounts']);
    expect(loaded.apiGraphQLSchema.getType('User')).toBeDefined();
    // @inaccessible fields are not in the API schema, but are in the supergraph schema
    expect(Object.keys((loaded.apiGraphQLSchema.getType('User') as import('graphql').GraphQLObjectType).getFields())).not.toContain(
      'internalCode',
    );
    expect(loaded.supergraphGraphQLSchema.getType('join__Graph')).toBeDefined();
    expect(loaded.apiSchema.type('Product')).toBeDefined();
  });

  it('operations: the model the result shaper walks', () => {
    const { apiSchema } = adapter.loadSupergraph(sdl, { validate: false });
    const op = adapter.operationFromDocument(
      apiSchema,
      parse('query Q($yes: Boolean!) { search(term: "a") { __typename ... on Product @include(if: $yes) { upc price } } }'),
      {
        operationName: 'Q',
      },
    );
    const [search] = op.selectionSet.selections();
    expect(search!.kind).toBe('FieldSelection');
    const field = search!.element as adapter.Field;
    expect(field.responseName()).toBe('search');
    expect(adapter.isNonNullType(field.definition.type!)).toBe(true);
    const fragment = search!.selectionSet!.selections().find((s) => s.kind === 'FragmentSelection')!;
    const element = fragment.element as adapter.FragmentElement;
    expect(element.typeCondition?.name).toBe('Product');
    const include = element.appliedDirectivesOf(apiSchema.includeDirective())[0]!;
    expect(include.arguments()['if']).toBeInstanceOf(adapter.Variable);
    expect(adapter.isSubtype(apiSchema.type('SearchResult') as never, apiSchema.type('Product') as never)).toBe(true);
    expect(adapter.isObjectType(apiSchema.type('Product')!)).toBe(true);
    expect(adapter.isCompositeType(apiSchema.type('Item')!)).toBe(true);
    expect(adapter.isCustomScalarType(apiSchema.type('String')!)).toBe(false);
    expect(adapter.isValidLeafValue(apiSchema, 'FURNITURE', apiSchema.type('ProductKind') as never)).toBe(true);
    expect(adapter.isValidLeafValue(apiSchema, 'BROKEN', apiSchema.type('ProductKind') as never)).toBe(false);
    expect(adapter.isListType(apiSchema.type('Query')!.toString() as never)).toBe(false);
    expect(Object.keys(op.collectDefaultedVariableValues())).toEqual([]);
  });

  it('errors: stock codes and the code lookup', () => {
    const e = adapter.ERRORS.INVALID_GRAPHQL.err('bad', { path: ['a'] });
    expect(e.extensions['code']).toBe('INVALID_GRAPHQL');
    expect(adapter.ERRORS.DOWNSTREAM_SERVICE_ERROR.err('x').extensions['code']).toBe('DOWNSTREAM_SERVICE_ERROR');
    expect(adapter.errorCodeDef(e)?.code).toBe('INVALID_GRAPHQL');
    expect(() => adapter.assert(false, 'boom')).toThrow(/boom/);
  });

  it("Apollo's planner: plans translate into the engine's plan format", () => {
    const loaded = adapter.loadSupergraph(sdl, { validate: false });
    const planner = loaded.apolloPlanner({});
    const query =
      'query S($r: Boolean!) { topProducts { upc inStock shippingEstimate reviews @include(if: $r) { id } } media { id stars } }';
    const plan = planner.plan({ query, operationName: undefined, activeLabels: new Set(), percentage: 100 }, parse(query));
    const kinds = new Set<string>();
    const walk = (n: unknown): void => {
      if (!n || typeof n !== 'object') return;
      const node = n as { kind?: string };
      if (typeof node.kind === 'string') kinds.add(node.kind);
      for (const v of Object.values(n)) if (typeof v === 'object') walk(v);
    };
    walk(plan.node);
    for (const k of ['Sequence', 'Parallel', 'Flatten', 'Fetch', 'Condition']) expect(kinds, k).toContain(k);
    expect(plan.requiresMode).toBe('apollo');
    const json = JSON.stringify(plan.node);
    expect(json).toContain('"kind":"field","name":"topProducts"');
    // @interfaceObject rewrites come through in the engine's rewrite format
    expect(json).toContain(
      '"inputRewrites":[{"kind":"ValueSetter","path":[{"types":["Media"]},{"key":"__typename"}],"setValueTo":"Media"}',
    );
  });
  it("Apollo's incremental planner: Defer nodes carry their parts (label, path, subselection, dependencies)", () => {
    const loaded = adapter.loadSupergraph(sdl, { validate: false });
    expect(loaded.apiGraphQLSchema.getDirective('defer')).toBeUndefined();
    expect(loaded.apiGraphQLSchemaWithDefer().getDirective('defer')).toBeDefined();
    const query = '{ topProducts { upc ... @defer(label: "r") { reviews { id } } } }';
    const plan = loaded
      .apolloDeferPlanner({})
      .plan({ query, operationName: undefined, activeLabels: new Set(), percentage: 100 }, parse(query));
    const node = plan.node;
    expect(node?.kind).toBe('Defer');
    if (node?.kind !== 'Defer') return;
    expect(node.primary?.kind).toBe('Fetch');
    const primaryId = node.primary?.kind === 'Fetch' ? node.primary.id : undefined;
    expect(primaryId).toBeDefined();
    expect(node.parts).toHaveLength(1);
    const part = node.parts![0]!;
    expect(part).toMatchObject({ label: 'r', queryPath: ['topProducts'], depends: [primaryId] });
    expect(part.subselection).toContain('reviews');
    expect(part.node?.kind).toBe('Flatten');
  });

  it("Apollo's planner: a subscription's primary fetch and the rest of its plan", () => {
    const defs = {
      live: {
        typeDefs: `${LINK_FOR_SUBSCRIPTIONS}
          type Query { ping: String }
          type Subscription { ticks: Tick! }
          type Tick @key(fields: "id") { id: ID! n: Int! }`,
        resolvers: {},
      },
      labels: {
        typeDefs: `${LINK_FOR_SUBSCRIPTIONS}
          type Tick @key(fields: "id") { id: ID! label: String! }`,
        resolvers: {},
      },
    };
    const loaded = adapter.loadSupergraph(
      compose(defs, { live: 'http://127.0.0.1:4990/graphql', labels: 'http://127.0.0.1:4991/graphql' }),
      { validate: false },
    );
    const query = 'subscription { ticks { n label } }';
    const plan = loaded.apolloPlanner({}).plan({ query, operationName: undefined, activeLabels: new Set(), percentage: 100 }, parse(query));
    expect(plan.node?.kind).toBe('Subscription');
    if (plan.node?.kind !== 'Subscription') return;
    expect(plan.node.primary).toMatchObject({ kind: 'Fetch', serviceName: 'live', operationKind: 'subscription' });
    expect(JSON.stringify(plan.node.rest)).toContain('"serviceName":"labels"');
  });
});
