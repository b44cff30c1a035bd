/**
 * graphql-codegen (`npm run codegen`, artefacts committed; a test fails when stale):
 * - resolver types per subgraph, federation-aware (`subgraphs/<name>/generated/resolvers.ts`);
 * - the typed Mini App client from schema/operations/*.graphql against the composed API
 *   schema, with the persisted-documents manifest (sha256, the APQ hash) the gateway
 *   loads to enforce trusted documents (`schema/client/persisted-documents.json`).
 */
import type { CodegenConfig } from '@graphql-codegen/cli';

const SUBGRAPHS = ['telegram', 'payments', 'crm', 'analytics'] as const;

const resolverTypes = Object.fromEntries(
  SUBGRAPHS.map((name) => [
    `subgraphs/${name}/generated/resolvers.ts`,
    {
      schema: `subgraphs/${name}/schema.graphql`,
      plugins: ['typescript', 'typescript-resolvers'],
      config: {
        federation: true,
        useTypeImports: true,
        enumsAsTypes: true,
        contextType: '../../shared/context.ts#SubgraphContext<any>',
        scalars: { JSON: 'unknown' },
        avoidOptionals: false,
        useIndexSignature: true,
      },
    },
  ]),
);

const config: CodegenConfig = {
  overwrite: true,
  generates: {
    ...resolverTypes,
    'schema/client/': {
      schema: 'schema/api.graphql',
      documents: ['schema/operations/*.graphql'],
      preset: 'client',
      presetConfig: {
        fragmentMasking: false,
        persistedDocuments: { mode: 'embedHashInDocument', hashAlgorithm: 'sha256' },
      },
      config: { useTypeImports: true, enumsAsTypes: true, scalars: { JSON: 'unknown' } },
    },
  },
};

export default config;
