// bin/precompiled.mjs serves the type-stripped copies written on install, so
// servers never load Node's TypeScript stripper, and never serves a stale copy.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');
const DIR = `.tmp-precompiled-${process.pid}`;
const SOURCE = join(ROOT, DIR, 'probe.ts');
const COPY = join(ROOT, 'node_modules/.cache/tma-stripped', DIR, 'probe.ts.js');
// amaro is Node's TypeScript stripper: in moduleLoadList once Node has stripped a file
const REPORT = `console.log(JSON.stringify({ from: FROM, stripperLoaded: process.moduleLoadList.some((m) => m.includes('amaro')) }));`;

function run(): { from: string; stripperLoaded: boolean } {
  const out = execFileSync(process.execPath, ['--import', join(ROOT, 'bin/precompiled.mjs'), SOURCE], { cwd: ROOT, encoding: 'utf8' });
  return JSON.parse(out.trim());
}

describe('precompiled TypeScript (bin/precompiled.mjs)', () => {
  afterAll(() => {
    rmSync(join(ROOT, DIR), { recursive: true, force: true });
    rmSync(join(ROOT, 'node_modules/.cache/tma-stripped', DIR), { recursive: true, force: true });
  });

  it('loads the stripped copy when it is fresh, without the TypeScript stripper', () => {
    mkdirSync(join(ROOT, DIR), { recursive: true });
    writeFileSync(SOURCE, `const FROM: string = 'source';\n${REPORT}\n`);
    mkdirSync(resolve(COPY, '..'), { recursive: true });
    writeFileSync(COPY, `const FROM         = 'copy';\n${REPORT}\n`);
    const past = new Date(Date.now() - 60_000);
    utimesSync(SOURCE, past, past);
    expect(run()).toEqual({ from: 'copy', stripperLoaded: false });
  });

  it('loads the source when it changed after the copy was written', () => {
    const future = new Date(Date.now() + 60_000);
    utimesSync(SOURCE, future, future);
    expect(run()).toEqual({ from: 'source', stripperLoaded: true });
  });

  it('serves no copy once a server has stopped it (lib/precompiledModules.ts): later modules load from source', () => {
    const later = join(ROOT, DIR, 'later.ts');
    writeFileSync(later, `export const FROM: string = 'source';\n`);
    writeFileSync(join(resolve(COPY, '..'), 'later.ts.js'), `export const FROM         = 'copy';\n`);
    const past = new Date(Date.now() - 60_000);
    utimesSync(later, past, past);
    const load = (stop: boolean) =>
      execFileSync(
        process.execPath,
        [
          '--import',
          join(ROOT, 'bin/precompiled.mjs'),
          '--input-type=module',
          '-e',
          `const { stopServingPrecompiledModules } = await import('./lib/precompiledModules.ts');
           ${stop ? 'stopServingPrecompiledModules();' : ''}
           console.log((await import(${JSON.stringify(later)})).FROM);`,
        ],
        { cwd: ROOT, encoding: 'utf8' },
      )
        .trim()
        .split('\n')
        .at(-1);
    expect(load(false)).toBe('copy');
    expect(load(true)).toBe('source');
  });

  it('the install step wrote a copy of every server module (the gateway starts without the stripper)', () => {
    const out = execFileSync(
      process.execPath,
      [
        '--import',
        join(ROOT, 'bin/precompiled.mjs'),
        '--input-type=module',
        '-e',
        `await import('./gateway/src/server.ts'); await import('./subgraphs/shared/subgraph.ts'); console.log(process.moduleLoadList.some((m) => m.includes('amaro')));`,
      ],
      { cwd: ROOT, encoding: 'utf8' },
    );
    expect(out.trim().split('\n').at(-1)).toBe('false');
  });
});
