/**
 * What a partner runs in their own project: graphql-codegen against the
 * published contract (schema/public.graphql), typing their operations.
 *   npx graphql-codegen --config examples/partner/codegen.ts
 */
import type { CodegenConfig } from '@graphql-codegen/cli';

const config: CodegenConfig = {
  overwrite: true,
  schema: 'schema/public.graphql',
  documents: ['examples/partner/operations.graphql'],
  generates: {
    'examples/partner/generated/operations.ts': {
      plugins: ['typescript', 'typescript-operations'],
      config: { useTypeImports: true, enumsAsTypes: true, onlyOperationTypes: true, avoidOptionals: true },
    },
  },
};

export default config;
