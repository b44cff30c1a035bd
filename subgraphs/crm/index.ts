/**
 * The crm subgraph: HubSpot contacts as `Customer` (linked to Telegram users
 * by the contact property `telegram_user_id`), support tickets and notes.
 * HubSpot is the system of record; the subgraph's own store holds only the
 * inbox of HubSpot webhook events. Every lookup by many ids is one batch call
 * per request (DataLoader).
 */
import { defineSubgraph } from '../shared/subgraph.ts';
import { openDatabase, type Database } from '../shared/db.ts';
import { createHubSpot, type HubSpot } from '../shared/connectors/hubspot.ts';
import type { SubgraphContext } from '../shared/context.ts';
import { forbidden } from '../../lib/errors.ts';
import { crmResolvers } from './resolvers.ts';
import { createContactCache, type ContactCache } from './contactCache.ts';
import { createHubSpotInbox, CRM_MIGRATIONS, parseDelivery, type HubSpotInbox } from './webhookInbox.ts';

interface Services {
  hubspot: HubSpot;
  contacts: ContactCache;
  db: Database;
  inbox: HubSpotInbox;
  close(): Promise<void>;
}

/** Path the gateway hands verified HubSpot deliveries to (gateway/src/webhooks). */
export const HUBSPOT_WEBHOOK_ROUTE = '/internal/webhooks/hubspot';

export default defineSubgraph<Services>({
  name: 'crm',
  defaultPort: 4003,
  schemaUrl: new URL('./schema.graphql', import.meta.url),
  async createServices({ config, log }) {
    const hubspot = createHubSpot({ baseUrl: config.hubspot.baseUrl, token: config.hubspot.token, sandbox: config.hubspot.sandbox, log });
    const contacts = createContactCache(hubspot);
    const db = await openDatabase({
      name: 'crm',
      dataDir: config.dataDir,
      databaseUrl: config.DATABASE_URL,
      migrations: CRM_MIGRATIONS,
      log,
    });
    const inbox = createHubSpotInbox({ db, hubspot, contacts, log });
    await inbox.recover().catch((error: unknown) => log.error({ err: error }, 'hubspot inbox recovery failed'));
    return {
      hubspot,
      contacts,
      db,
      inbox,
      async close() {
        await hubspot.close();
        await db.close();
      },
    };
  },
  resolvers: () => crmResolvers,
  routes: (services) => ({
    [HUBSPOT_WEBHOOK_ROUTE]: async (body: unknown, ctx: SubgraphContext<Services>) => {
      if (!ctx.identity.roles.includes('system')) {
        return {
          status: 403,
          body: { errors: [{ message: forbidden('Webhook hand-off is for the gateway only').message, extensions: { code: 'FORBIDDEN' } }] },
        };
      }
      const delivery = parseDelivery(body);
      if (!delivery.ok) return { status: 400, body: { error: delivery.reason } };
      return { status: 200, body: await services.inbox.receive(delivery.events) };
    },
  }),
});
