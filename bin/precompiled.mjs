// Preload (`node --import ./bin/precompiled.mjs`): serves this repository's
// TypeScript modules from the type-stripped copies `npm install` wrote
// (scripts/precompile.ts), so the process never loads Node's TypeScript
// stripper. Type stripping at run time costs about 17 MB of memory for the
// life of the process (the stripper's bundle and its WebAssembly), which a
// gateway with a memory budget cannot spare. A module without a fresh copy (a
// file edited since, a new file) is stripped by Node as usual: the copy is an
// optimisation, never a source of stale code.
import { readFileSync, statSync } from 'node:fs';
import { registerHooks } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const cacheDir = `${root}node_modules/.cache/tma-stripped/`;

const hooks = registerHooks({
  load(url, context, nextLoad) {
    if (url.startsWith('file:') && url.endsWith('.ts') && context.format === 'module-typescript') {
      const file = fileURLToPath(url);
      if (file.startsWith(root) && !file.includes('/node_modules/')) {
        const copy = `${cacheDir}${file.slice(root.length)}.js`;
        try {
          if (statSync(copy).mtimeMs >= statSync(file).mtimeMs)
            return { format: 'module', source: readFileSync(copy, 'utf8'), shortCircuit: true };
        } catch {
          // no copy: Node strips the file itself
        }
      }
    }
    return nextLoad(url, context);
  },
});

// Registered hooks slow every later require() of the process, builtins included (Node runs the hook
// chain for each): Apollo Server requires 'crypto' for the query hash of every request, which cost
// ~1 % of the gateway's CPU under the federation benchmark's load. A server calls this once it has
// loaded what it needs (lib/precompiledModules.ts); a module imported after that is stripped by Node.
globalThis[Symbol.for('tma.precompiled.stop')] = () => hooks.deregister();
