/**
 * The production launcher runs node with V8's side-effect-free JSON.stringify
 * (--json-stringify-fast-path: behind a flag in Node 24, the default from Node 25;
 * gateway/src/jsonSerializer.ts). Every response, subgraph request and log line goes
 * through JSON.stringify, so the flag may change its speed and nothing else: the same
 * corpus (the spec's tricky values by hand, then seeded random trees: lone surrogates,
 * escapes, two-byte and cons strings, -0, holes, toJSON, getters, proxies, cycles, BigInt)
 * is stringified by a node with and a node without it, and every output must be the same.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { jsonStringifyFastPath } from '../gateway/src/jsonSerializer.ts';

const CORPUS = join(resolve(import.meta.dirname), 'fixtures/jsonCorpus.mjs');
const FLAG = '--json-stringify-fast-path';
const knowsFlag = spawnSync(process.execPath, [FLAG, '-e', '']).status === 0;

describe('V8 fast JSON.stringify (the launcher flag)', () => {
  it.skipIf(!knowsFlag)('writes the same JSON as the classic serializer, value for value', { timeout: 120_000 }, () => {
    const corpus = (flags: string[]) =>
      execFileSync(process.execPath, [...flags, CORPUS, '3000'], { encoding: 'utf8', maxBuffer: 64 << 20 });
    const classic = corpus(['--no-json-stringify-fast-path']).split('\n');
    const fast = corpus([FLAG]).split('\n');
    expect(Number(classic[0])).toBeGreaterThan(3000);
    expect(fast.length).toBe(classic.length);
    const differing = classic.flatMap((line, i) => (fast[i] === line ? [] : [i]));
    expect(differing).toEqual([]);
  });

  it('the gateway tells the engine which serializer runs: the flag, its negation, else the V8 version', () => {
    expect(jsonStringifyFastPath('13.6.233.17-node.53', [])).toBe(false); // Node 24 as it starts
    expect(jsonStringifyFastPath('13.6.233.17-node.53', ['--max-old-space-size=192', FLAG])).toBe(true);
    expect(jsonStringifyFastPath('12.4.254.21-node.33', [])).toBe(false); // Node 22
    expect(jsonStringifyFastPath('13.8.1', [])).toBe(true);
    expect(jsonStringifyFastPath('14.1.146.11-node.25', [])).toBe(true); // Node 25
    expect(jsonStringifyFastPath('14.1.146.11-node.25', ['--no-json-stringify-fast-path'])).toBe(false);
    expect(jsonStringifyFastPath('13.6.233.17-node.53', [FLAG, '--no-json-stringify-fast-path'])).toBe(false);
  });
});
