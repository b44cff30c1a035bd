/**
 * The crm subgraph: HubSpot contacts as `Customer` (linked to Telegram users
 * by the contact property `telegram_user_id`), support tickets and notes.
 * Stateless: HubSpot is the system of record. Every lookup by many ids is one
 * batch call per request (DataLoader).
 */
import { defineSubgraph } from '../shared/subgraph.ts';
import { createHubSpot, type HubSpot } from '../shared/connectors/hubspot.ts';
import { crmResolvers } from './resolvers.ts';
import { createContactCache, type ContactCache } from './contactCache.ts';

interface Services {
  hubspot: HubSpot;
  contacts: ContactCache;
  close(): Promise<void>;
}

export default defineSubgraph<Services>({
  name: 'crm',
  defaultPort: 4003,
  schemaUrl: new URL('./schema.graphql', import.meta.url),
  async createServices({ config, log }) {
    const hubspot = createHubSpot({ baseUrl: config.hubspot.baseUrl, token: config.hubspot.token, sandbox: config.hubspot.sandbox, log });
    return { hubspot, contacts: createContactCache(hubspot), close: () => hubspot.close() };
  },
  resolvers: () => crmResolvers,
});
