// The shaper's own checks of Int, Float and ID values give isValidLeafValue's answer
// (@apollo/federation-internals, which the shaper called for every leaf before).
import { describe, expect, it } from 'vitest';
import { isValidLeafValue, loadSupergraph } from '../src/apollo.ts';
import { isValidFloat, isValidId, isValidInt } from '../src/leafValues.ts';
import { compose, SUBGRAPH_DEFS } from './fixtures/subgraphs.ts';

const urls = Object.fromEntries(Object.keys(SUBGRAPH_DEFS).map((n, i) => [n, `http://127.0.0.1:${4900 + i}/graphql`]));
const { apiSchema } = loadSupergraph(compose(SUBGRAPH_DEFS, urls), { validate: false });

const values: unknown[] = [
  0,
  -0,
  1,
  -1,
  42,
  2 ** 31,
  -(2 ** 31) - 1,
  2 ** 53,
  2 ** 53 + 2,
  1e20,
  123456789012345680000,
  999999999999999900000,
  999999999999999868928,
  -999999999999999868928,
  1e21,
  -1e21,
  1e22,
  1.5,
  -0.5,
  1e-7,
  5e-324,
  Number.MAX_VALUE,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  '',
  '1',
  'abc',
  '1.5',
  true,
  false,
  null,
  undefined,
  {},
  [],
  [1],
  10n,
];

describe('built-in scalar values (leafValues.ts)', () => {
  for (const [name, check, type] of [
    ['Int', isValidInt, apiSchema.intType()],
    ['Float', isValidFloat, apiSchema.floatType()],
    ['ID', isValidId, apiSchema.idType()],
  ] as const) {
    it(`${name}: the same answer as isValidLeafValue for every kind of value`, () => {
      for (const v of values) {
        expect(check(v), `${name} ${typeof v} ${String(v)}`).toBe(isValidLeafValue(apiSchema, v, type as never));
      }
    });
  }
});
