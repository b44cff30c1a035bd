import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // Node loads graphql's CommonJS build (the package has no exports map); Vite would pick its ESM build
    // for test code. Two graphql instances cannot share schemas, so tests use the one Node uses.
    alias: [{ find: /^graphql$/, replacement: createRequire(import.meta.url).resolve('graphql') }],
  },
  test: {
    include: ['test/**/*.test.ts', 'packages/*/test/**/*.test.ts'],
    globalSetup: ['test/setup/global.ts'],
    testTimeout: 30_000,
    hookTimeout: 300_000, // stacks of PGlite subgraphs start slowly while the rest of the suite runs on 2 cores
    pool: 'forks',
    maxWorkers: 2,
  },
});
