/**
 * CRM writes and limits, over real HTTP against the sandbox's HubSpot:
 * upsertCustomer (idempotent, merge by e-mail, validation, operators), tickets
 * that belong to their customer (status, notes on the contact's timeline), and
 * batch chunking for 250 users in one query (HubSpot calls counted).
 */
import { randomInt } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { gql, sandbox, stack } from './helpers/client.ts';
import { SANDBOX_CREDENTIALS } from '../sandbox/src/credentials.ts';
import { createInternalTokenSigner } from '../lib/internalToken.ts';

/** Fresh Telegram ids per run: the sandbox is shared by the whole test run. */
const newUser = () => String(700_000_000 + randomInt(0, 99_999_999));

const UPSERT = `mutation ($input: UpsertCustomerInput!) {
  upsertCustomer(input: $input) { id email phone firstName lastName language marketingConsent tags user { id } }
}`;
const MY_CUSTOMER = '{ me { customer { id email firstName tags marketingConsent } } }';

interface CustomerData {
  id: string;
  email: string | null;
  firstName: string | null;
  tags: string[];
  marketingConsent: boolean | null;
  user?: { id: string };
}

async function upsert(userId: string, input: Record<string, unknown>) {
  return gql<{ upsertCustomer: CustomerData }>(UPSERT, { userId, variables: { input } });
}

/** Calls the sandbox's HubSpot directly, as HubSpot's own UI or a web form would change it. */
async function hubspotApi<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(`${stack().sandboxUrl}/hubspot${path}`, {
    method,
    headers: { authorization: `Bearer ${SANDBOX_CREDENTIALS.hubspotToken}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json().catch(() => undefined)) as T };
}

/** Journal entries that mention `needle` in their body or path: other test files share the sandbox. */
async function hubspotCallsAbout(needle: string) {
  return (await sandbox.requests('hubspot')).filter((e) => e.path.includes(needle) || JSON.stringify(e.body ?? '').includes(needle));
}
const isWrite = (e: { method: string; path: string }) =>
  (e.method === 'POST' && /\/objects\/contacts$/.test(e.path)) || e.method === 'PATCH' || e.path.endsWith('/merge');

describe('upsertCustomer', () => {
  it('creates the contact once; the same input again writes nothing; me.customer shows it at once', async () => {
    const user = newUser();
    const before = await gql<{ me: { customer: CustomerData | null } }>(MY_CUSTOMER, { userId: user });
    expect(before.body.data?.me.customer).toBeNull(); // cached as "no contact" now

    const input = {
      email: `Anna.${user}@Example.com`,
      firstName: 'Anna',
      tags: ['vip', 'beta', 'vip'],
      marketingConsent: true,
      language: 'pt-BR',
    };
    const first = await upsert(user, input);
    expect(first.body.errors).toBeUndefined();
    expect(first.body.data!.upsertCustomer).toMatchObject({
      email: `anna.${user}@example.com`,
      firstName: 'Anna',
      tags: ['beta', 'vip'],
      marketingConsent: true,
      language: 'pt-BR',
      user: { id: user },
    });
    const second = await upsert(user, input);
    expect(second.body.data!.upsertCustomer.id).toBe(first.body.data!.upsertCustomer.id);

    const writes = (await hubspotCallsAbout(user)).filter(isWrite);
    expect(writes).toHaveLength(1);
    expect(writes[0]).toMatchObject({ method: 'POST', status: 201 });

    const after = await gql<{ me: { customer: CustomerData } }>(MY_CUSTOMER, { userId: user });
    expect(after.body.data?.me.customer).toMatchObject({
      id: first.body.data!.upsertCustomer.id,
      firstName: 'Anna',
      marketingConsent: true,
    });

    // A change is one PATCH of just that property; null clears.
    const changed = await upsert(user, { ...input, firstName: 'Anya', marketingConsent: null });
    expect(changed.body.data!.upsertCustomer).toMatchObject({ firstName: 'Anya', marketingConsent: null });
    const patches = (await hubspotCallsAbout(first.body.data!.upsertCustomer.id)).filter((e) => e.method === 'PATCH');
    expect(patches).toHaveLength(1);
    expect(patches[0]!.body).toEqual({ properties: { firstname: 'Anya', tma_marketing_consent: '' } });
    const seen = await gql<{ me: { customer: CustomerData } }>(MY_CUSTOMER, { userId: user });
    expect(seen.body.data?.me.customer.firstName).toBe('Anya');
  });

  it('finds a contact known only by e-mail and makes it the user\u2019s (no duplicate)', async () => {
    const user = newUser();
    const email = `web.${user}@example.com`;
    const web = await hubspotApi<{ id: string }>('POST', '/crm/v3/objects/contacts', { properties: { email, firstname: 'Web' } });
    expect(web.status).toBe(201);
    const res = await upsert(user, { email: email.toUpperCase(), lastName: 'Form' });
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data!.upsertCustomer).toMatchObject({ id: web.body.id, email, firstName: 'Web', user: { id: user } });
    // No contact was created for the user (the e-mail form's contact was, without a Telegram id).
    const creates = (await hubspotCallsAbout(user)).filter((e) => e.method === 'POST' && /\/objects\/contacts$/.test(e.path));
    expect(creates.map((e) => (e.body as { properties: Record<string, string> }).properties.telegram_user_id)).toEqual([undefined]);
    const byTelegram = await hubspotApi<{ id: string }>('GET', `/crm/v3/objects/contacts/${user}?idProperty=telegram_user_id`);
    expect(byTelegram.body.id).toBe(web.body.id);
  });

  it('merges an e-mail duplicate into the user\u2019s own contact', async () => {
    const user = newUser();
    const own = await upsert(user, { firstName: 'Own' });
    const email = `dup.${user}@example.com`;
    const web = await hubspotApi<{ id: string }>('POST', '/crm/v3/objects/contacts', { properties: { email, phone: '+1 555 0100' } });
    const res = await upsert(user, { email });
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data!.upsertCustomer).toMatchObject({
      id: own.body.data!.upsertCustomer.id,
      email,
      phone: '+1 555 0100',
      firstName: 'Own',
    });
    const merged = await hubspotApi<{ archived: boolean }>('GET', `/crm/v3/objects/contacts/${web.body.id}?archived=true`);
    expect(merged.body.archived).toBe(true);
  });

  it('refuses an e-mail that belongs to another Telegram user, naming the field', async () => {
    const a = newUser();
    const b = newUser();
    await upsert(a, { email: `taken.${a}@example.com` });
    const res = await upsert(b, { email: `taken.${a}@example.com` });
    expect(res.body.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', field: 'email' });
  });

  it('validation errors name the field', async () => {
    const user = newUser();
    for (const [input, field] of [
      [{ email: 'not-an-email' }, 'email'],
      [{ phone: 'call me' }, 'phone'],
      [{ language: 'english please' }, 'language'],
      [{ firstName: '' }, 'firstName'],
      [{ tags: ['ok', 'a;b'] }, 'tags.1'],
    ] as const) {
      const res = await upsert(user, input);
      expect(res.body.errors?.[0]?.extensions, JSON.stringify(input)).toMatchObject({ code: 'BAD_USER_INPUT', field });
    }
    expect((await hubspotCallsAbout(user)).filter(isWrite)).toHaveLength(0);
  });

  it('operators write anyone\u2019s record; users only their own', async () => {
    const user = newUser();
    const other = newUser();
    const denied = await upsert(user, { userId: other, firstName: 'X' });
    expect(denied.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const done = await upsert(stack().operatorId, { userId: other, firstName: 'Set by support' });
    expect(done.body.data!.upsertCustomer).toMatchObject({ firstName: 'Set by support', user: { id: other } });
    const seen = await gql<{ me: { customer: CustomerData } }>(MY_CUSTOMER, { userId: other });
    expect(seen.body.data?.me.customer.firstName).toBe('Set by support');
  });
});

describe('tickets belong to their customer', () => {
  it('openTicket creates a minimal contact when needed and associates the ticket; operators set status and add notes', async () => {
    const user = newUser();
    const opened = await gql<{ openTicket: { id: string; status: string } }>(
      'mutation ($input: OpenTicketInput!) { openTicket(input: $input) { id status } }',
      { userId: user, variables: { input: { subject: 'Card declined', body: 'Twice today.' } } },
    );
    expect(opened.body.errors).toBeUndefined();
    const ticketId = opened.body.data!.openTicket.id;
    const contact = await hubspotApi<{ id: string; properties: Record<string, string | null> }>(
      'GET',
      `/crm/v3/objects/contacts/${user}?idProperty=telegram_user_id`,
    );
    expect(contact.status).toBe(200);
    const links = await hubspotApi<{ results: { toObjectId: number }[] }>(
      'GET',
      `/crm/v4/objects/tickets/${ticketId}/associations/contacts`,
    );
    expect(links.body.results.map((r) => String(r.toObjectId))).toEqual([contact.body.id]);

    const operator = stack().operatorId;
    const denied = await gql(`mutation { setTicketStatus(id: "${ticketId}", status: CLOSED) { id } }`, { userId: user });
    expect(denied.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const closed = await gql<{ setTicketStatus: { status: string } }>(
      `mutation { setTicketStatus(id: "${ticketId}", status: CLOSED) { status } }`,
      { userId: operator },
    );
    expect(closed.body.data?.setTicketStatus.status).toBe('CLOSED');
    const mine = await gql<{ me: { tickets: { id: string; status: string }[] } }>('{ me { tickets { id status } } }', { userId: user });
    expect(mine.body.data?.me.tickets).toEqual([{ id: ticketId, status: 'CLOSED' }]);
    const missing = await gql('mutation { setTicketStatus(id: "999999999", status: OPEN) { id } }', { userId: operator });
    expect(missing.body.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');

    const note = await gql<{ addTicketNote: { id: string } }>(
      `mutation { addTicketNote(ticketId: "${ticketId}", body: "Refunded the second charge") { id } }`,
      { userId: operator },
    );
    expect(note.body.errors).toBeUndefined();
    // On the contact's timeline (note ↔ contact) and on the ticket.
    const timeline = await gql<{ customer: { notes: { body: string }[] } }>(`{ customer(id: "${contact.body.id}") { notes { body } } }`, {
      userId: operator,
    });
    expect(timeline.body.data?.customer.notes.map((n) => n.body)).toEqual(['Refunded the second charge']);
    const onTicket = await hubspotApi<{ results: { toObjectId: number }[] }>(
      'GET',
      `/crm/v4/objects/tickets/${ticketId}/associations/notes`,
    );
    expect(onTicket.body.results.map((r) => String(r.toObjectId))).toEqual([note.body.data!.addTicketNote.id]);
  });

  it('a second ticket of the same user reuses the contact', async () => {
    const user = newUser();
    const open = (subject: string) =>
      gql<{ openTicket: { id: string } }>('mutation ($input: OpenTicketInput!) { openTicket(input: $input) { id } }', {
        userId: user,
        variables: { input: { subject, body: 'x' } },
      });
    const t1 = (await open('one')).body.data!.openTicket.id;
    const t2 = (await open('two')).body.data!.openTicket.id;
    const contacts = (await hubspotCallsAbout(user)).filter((e) => e.method === 'POST' && /\/objects\/contacts$/.test(e.path));
    expect(contacts).toHaveLength(1);
    const [a, b] = await Promise.all(
      [t1, t2].map((id) => hubspotApi<{ results: { toObjectId: number }[] }>('GET', `/crm/v4/objects/tickets/${id}/associations/contacts`)),
    );
    expect(a!.body.results[0]!.toObjectId).toBe(b!.body.results[0]!.toObjectId);
  });
});

describe('within HubSpot limits', () => {
  it('250 users in one query: contacts in batch reads of ≤ 100, tickets in searches of ≤ 100 ids', async () => {
    const base = 800_000_000 + randomInt(0, 99_000_000);
    const ids = Array.from({ length: 250 }, (_, i) => String(base + i));
    const token = await createInternalTokenSigner(stack().internalJwtSecret)({
      userId: stack().operatorId,
      roles: ['operator'],
      audience: 'miniapp',
    });
    // What the gateway sends the crm subgraph for a list of 250 users: one _entities call.
    const res = await fetch(stack().subgraphUrls.crm, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({
        query: 'query ($r: [_Any!]!) { _entities(representations: $r) { ... on User { id customer { id } tickets { id } } } }',
        variables: { r: ids.map((id) => ({ __typename: 'User', id })) },
      }),
    });
    const body = (await res.json()) as { data?: { _entities: { id: string; customer: unknown; tickets: unknown[] }[] }; errors?: unknown };
    expect(body.errors).toBeUndefined();
    expect(body.data!._entities).toHaveLength(250);

    // Other test files share the sandbox: count only the calls that carry our ids.
    const ours = (await sandbox.requests('hubspot')).filter((e) => ids.some((id) => JSON.stringify(e.body ?? '').includes(`"${id}"`)));
    const reads = ours.filter((e) => e.path === '/crm/v3/objects/contacts/batch/read');
    const searches = ours.filter((e) => e.path === '/crm/v3/objects/tickets/search');
    const readSizes = reads.map((e) => (e.body as { inputs: unknown[] }).inputs.length).sort((a, b) => b - a);
    const searchSizes = searches
      .map((e) => (e.body as { filterGroups: { filters: { values: unknown[] }[] }[] }).filterGroups[0]!.filters[0]!.values.length)
      .sort((a, b) => b - a);
    expect(readSizes).toEqual([100, 100, 50]);
    expect(searchSizes).toEqual([100, 100, 50]);
  });
});
