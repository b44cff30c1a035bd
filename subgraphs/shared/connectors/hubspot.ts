/**
 * HubSpot CRM v3 connector: contacts (looked up by the custom unique property
 * `telegram_user_id`), tickets, notes, associations. Reads by many ids go
 * through batch/read (≤ 100 per call) so a page of users costs one call.
 */
import { createConnector, UpstreamError } from '../connector.ts';
import type { Logger } from '../../../lib/logger.ts';

export interface HubSpotObject {
  id: string;
  properties: Record<string, string | null>;
  createdAt: string;
  updatedAt: string;
  archived?: boolean;
}
interface BatchResult {
  status: string;
  results: HubSpotObject[];
}
interface Page {
  results: HubSpotObject[];
  paging?: { next?: { after: string } };
}

export const CONTACT_PROPERTIES = [
  'email',
  'firstname',
  'lastname',
  'phone',
  'lifecyclestage',
  'telegram_user_id',
  'tma_tags',
  'hs_language',
  'tma_marketing_consent',
];
export const TICKET_PROPERTIES = ['subject', 'content', 'hs_pipeline', 'hs_pipeline_stage', 'telegram_user_id', 'createdate'];
export const BATCH_LIMIT = 100;
/** Values one `IN` search filter takes, and results one search page returns (EXTERNAL-APIS.md §6.2). */
export const SEARCH_IN_LIMIT = 100;
export const SEARCH_PAGE_LIMIT = 200;
/** Search has its own per-account budget (~4-5 requests/s) on top of the burst limit. */
export const SEARCH_PER_SECOND = 4;
/** Default HUBSPOT_DEFINED association type ids (EXTERNAL-APIS.md §6.3). */
export const ASSOCIATION_TYPE = { ticketToContact: 16, noteToContact: 202, noteToTicket: 228 } as const;

export interface Association {
  toId: string;
  typeId: number;
}
const inline = (associations: readonly Association[]) =>
  associations.map((a) => ({ to: { id: a.toId }, types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: a.typeId }] }));

export class HubSpotError extends Error {
  override name = 'HubSpotError';
  readonly status: number;
  readonly category: string | undefined;
  constructor(status: number, category: string | undefined, message: string) {
    super(message);
    this.status = status;
    this.category = category;
  }
}

export function createHubSpot(options: { baseUrl: string; token: string; log?: Logger; sandbox?: boolean }) {
  const connector = createConnector({
    service: 'hubspot',
    baseUrl: options.baseUrl,
    headers: { authorization: `Bearer ${options.token}` },
    log: options.log,
    sandbox: options.sandbox,
    // Private-app burst limit: 100 requests per rolling 10 s (the smallest plan).
    rateLimit: { points: 100, durationSeconds: 10 },
    // One search per 1/4 s rather than 4 per second: a fixed window would let 8 through around
    // its boundary, and HubSpot counts any second.
    buckets: { search: { points: 1, durationSeconds: 1 / SEARCH_PER_SECOND } },
    classify: ({ status, body }) => {
      if (status !== 429) return {};
      const policy = (body as { policyName?: string } | undefined)?.policyName;
      // A burst (10-second) limit clears quickly; a daily one does not: fail instead of waiting.
      return policy === 'DAILY' ? { retryable: false } : { retryable: true, retryAfterMs: 1_000 };
    },
  });

  async function call<T>(req: Parameters<typeof connector.request>[0]): Promise<T> {
    try {
      return (await connector.request<T>(req)).body;
    } catch (error) {
      if (error instanceof UpstreamError && error.status >= 400 && error.status < 500 && error.status !== 429) {
        const b = error.body as { message?: string; category?: string } | undefined;
        throw new HubSpotError(error.status, b?.category, b?.message ?? `HubSpot answered HTTP ${error.status}`);
      }
      throw error;
    }
  }

  async function batchRead(
    objectType: string,
    ids: readonly string[],
    properties: string[],
    idProperty?: string,
  ): Promise<HubSpotObject[]> {
    const out: HubSpotObject[] = [];
    for (let i = 0; i < ids.length; i += BATCH_LIMIT) {
      const inputs = ids.slice(i, i + BATCH_LIMIT).map((id) => ({ id }));
      const res = await call<BatchResult>({
        method: 'POST',
        path: `/crm/v3/objects/${objectType}/batch/read`,
        json: { inputs, properties, ...(idProperty ? { idProperty } : {}) },
        idempotent: true, // a read, even though it is a POST
      });
      out.push(...res.results);
    }
    return out;
  }

  return {
    contactsByTelegramIds: (userIds: readonly string[]) => batchRead('contacts', userIds, CONTACT_PROPERTIES, 'telegram_user_id'),
    contactsByIds: (ids: readonly string[]) => batchRead('contacts', ids, CONTACT_PROPERTIES),
    ticketsByIds: (ids: readonly string[]) => batchRead('tickets', ids, TICKET_PROPERTIES),
    notesByIds: (ids: readonly string[]) => batchRead('notes', ids, ['hs_note_body', 'hs_timestamp']),
    listContacts: (limit: number, after?: string) =>
      call<Page>({ method: 'GET', path: '/crm/v3/objects/contacts', query: { limit, after, properties: CONTACT_PROPERTIES.join(',') } }),
    /**
     * Tickets whose `telegram_user_id` is one of `userIds`, newest first: one search per 100 users
     * (the `IN` filter's limit), paged 200 at a time, each call within the search budget.
     */
    async ticketsOfUsers(userIds: readonly string[]): Promise<HubSpotObject[]> {
      const out: HubSpotObject[] = [];
      for (let i = 0; i < userIds.length; i += SEARCH_IN_LIMIT) {
        let after: string | undefined;
        do {
          const page: Page = await call<Page>({
            method: 'POST',
            path: '/crm/v3/objects/tickets/search',
            json: {
              filterGroups: [
                { filters: [{ propertyName: 'telegram_user_id', operator: 'IN', values: userIds.slice(i, i + SEARCH_IN_LIMIT) }] },
              ],
              sorts: [{ propertyName: 'createdate', direction: 'DESCENDING' }],
              properties: TICKET_PROPERTIES,
              limit: SEARCH_PAGE_LIMIT,
              ...(after ? { after } : {}),
            },
            idempotent: true,
            bucket: 'search',
          });
          out.push(...page.results);
          after = page.paging?.next?.after;
        } while (after);
      }
      return out;
    },
    /** The contact whose (unique) e-mail is `email`, if any: a batch read by idProperty, which, unlike search, sees new records at once. */
    contactByEmail: async (email: string) => (await batchRead('contacts', [email], CONTACT_PROPERTIES, 'email'))[0],
    createContact: (properties: Record<string, string>) =>
      call<HubSpotObject>({ method: 'POST', path: '/crm/v3/objects/contacts', json: { properties } }),
    updateContact: (id: string, properties: Record<string, string>) =>
      call<HubSpotObject>({
        method: 'PATCH',
        path: `/crm/v3/objects/contacts/${encodeURIComponent(id)}`,
        json: { properties },
        idempotent: true,
      }),
    /** Merges `mergedId` into `primaryId` (HubSpot keeps one record, associations included). */
    mergeContacts: (primaryId: string, mergedId: string) =>
      call<HubSpotObject>({
        method: 'POST',
        path: '/crm/v3/objects/contacts/merge',
        json: { primaryObjectId: primaryId, objectIdToMerge: mergedId },
      }),
    createTicket: (properties: Record<string, string>, associations: readonly Association[] = []) =>
      call<HubSpotObject>({ method: 'POST', path: '/crm/v3/objects/tickets', json: { properties, associations: inline(associations) } }),
    updateTicket: (id: string, properties: Record<string, string>) =>
      call<HubSpotObject>({
        method: 'PATCH',
        path: `/crm/v3/objects/tickets/${encodeURIComponent(id)}`,
        json: { properties },
        idempotent: true,
      }),
    createNote: (properties: Record<string, string>, associations: readonly Association[] = []) =>
      call<HubSpotObject>({ method: 'POST', path: '/crm/v3/objects/notes', json: { properties, associations: inline(associations) } }),
    associate: (fromType: string, fromId: string, toType: string, toId: string) =>
      call<unknown>({
        method: 'PUT',
        path: `/crm/v4/objects/${fromType}/${fromId}/associations/default/${toType}/${toId}`,
        idempotent: true,
      }),
    associatedIds: async (fromType: string, fromId: string, toType: string) => {
      const res = await call<{ results: { toObjectId: string | number }[] }>({
        method: 'GET',
        path: `/crm/v4/objects/${fromType}/${fromId}/associations/${toType}`,
      });
      return res.results.map((r) => String(r.toObjectId));
    },
    close: () => connector.close(),
  };
}
export type HubSpot = ReturnType<typeof createHubSpot>;
