/**
 * Writes a type-stripped copy of every TypeScript module the servers load
 * (node_modules/.cache/tma-stripped/<path>.js), for bin/precompiled.mjs.
 * Runs on `npm install` (postinstall); safe to run again at any time.
 * Stripping is what Node does at run time (strip mode: types become
 * whitespace, so line and column numbers of stack traces stay the same).
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { stripTypeScriptTypes } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const cacheDir = join(root, 'node_modules/.cache/tma-stripped');
const SOURCE_DIRS = ['gateway', 'lib', 'packages', 'subgraphs', 'sandbox', 'scripts'];

function* typeScriptFiles(dir: string): Generator<string> {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules' && entry.name !== 'test' && !entry.name.startsWith('.')) yield* typeScriptFiles(path);
    } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') && !entry.name.endsWith('.test.ts')) {
      yield path;
    }
  }
}

rmSync(cacheDir, { recursive: true, force: true });
let written = 0;
let skipped = 0;
for (const dir of SOURCE_DIRS) {
  for (const file of typeScriptFiles(join(root, dir))) {
    let code: string;
    try {
      code = stripTypeScriptTypes(readFileSync(file, 'utf8'), { mode: 'strip' });
    } catch {
      skipped++; // not strippable (Node would refuse it too): left to Node at run time
      continue;
    }
    const copy = join(cacheDir, `${relative(root, file)}.js`);
    mkdirSync(dirname(copy), { recursive: true });
    writeFileSync(copy, code);
    written++;
  }
}
console.log(`precompile: ${written} modules type-stripped into ${relative(root, cacheDir)}${skipped ? ` (${skipped} left to Node)` : ''}`);
