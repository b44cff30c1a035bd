// Engine tests are self-contained (own fixture subgraphs + both gateways in
// process): they do not need the repo-wide global stack setup.
//   npx vitest run --config test/engine/vitest.config.ts
//
// `graphql` is pinned to its CommonJS entry: plain Node resolves `graphql`
// (no "exports" map) to index.js for ESM and CJS alike, while Vite's resolver
// would pick index.mjs for our sources and create a second graphql instance
// next to the one used by @apollo/* (instanceof / "another realm" failures).
import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

export default defineConfig({
  resolve: {
    alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }],
  },
  test: {
    root: new URL('../..', import.meta.url).pathname,
    include: ['test/engine/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 1,
  },
});
