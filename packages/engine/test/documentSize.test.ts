// documentRetainedBytes, which bounds every cache of parsed documents (Apollo's document store, the
// operation cache), against the heap the documents really take: measured in a child process (heap
// after a full GC) for query shapes whose cost per character differs by 100x.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const MEASURE = `
import { parse } from 'graphql';
import { documentRetainedBytes } from '@tma/engine';
const fields = (n) => Array.from({ length: n }, (_, j) => 'f' + j + ': __typename').join(' ');
const shapes = {
  small: (i) => '{ a' + i + ': __typename b { c d { e f } } }',
  typical: (i) => 'fragment U on User { id username name } query Q' + i + ' { users { ...U reviews { id body product { upc name price weight } } } topProducts { upc name inStock } }',
  wide: (i) => 'query Q' + i + ' { ' + fields(300) + ' }',
  comment: (i) => 'query Q' + i + ' { me { id } } # ' + 'x'.repeat(20000),
  variables: (i) => 'query Q' + i + '($a: Int = 1, $b: [String!] = ["x", "y"], $c: Boolean! = true) { me @include(if: $c) { id } }',
};
const out = {};
for (const [name, make] of Object.entries(shapes)) {
  const docs = [];
  globalThis.gc();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < 1000; i++) docs.push(parse(make(i)));
  globalThis.gc();
  const measured = (process.memoryUsage().heapUsed - before) / docs.length;
  out[name] = { measured, estimated: documentRetainedBytes(docs[0]) };
}
console.log(JSON.stringify(out));
`;

describe('documentRetainedBytes', () => {
  it('is at least the heap a parsed document takes and at most 2.5 times it, for every query shape', () => {
    const engineDir = fileURLToPath(new URL('..', import.meta.url));
    const out = execFileSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', MEASURE], { cwd: engineDir, encoding: 'utf8' });
    const sizes = JSON.parse(out.trim().split('\n').at(-1)!) as Record<string, { measured: number; estimated: number }>;
    expect(Object.keys(sizes)).toHaveLength(5);
    for (const [shape, { measured, estimated }] of Object.entries(sizes)) {
      expect(measured, shape).toBeGreaterThan(1000);
      expect(estimated, `${shape}: estimated ${estimated} B, measured ${Math.round(measured)} B`).toBeGreaterThanOrEqual(measured);
      expect(estimated, `${shape}: estimated ${estimated} B, measured ${Math.round(measured)} B`).toBeLessThanOrEqual(2.5 * measured);
    }
  });
});
