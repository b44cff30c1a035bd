import type { SubgraphContext } from '../shared/context.ts';
import { canSeeUser, requireOperator, requireUser, isOperator } from '../shared/context.ts';
import { decodeCursor, encodeCursor, pageSize } from '../shared/paging.ts';
import { ASSOCIATION_TYPE, HubSpotError, type HubSpot } from '../shared/connectors/hubspot.ts';
import { badInput, forbidden, notFound } from '../../lib/errors.ts';
import { OPEN_STAGE, STATUS_TO_STAGE, toCustomer, toTicket, type Customer, type Ticket, type TicketStatus } from './model.ts';
import { ensureContact, parseUpsertInput, upsertContact } from './upsert.ts';
import type { ContactCache } from './contactCache.ts';
import type { Resolvers } from './generated/resolvers.ts';

type Ctx = SubgraphContext<{ hubspot: HubSpot; contacts: ContactCache }>;

function customerByUserLoader(ctx: Ctx) {
  return ctx.loaders.get<string, Customer | null>('crm.customerByUser', (userIds) => ctx.services.contacts.byTelegramIds(userIds));
}

function customerByIdLoader(ctx: Ctx) {
  return ctx.loaders.get<string, Customer | null>('crm.customerById', async (ids) => {
    const contacts = await ctx.services.hubspot.contactsByIds(ids);
    const byId = new Map(contacts.map((c) => [c.id, toCustomer(c)]));
    return ids.map((id) => byId.get(id) ?? null);
  });
}

function ticketByIdLoader(ctx: Ctx) {
  return ctx.loaders.get<string, Ticket | null>('crm.ticketById', async (ids) => {
    const tickets = await ctx.services.hubspot.ticketsByIds(ids);
    const byId = new Map(tickets.map((t) => [t.id, toTicket(t)]));
    return ids.map((id) => byId.get(id) ?? null);
  });
}

function ticketsByUserLoader(ctx: Ctx) {
  return ctx.loaders.get<string, Ticket[]>('crm.ticketsByUser', async (userIds) => {
    const tickets = await ctx.services.hubspot.ticketsOfUsers(userIds);
    const byUser = new Map<string, Ticket[]>(userIds.map((id) => [id, []]));
    for (const t of tickets.map(toTicket)) byUser.get(t.userId)?.push(t);
    return userIds.map((id) => byUser.get(id) ?? []);
  });
}

const visibleCustomer = (ctx: Ctx, c: Customer | null) =>
  c && (isOperator(ctx) || (c.userId !== null && c.userId === ctx.identity.userId)) ? c : null;
const visibleTicket = (ctx: Ctx, t: Ticket | null) => (t && canSeeUser(ctx, t.userId) ? t : null);

/** The user a customer write is for: the caller, or for operators any user they name. */
function targetUser(ctx: Ctx, requested: string | null | undefined): string {
  const caller = requireUser(ctx);
  if (!requested || requested === caller) return caller;
  if (!isOperator(ctx)) throw forbidden("Only operators can write another user's customer record");
  return requested;
}

async function noteOn(ctx: Ctx, body: string, associations: { toId: string; typeId: number }[]) {
  const note = await ctx.services.hubspot.createNote({ hs_note_body: body, hs_timestamp: new Date().toISOString() }, associations);
  return { id: note.id, body, createdAt: new Date(note.createdAt).toISOString() };
}

function requireLength(value: string, field: string, min: number, max: number): string {
  const v = value.trim();
  if (v.length < min || v.length > max) throw badInput(`\`${field}\` must be ${min}-${max} characters`, field);
  return v;
}

export const crmResolvers: Resolvers<Ctx> = {
  Query: {
    async customers(_: unknown, args: { first?: number | null; after?: string | null }, ctx: Ctx) {
      requireOperator(ctx);
      const first = pageSize(args.first);
      const after = decodeCursor(args.after);
      const page = await ctx.services.hubspot.listContacts(first, after);
      const customers = page.results.map(toCustomer);
      const next = page.paging?.next?.after;
      // HubSpot pages with its own opaque token: `pageInfo.endCursor` wraps it, and is what `after` takes.
      return {
        edges: customers.map((node) => ({ cursor: encodeCursor(`contact:${node.id}`), node })),
        pageInfo: { hasNextPage: Boolean(next), endCursor: next ? encodeCursor(next) : null },
      };
    },
    async customer(_: unknown, args: { id: string }, ctx: Ctx) {
      requireOperator(ctx);
      return customerByIdLoader(ctx).load(args.id);
    },
    async ticket(_: unknown, args: { id: string }, ctx: Ctx) {
      requireUser(ctx);
      return visibleTicket(ctx, await ticketByIdLoader(ctx).load(args.id));
    },
  },
  Mutation: {
    async upsertCustomer(_: unknown, args: { input: unknown }, ctx: Ctx) {
      const input = parseUpsertInput(args.input);
      const userId = targetUser(ctx, input.userId);
      const { contact, written } = await upsertContact(ctx.services.hubspot, userId, input);
      const customer = toCustomer(contact);
      // me.customer must show the change at once, not after the cache's 30 s.
      ctx.services.contacts.remember(customer);
      ctx.log.info({ userId, contactId: customer.id, written }, 'customer upserted');
      return customer;
    },
    async openTicket(_: unknown, args: { input: { subject: string; body: string } }, ctx: Ctx) {
      const userId = requireUser(ctx);
      const subject = requireLength(args.input.subject, 'subject', 1, 200);
      const body = requireLength(args.input.body, 'body', 1, 10_000);
      let customer = await customerByUserLoader(ctx).load(userId);
      if (!customer) {
        // A ticket without a customer is invisible from the contact in HubSpot: make a minimal one.
        customer = toCustomer(await ensureContact(ctx.services.hubspot, userId));
        ctx.services.contacts.remember(customer);
      }
      // Created already associated (inline associations): there is no moment the ticket has no customer.
      const created = await ctx.services.hubspot.createTicket(
        {
          subject,
          content: body,
          hs_pipeline: '0',
          hs_pipeline_stage: OPEN_STAGE,
          hs_ticket_priority: 'MEDIUM',
          telegram_user_id: userId,
        },
        [{ toId: customer.id, typeId: ASSOCIATION_TYPE.ticketToContact }],
      );
      return toTicket(created);
    },
    async setTicketStatus(_: unknown, args: { id: string; status: TicketStatus }, ctx: Ctx) {
      requireOperator(ctx);
      const stage = STATUS_TO_STAGE[args.status];
      if (!stage) throw badInput(`Unknown status ${String(args.status)}`, 'status');
      try {
        return toTicket(await ctx.services.hubspot.updateTicket(args.id, { hs_pipeline_stage: stage }));
      } catch (error) {
        if (error instanceof HubSpotError && error.status === 404) throw notFound(`No ticket ${args.id}`);
        throw error;
      }
    },
    async addNote(_: unknown, args: { customerId: string; body: string }, ctx: Ctx) {
      requireOperator(ctx);
      const body = requireLength(args.body, 'body', 1, 65_536);
      const customer = await customerByIdLoader(ctx).load(args.customerId);
      if (!customer) throw notFound(`No customer ${args.customerId}`);
      return noteOn(ctx, body, [{ toId: customer.id, typeId: ASSOCIATION_TYPE.noteToContact }]);
    },
    async addTicketNote(_: unknown, args: { ticketId: string; body: string }, ctx: Ctx) {
      requireOperator(ctx);
      const body = requireLength(args.body, 'body', 1, 65_536);
      const ticket = await ticketByIdLoader(ctx).load(args.ticketId);
      if (!ticket) throw notFound(`No ticket ${args.ticketId}`);
      // On the ticket and on its customers, so the note shows on the contact's timeline too.
      const contactIds = await ctx.services.hubspot.associatedIds('tickets', ticket.id, 'contacts');
      return noteOn(ctx, body, [
        { toId: ticket.id, typeId: ASSOCIATION_TYPE.noteToTicket },
        ...contactIds.map((toId) => ({ toId, typeId: ASSOCIATION_TYPE.noteToContact })),
      ]);
    },
  },
  Customer: {
    async __resolveReference(ref: { id: string }, ctx: Ctx) {
      return visibleCustomer(ctx, await customerByIdLoader(ctx).load(ref.id));
    },
    user: (c: Customer) => (c.userId ? { __typename: 'User', id: c.userId } : null),
    async notes(c: Customer, _: unknown, ctx: Ctx) {
      if (!isOperator(ctx)) throw forbidden('Operators only (OPERATOR_USER_IDS)');
      try {
        const ids = await ctx.services.hubspot.associatedIds('contacts', c.id, 'notes');
        if (ids.length === 0) return [];
        const notes = await ctx.services.hubspot.notesByIds(ids);
        return notes
          .map((n) => ({
            id: n.id,
            body: n.properties.hs_note_body ?? '',
            createdAt: new Date(n.properties.hs_timestamp ?? n.createdAt).toISOString(),
          }))
          .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
      } catch (error) {
        if (error instanceof HubSpotError && error.status === 404) return [];
        throw error;
      }
    },
  },
  Ticket: {
    async __resolveReference(ref: { id: string }, ctx: Ctx) {
      return visibleTicket(ctx, await ticketByIdLoader(ctx).load(ref.id));
    },
    user: (t: Ticket) => ({ __typename: 'User', id: t.userId }),
  },
  User: {
    async customer(user: { id: string }, _: unknown, ctx: Ctx) {
      if (!canSeeUser(ctx, user.id)) throw forbidden("Only the user themself or an operator can read a user's customer record");
      return customerByUserLoader(ctx).load(user.id);
    },
    async tickets(user: { id: string }, _: unknown, ctx: Ctx) {
      if (!canSeeUser(ctx, user.id)) throw forbidden("Only the user themself or an operator can read a user's tickets");
      return ticketsByUserLoader(ctx).load(user.id);
    },
  },
};
