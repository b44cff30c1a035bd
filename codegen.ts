/**
 * graphql-codegen (`npm run codegen`, artefacts committed; a test fails when stale):
 * - resolver types per subgraph, federation-aware (`subgraphs/<name>/generated/resolvers.ts`);
 * - the typed Mini App client from schema/operations/*.graphql against the composed API
 *   schema, with the persisted-documents manifest (sha256, the APQ hash) the gateway
 *   loads to enforce trusted documents (`schema/client/persisted-documents.json`).
 */
import { DEFER_DIRECTIVE_SDL } from './lib/deferDirective.ts';
import type { CodegenConfig } from '@graphql-codegen/cli';

const SUBGRAPHS = ['telegram', 'payments', 'crm', 'analytics'] as const;

/** What resolvers really pass around for a GraphQL type (their parent values), per subgraph. */
const MAPPERS: Record<(typeof SUBGRAPHS)[number], Record<string, string>> = {
  telegram: { User: '../users.ts#UserRecord as UserRecordModel' },
  // Entities owned elsewhere travel as references: `{ id }` (plus __typename when returned).
  payments: {
    Product: '../catalog.ts#Product as ProductModel',
    Payment: '../ledger.ts#PaymentRecord as PaymentModel',
    User: '../../shared/context.ts#EntityRef',
  },
  crm: {
    Customer: '../model.ts#Customer as CustomerModel',
    Ticket: '../model.ts#Ticket as TicketModel',
    User: '../../shared/context.ts#EntityRef',
  },
  analytics: { User: '../../shared/context.ts#EntityRef' },
};

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
        mappers: MAPPERS[name],
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
      // The gateway accepts @defer (incremental delivery, README "Realtime"); the composed API schema does not declare it.
      schema: ['schema/api.graphql', DEFER_DIRECTIVE_SDL],
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
