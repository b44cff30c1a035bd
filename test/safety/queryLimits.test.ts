/**
 * Query limits before execution, on /graphql (the shared stack, default limits) and /public/graphql.
 * The finding: a 221-byte query nesting `payments(first: 100)` under `user` returned 37 MB and took
 * the payments subgraph to 1.34 GB. Refusals carry stable codes and reach no subgraph.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildSchema, parse, print } from 'graphql';
import { describe, expect, it } from 'vitest';
import { createQueryLimiter } from '../../gateway/src/limits/queryLimits.ts';
import { queryLimitsFrom } from '../../gateway/src/server.ts';
import { loadConfig } from '../../lib/config.ts';
import { ROOT } from '../../scripts/lib/stack.ts';
import { gql } from '../helpers/client.ts';

const USER = 279058397;
/** The finding's shape (two levels of `payments(first: 100)` under `user`), within the depth limit so the cost is what refuses it. */
const NESTED_PAYMENTS = `{ me { payments(first: 100) { edges { node { user { payments(first: 100) { edges { node { id amount { amount } } } } } } } } } }`;

describe('query limits on /graphql', () => {
  it('refuses the nested-payments amplification query by its cost, before any subgraph runs', async () => {
    expect(NESTED_PAYMENTS.length).toBeLessThan(221);
    const res = await gql(NESTED_PAYMENTS, { userId: USER });
    expect(res.status).toBe(400);
    expect(res.body.errors?.[0]?.extensions?.code).toBe('QUERY_TOO_COMPLEX');
    expect(res.body.errors?.[0]?.message).toMatch(/MAX_QUERY_COST/);
    expect(res.body.data).toBeUndefined();
  });

  it('evaluates `first` from the variables of each request', async () => {
    const query =
      'query($n: Int) { me { payments(first: $n) { edges { node { user { payments(first: $n) { edges { node { id } } } } } } } } }';
    const small = await gql(query, { userId: USER, variables: { n: 2 } });
    expect(small.status).toBe(200);
    expect(small.body.errors).toBeUndefined();
    const large = await gql(query, { userId: USER, variables: { n: 1000 } });
    expect(large.status).toBe(400);
    expect(large.body.errors?.[0]?.extensions?.code).toBe('QUERY_TOO_COMPLEX');
  });

  it('refuses depth, aliases and token count with their own codes and reasons', async () => {
    let deep = 'id';
    for (let i = 0; i < 6; i++) deep = `user { payments(first: 1) { edges { node { ${deep} } } } }`;
    const tooDeep = await gql(`{ me { ${deep} } }`, { userId: USER });
    expect(tooDeep.status).toBe(400);
    expect(tooDeep.body.errors?.[0]?.extensions?.code).toBe('QUERY_TOO_DEEP');

    const aliases = (n: number) => Array.from({ length: n }, (_, i) => `a${i}: product(id: "p${i}") { id }`).join(' ');
    const tooManyAliases = await gql(`{ ${aliases(40)} }`);
    expect(tooManyAliases.status).toBe(400);
    expect(tooManyAliases.body.errors?.[0]?.extensions?.code).toBe('TOO_MANY_ALIASES');
    expect(tooManyAliases.body.errors?.[0]?.message).toMatch(/more than \d+ aliases/);
    // 1,000 aliases used to end in graphql-js's "Validation aborted." with no reason; now a limit names itself.
    const thousand = await gql(`{ ${aliases(1000)} }`);
    expect(thousand.status).toBe(400);
    expect(thousand.body.errors?.[0]?.extensions?.code).toMatch(/^(TOO_MANY_TOKENS|TOO_MANY_ALIASES)$/);
    expect(thousand.body.errors?.[0]?.message).not.toMatch(/Validation aborted/);

    const tokens = `{ products { ${'id '.repeat(3000)}} }`;
    const tooManyTokens = await gql(tokens);
    expect(tooManyTokens.status).toBe(400);
    expect(tooManyTokens.body.errors?.[0]?.extensions?.code).toBe('TOO_MANY_TOKENS');
  });

  it('every Mini App operation in schema/operations passes the defaults', () => {
    const schema = buildSchema(readFileSync(join(ROOT, 'schema/api.graphql'), 'utf8'));
    const limiter = createQueryLimiter(queryLimitsFrom(loadConfig({})), () => schema);
    const document = parse(readFileSync(join(ROOT, 'schema/operations/miniapp.graphql'), 'utf8'));
    const fragments = document.definitions.filter((d) => d.kind === 'FragmentDefinition');
    const operations = document.definitions.filter((d) => d.kind === 'OperationDefinition');
    expect(operations.length).toBeGreaterThan(3);
    for (const operation of operations) {
      const text = print({ kind: document.kind, definitions: [operation, ...fragments] });
      expect(limiter.check(text, operation.name?.value, {}), operation.name?.value).toMatchObject({ ok: true });
    }
  });
});
