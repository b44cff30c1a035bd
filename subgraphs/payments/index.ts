/**
 * The payments subgraph: the product catalog (Stripe), the payment ledger
 * (own database), and payment flows for Telegram Stars, Stripe and TON.
 */
import { defineSubgraph } from '../shared/subgraph.ts';
import { openDatabase, type Database } from '../shared/db.ts';
import { createStripe, type Stripe } from '../shared/connectors/stripe.ts';
import { createCatalog } from './catalog.ts';
import { createLedger, LEDGER_MIGRATIONS } from './ledger.ts';
import { readResolvers, type PaymentsServices } from './resolvers.ts';

interface Services extends PaymentsServices {
  db: Database;
  stripe: Stripe;
  close(): Promise<void>;
}

export default defineSubgraph<Services>({
  name: 'payments',
  defaultPort: 4002,
  schemaUrl: new URL('./schema.graphql', import.meta.url),

  async createServices({ config, log }) {
    const db = await openDatabase({ name: 'payments', dataDir: config.dataDir, databaseUrl: config.DATABASE_URL, migrations: LEDGER_MIGRATIONS, log });
    const stripe = createStripe({ baseUrl: config.stripe.baseUrl, secretKey: config.stripe.secretKey, log });
    return {
      db,
      stripe,
      catalog: createCatalog(stripe),
      ledger: createLedger(db),
      async close() {
        await stripe.close();
        await db.close();
      },
    };
  },

  resolvers: () => readResolvers,
});
