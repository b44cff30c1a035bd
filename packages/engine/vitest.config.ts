// Engine tests are self-contained (own fixture subgraphs + both gateways in
// process on 127.0.0.1): `npm test -w @tma/engine`. The root suite runs
// them too; the engine loads graphql through require() (src/graphql.ts), so
// they pass under either config.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: new URL('.', import.meta.url).pathname,
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 1,
  },
});
