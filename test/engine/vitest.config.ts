// Engine tests are self-contained (own fixture subgraphs + both gateways in
// process): they do not need the repo-wide global stack setup.
//   npx vitest run --config test/engine/vitest.config.ts
// (They also pass under the root config; the engine loads graphql through
// require(), see gateway/src/engine/graphql.ts.)
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: new URL('../..', import.meta.url).pathname,
    include: ['test/engine/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 1,
  },
});
