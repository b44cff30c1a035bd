/** One endpoint, four subgraphs: the end-to-end query and each subgraph's resolvers over real HTTP. */
import { describe, expect, it } from 'vitest';
import { gql, stack } from './helpers/client.ts';
import { SEED_PRODUCTS } from '../sandbox/src/seed.ts';

const IVAN = '279058397';

describe('a query across all four subgraphs', () => {
  it('returns the caller, their payments, CRM record, activity and the catalog in one response', async () => {
    const res = await gql<{
      me: { id: string; firstName: string; payments: { edges: unknown[] }; customer: { email: string }; activity: { eventCount: number } };
      products: { id: string; title: string }[];
    }>(
      `{ me { id firstName payments { edges { node { id status } } } customer { email } activity { eventCount } }
         products { id title } }`,
      { userId: IVAN },
    );
    expect(res.status).toBe(200);
    expect(res.body.errors).toBeUndefined();
    const data = res.body.data!;
    expect(data.me.id).toBe(IVAN);
    expect(Array.isArray(data.me.payments.edges)).toBe(true);
    expect(data.me.customer.email).toMatch(/@/);
    expect(data.me.activity.eventCount).toBeGreaterThan(0);
    expect(data.products.map((p) => p.id).sort()).toEqual(SEED_PRODUCTS.map((p) => p.id).sort());
  });
});

describe('telegram subgraph', () => {
  it('me reflects the verified profile', async () => {
    const res = await gql<{ me: Record<string, unknown> }>('{ me { id firstName lastName username languageCode isPremium photoUrl } }', {
      initData: (await import('./helpers/client.ts')).initDataFor(100000001, {
        user: {
          first_name: 'Anna',
          last_name: 'K',
          username: 'anna_k',
          language_code: 'ru',
          is_premium: true,
          photo_url: 'https://t.me/i/userpic/1.svg',
        },
      }),
    });
    expect(res.body.data?.me).toEqual({
      id: '100000001',
      firstName: 'Anna',
      lastName: 'K',
      username: 'anna_k',
      languageCode: 'ru',
      isPremium: true,
      photoUrl: 'https://t.me/i/userpic/1.svg',
    });
  });

  it('user(id) is for operators only', async () => {
    const denied = await gql('{ user(id: "100000001") { id } }', { userId: IVAN });
    expect(denied.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const allowed = await gql<{ user: { id: string; firstName: string } }>('{ user(id: "100000001") { id firstName } }', {
      userId: stack().operatorId,
    });
    expect(allowed.body.data?.user?.id).toBe('100000001');
  });

  it('sendMessage goes to the caller through the Bot API; bad input is BAD_USER_INPUT', async () => {
    const sent = await gql<{ sendMessage: { messageId: string } }>('mutation { sendMessage(text: "hello") { messageId sentAt } }', {
      userId: IVAN,
    });
    expect(sent.body.errors).toBeUndefined();
    expect(sent.body.data?.sendMessage.messageId).toMatch(/^\d+$/);
    const empty = await gql('mutation { sendMessage(text: "   ") { messageId } }', { userId: IVAN });
    expect(empty.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});

describe('payments subgraph (read side)', () => {
  it('lists the catalog with prices in XTR and USD, and finds one product', async () => {
    const res = await gql<{
      products: { id: string; prices: { amount: number; currency: string }[] }[];
      product: { title: string } | null;
    }>(`{ products { id prices { amount currency } } product(id: "${SEED_PRODUCTS[0]!.id}") { title } }`);
    const first = res.body.data!.products.find((p) => p.id === SEED_PRODUCTS[0]!.id)!;
    expect(first.prices).toContainEqual({ amount: Number(SEED_PRODUCTS[0]!.metadata.stars_price), currency: 'XTR' });
    expect(first.prices.some((p) => p.currency === 'USD')).toBe(true);
    expect(res.body.data!.product?.title).toBe(SEED_PRODUCTS[0]!.name);
    const missing = await gql<{ product: null }>('{ product(id: "prod_nope") { id } }');
    expect(missing.body.data?.product).toBeNull();
  });

  it("a user cannot read another user's payments", async () => {
    const res = await gql(`{ me { id } payment(id: "pay_does_not_exist") { id } }`, { userId: IVAN });
    expect((res.body.data as { payment: unknown }).payment).toBeNull();
    const others = await gql('{ customers(first: 1) { edges { node { user { payments { edges { cursor } } } } } } }', { userId: IVAN });
    expect(others.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('rejects an out-of-range page size and a foreign cursor', async () => {
    const big = await gql('{ me { payments(first: 1000) { edges { cursor } } } }', { userId: IVAN });
    expect(big.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const cursor = await gql('{ me { payments(after: "%%%") { edges { cursor } } } }', { userId: IVAN });
    expect(cursor.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});

describe('crm subgraph', () => {
  it('User.customer maps the HubSpot contact', async () => {
    const res = await gql<{
      me: { customer: { id: string; email: string; tags: string[]; lifecycleStage: string; user: { id: string } } };
    }>('{ me { customer { id email tags lifecycleStage user { id } } } }', { userId: IVAN });
    const customer = res.body.data!.me.customer;
    expect(customer.user.id).toBe(IVAN);
    expect(Array.isArray(customer.tags)).toBe(true);
  });

  it('openTicket creates a ticket for the caller, visible in their tickets and by id', async () => {
    const opened = await gql<{ openTicket: { id: string; status: string; subject: string; user: { id: string } } }>(
      'mutation($input: OpenTicketInput!) { openTicket(input: $input) { id status subject user { id } } }',
      { userId: IVAN, variables: { input: { subject: 'Where is my hoodie?', body: 'Ordered a week ago.' } } },
    );
    expect(opened.body.errors).toBeUndefined();
    const ticket = opened.body.data!.openTicket;
    expect(ticket).toMatchObject({ status: 'OPEN', subject: 'Where is my hoodie?', user: { id: IVAN } });
    const byId = await gql<{ ticket: { id: string } | null }>(`{ ticket(id: "${ticket.id}") { id } }`, { userId: IVAN });
    expect(byId.body.data?.ticket?.id).toBe(ticket.id);
    const stranger = await gql<{ ticket: null }>(`{ ticket(id: "${ticket.id}") { id } }`, { userId: '100000002' });
    expect(stranger.body.data?.ticket).toBeNull();
    const invalid = await gql('mutation { openTicket(input: { subject: "", body: "x" }) { id } }', { userId: IVAN });
    expect(invalid.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it("a ticket resolves its user's payments and activity for an operator (support sees context)", async () => {
    const res = await gql<{
      ticket: { user: { id: string; firstName: string; payments: { edges: unknown[] }; activity: { eventCount: number } } };
    }>('{ ticket(id: "5001") { subject user { id firstName payments { edges { cursor } } activity { eventCount } } } }', {
      userId: stack().operatorId,
    });
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data!.ticket.user.id).toBe(IVAN);
    expect(res.body.data!.ticket.user.activity.eventCount).toBeGreaterThan(0);
  });

  it('customers and notes are for operators', async () => {
    const denied = await gql('{ customers { edges { cursor } } }', { userId: IVAN });
    expect(denied.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const page = await gql<{ customers: { edges: { node: { id: string } }[]; pageInfo: { hasNextPage: boolean; endCursor: string } } }>(
      '{ customers(first: 10) { edges { node { id } } pageInfo { hasNextPage endCursor } } }',
      { userId: stack().operatorId },
    );
    expect(page.body.data!.customers.edges).toHaveLength(10);
    expect(page.body.data!.customers.pageInfo.hasNextPage).toBe(true);
    const next = await gql<{ customers: { edges: { node: { id: string } }[] } }>(
      `{ customers(first: 10, after: "${page.body.data!.customers.pageInfo.endCursor}") { edges { node { id } } } }`,
      { userId: stack().operatorId },
    );
    const firstIds = new Set(page.body.data!.customers.edges.map((e) => e.node.id));
    expect(next.body.data!.customers.edges.some((e) => firstIds.has(e.node.id))).toBe(false);
    const customerId = page.body.data!.customers.edges[0]!.node.id;
    const note = await gql<{ addNote: { body: string } }>(
      `mutation { addNote(customerId: "${customerId}", body: "called back") { id body } }`,
      { userId: stack().operatorId },
    );
    expect(note.body.data?.addNote.body).toBe('called back');
    const notes = await gql<{ customer: { notes: { body: string }[] } }>(`{ customer(id: "${customerId}") { notes { body } } }`, {
      userId: stack().operatorId,
    });
    expect(notes.body.data?.customer.notes.map((n) => n.body)).toContain('called back');
  });
});

describe('analytics subgraph', () => {
  it('trackEvents deduplicates by insertId per user and counts into activity', async () => {
    const user = '100000040';
    const events = [
      { name: 'app_open', insertId: 'ins-1', properties: { platform: 'ios' } },
      { name: 'view_product', insertId: 'ins-2' },
      { name: 'view_product', insertId: 'ins-2' },
    ];
    const mutation = 'mutation($e: [AnalyticsEventInput!]!) { trackEvents(events: $e) { accepted duplicates } }';
    const first = await gql<{ trackEvents: { accepted: number; duplicates: number } }>(mutation, {
      userId: user,
      variables: { e: events },
    });
    expect(first.body.data?.trackEvents).toEqual({ accepted: 2, duplicates: 1 });
    const again = await gql<{ trackEvents: { accepted: number; duplicates: number } }>(mutation, {
      userId: user,
      variables: { e: events },
    });
    expect(again.body.data?.trackEvents).toEqual({ accepted: 0, duplicates: 3 });
    // The same insertId from another user is that user's own event.
    const other = await gql<{ trackEvents: { accepted: number } }>(mutation, { userId: '100000041', variables: { e: events.slice(0, 1) } });
    expect(other.body.data?.trackEvents.accepted).toBe(1);
    const activity = await gql<{ me: { activity: { eventCount: number; firstSeenAt: string; lastSeenAt: string } } }>(
      '{ me { activity { eventCount firstSeenAt lastSeenAt } } }',
      { userId: user },
    );
    expect(activity.body.data?.me.activity.eventCount).toBe(2);
    expect(Date.parse(activity.body.data!.me.activity.lastSeenAt)).toBeGreaterThan(Date.now() - 60_000);
  });

  it('validates events: bad timestamp, properties not an object, too old', async () => {
    const mutation = 'mutation($e: [AnalyticsEventInput!]!) { trackEvents(events: $e) { accepted } }';
    for (const bad of [
      { name: 'x', insertId: 'a1', timestamp: 'yesterday' },
      { name: 'x', insertId: 'a2', properties: [1, 2] },
      { name: 'x', insertId: 'a3', timestamp: new Date(Date.now() - 6 * 86_400_000).toISOString() },
      { name: '', insertId: 'a4' },
      { name: 'x', insertId: 'way-too-long-insert-id-0123456789abcdefghij' },
    ]) {
      const res = await gql(mutation, { userId: '100000042', variables: { e: [bad] } });
      expect(res.body.errors?.[0]?.extensions?.code, JSON.stringify(bad)).toBe('BAD_USER_INPUT');
    }
  });

  it('events are forwarded to Mixpanel and Amplitude asynchronously', async () => {
    const insertId = `fwd-${Date.now()}`;
    await gql('mutation($e: [AnalyticsEventInput!]!) { trackEvents(events: $e) { accepted } }', {
      userId: '100000043',
      variables: { e: [{ name: 'forward_me', insertId }] },
    });
    const { sandbox } = await import('./helpers/client.ts');
    const deadline = Date.now() + 10_000;
    let seen = { mixpanel: false, amplitude: false };
    while (Date.now() < deadline && !(seen.mixpanel && seen.amplitude)) {
      const mix = await sandbox.requests('mixpanel');
      const amp = await sandbox.requests('amplitude');
      seen = {
        mixpanel: mix.some((r) => JSON.stringify(r.body).includes(insertId)),
        amplitude: amp.some((r) => JSON.stringify(r.body).includes(insertId)),
      };
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(seen).toEqual({ mixpanel: true, amplitude: true });
  });

  it('funnel and retention are operator reports', async () => {
    const denied = await gql('{ funnel(steps: ["app_open", "purchase"]) { steps { name } } }', { userId: IVAN });
    expect(denied.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const res = await gql<{
      funnel: { steps: { name: string; users: number; conversion: number }[] };
      retention: { cohort: string; size: number; retained: number[] }[];
    }>(
      '{ funnel(steps: ["app_open", "view_product", "purchase"], from: "2026-09-01T00:00:00Z", to: "2026-12-31T00:00:00Z") { steps { name users conversion } } retention(days: 3, from: "2026-09-01T00:00:00Z", to: "2026-12-31T00:00:00Z") { cohort size retained } }',
      { userId: stack().operatorId },
    );
    expect(res.body.errors).toBeUndefined();
    const steps = res.body.data!.funnel.steps;
    expect(steps[0]!.users).toBeGreaterThan(0);
    expect(steps[0]!.conversion).toBe(1);
    expect(steps[2]!.users).toBeLessThanOrEqual(steps[1]!.users);
    expect(res.body.data!.retention.length).toBeGreaterThan(0);
    expect(res.body.data!.retention[0]!.retained[0]).toBe(1);
  });
});
