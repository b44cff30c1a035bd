/** HubSpot records → the crm subgraph's GraphQL shapes. */
import type { HubSpotObject } from '../shared/connectors/hubspot.ts';

export interface Customer {
  id: string;
  email: string | null;
  phone: string | null;
  firstName: string | null;
  lastName: string | null;
  language: string | null;
  marketingConsent: boolean | null;
  lifecycleStage: string | null;
  tags: string[];
  userId: string | null;
}

export type TicketStatus = 'OPEN' | 'IN_PROGRESS' | 'WAITING' | 'CLOSED';

export interface Ticket {
  id: string;
  subject: string;
  body: string | null;
  status: TicketStatus;
  createdAt: string;
  userId: string;
}

/** Default HubSpot support pipeline stage ids → our statuses. */
const STAGE_TO_STATUS: Record<string, TicketStatus> = { '1': 'OPEN', '2': 'IN_PROGRESS', '3': 'WAITING', '4': 'CLOSED' };
export const OPEN_STAGE = '1';
export const STATUS_TO_STAGE = Object.fromEntries(Object.entries(STAGE_TO_STATUS).map(([stage, status]) => [status, stage])) as Record<
  TicketStatus,
  string
>;

/** Tags travel as one `;`-separated HubSpot property. */
export const TAG_SEPARATOR = ';';

export function toCustomer(contact: HubSpotObject): Customer {
  const p = contact.properties;
  return {
    id: contact.id,
    email: p.email ?? null,
    phone: p.phone ?? null,
    firstName: p.firstname ?? null,
    lastName: p.lastname ?? null,
    language: p.hs_language ?? null,
    marketingConsent: p.tma_marketing_consent ? p.tma_marketing_consent === 'true' : null,
    lifecycleStage: p.lifecyclestage ?? null,
    tags: (p.tma_tags ?? '')
      .split(TAG_SEPARATOR)
      .map((t) => t.trim())
      .filter(Boolean),
    userId: p.telegram_user_id ?? null,
  };
}

export function toTicket(ticket: HubSpotObject): Ticket {
  const p = ticket.properties;
  return {
    id: ticket.id,
    subject: p.subject ?? '',
    body: p.content ?? null,
    status: STAGE_TO_STATUS[p.hs_pipeline_stage ?? ''] ?? 'OPEN',
    createdAt: new Date(p.createdate ?? ticket.createdAt).toISOString(),
    userId: p.telegram_user_id ?? '',
  };
}
