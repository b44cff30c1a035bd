// The engine's fence, checked on its sources: configuration comes from
// options only (no environment reads, no process-wide V8 flags), and Apollo's
// non-public modules are imported by the one adapter file only.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
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

describe('generated code', () => {
  it('a process that disallows code generation from strings gets a clear error when it creates the engine', () => {
    // result shaping is compiled into generated functions (src/shape.ts); the check runs before the supergraph is read
    const script = `import('@tma/engine').then((m) => m.createFastGateway({ supergraphSdl: '' })).then(
      () => console.log('created'),
      (e) => console.log(e.message),
    );`;
    const out = execFileSync(process.execPath, ['--disallow-code-generation-from-strings', '--input-type=module', '-e', script], {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      encoding: 'utf8',
    });
    expect(out).toMatch(/disallows code generation from strings/);
  });
});
