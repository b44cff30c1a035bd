// The engine's fence, checked on its sources: configuration comes from
// options only (no environment reads, no process-wide V8 flags), and Apollo's
// non-public modules are imported by the one adapter file only.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const SRC = new URL('../src/', import.meta.url);
const sources = readdirSync(SRC)
  .filter((f) => f.endsWith('.ts'))
  .map((f) => ({ file: f, text: readFileSync(new URL(f, SRC), 'utf8') }));

describe('engine fence', () => {
  it('has sources to check', () => {
    expect(sources.map((s) => s.file)).toContain('index.ts');
  });

  it('reads no environment variables and sets no V8 flags', () => {
    for (const { file, text } of sources) {
      expect(text, file).not.toMatch(/process\.env|setFlagsFromString|node:v8/);
    }
  });

  it('imports @apollo/federation-internals and @apollo/query-planner only in src/apollo.ts', () => {
    const offenders = sources.filter(
      ({ file, text }) => file !== 'apollo.ts' && /['"]@apollo\/(federation-internals|query-planner)['"]/.test(text),
    );
    expect(offenders.map((s) => s.file)).toEqual([]);
  });
});
