/**
 * A query touching 50 users: entity resolution and per-user lookups go
 * through per-request DataLoaders, so each external service sees batched
 * calls, counted in the sandbox's request journal. Other test files use the
 * same stack at the same time: every count here is scoped to what came after
 * this test's journal mark and names this test's 50 contacts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gql, sandbox, stack, type JournalEntry } from './helpers/client.ts';
import { startCountingProxy, type CountingProxy } from './helpers/countingProxy.ts';
import { startExtraGateway, type ExtraGateway } from './helpers/gateway.ts';

const FAN_OUT = `{
  customers(first: 50) {
    edges { node { id email user { id firstName customer { id } tickets { id } activity { eventCount } payments(first: 5) { edges { cursor } } } } }
  }
}`;

interface FanOut {
  customers: {
    edges: {
      node: {
        id: string;
        user: {
          id: string;
          firstName: string;
          customer: { id: string } | null;
          activity: { eventCount: number };
          payments: { edges: unknown[] };
        } | null;
      };
    }[];
  };
}

/** How many of `ids` the entry's path or body names. */
const namesOf = (entry: JournalEntry, ids: readonly string[]) => {
  const text = entry.path + JSON.stringify(entry.body ?? '');
  return ids.filter((id) => text.includes(`"${id}"`) || entry.path.endsWith(`/${id}`)).length;
};

describe('batching across 50 users', () => {
  it('makes one HubSpot batch read for 50 customers, and no per-user Telegram calls once users are known', async () => {
    const mark = await sandbox.mark();
    const first = await gql<FanOut>(FAN_OUT, { userId: stack().operatorId });
    expect(first.body.errors).toBeUndefined();
    const edges = first.body.data!.customers.edges;
    expect(edges).toHaveLength(50);
    for (const { node } of edges) {
      expect(node.user?.customer?.id).toBe(node.id);
      expect(node.user?.firstName).toBeTruthy();
    }
    const contactIds = edges.map((e) => e.node.id);
    const userIds = edges.map((e) => e.node.user!.id);

    const hubspot = await sandbox.requests('hubspot', { after: mark });
    // The crm subgraph's contact cache (30 s) may already know the few contacts other test files touched;
    // every other one is fetched in the same single batch read, never one call per contact.
    // (contacts are read by their telegram_user_id property, tickets searched by it)
    const ourBatchReads = hubspot.filter((r) => r.path.endsWith('/contacts/batch/read') && namesOf(r, userIds) > 40);
    expect(ourBatchReads).toHaveLength(1);
    const perContactReads = hubspot.filter((r) => r.method === 'GET' && contactIds.some((id) => r.path.endsWith(`/contacts/${id}`)));
    expect(perContactReads).toHaveLength(0);
    expect(hubspot.filter((r) => r.path.endsWith('/tickets/search') && namesOf(r, userIds) > 40)).toHaveLength(1);
    // The Bot API has no batch user lookup: unknown users cost one getChat each — once per user, never twice.
    const chatIds = (await sandbox.requests('telegram', { after: mark }))
      .filter((r) => /getChat$/i.test(r.path))
      .map((r) => String((r.body as { chat_id: number }).chat_id))
      .filter((id) => userIds.includes(id));
    expect(new Set(chatIds).size).toBe(chatIds.length);

    const markAgain = await sandbox.mark();
    const again = await gql<FanOut>(FAN_OUT, { userId: stack().operatorId });
    expect(again.body.data).toEqual(first.body.data);
    const hubspotAgain = await sandbox.requests('hubspot', { after: markAgain });
    expect(hubspotAgain.filter((r) => r.path.endsWith('/contacts/batch/read') && namesOf(r, userIds) > 40)).toHaveLength(0);
    const telegramAgain = (await sandbox.requests('telegram', { after: markAgain })).filter((r) => /getChat$/i.test(r.path));
    expect(telegramAgain.filter((r) => userIds.includes(String((r.body as { chat_id: number }).chat_id)))).toHaveLength(0);
  });

  describe('gateway side', () => {
    // A gateway of its own, reaching the User subgraphs through counting proxies: what it sent is observable.
    const USER_SUBGRAPHS = ['telegram', 'payments', 'analytics'] as const;
    const proxies = new Map<string, CountingProxy>();
    let gw: ExtraGateway;
    beforeAll(async () => {
      for (const name of USER_SUBGRAPHS) proxies.set(name, await startCountingProxy(stack().subgraphUrls[name]));
      gw = await startExtraGateway(Object.fromEntries(USER_SUBGRAPHS.map((n) => [`SUBGRAPH_URL_${n.toUpperCase()}`, proxies.get(n)!.url])));
    }, 120_000);
    afterAll(async () => {
      await gw?.stop();
      for (const p of proxies.values()) await p.close();
    });

    it('resolves the 50 User entities with one _entities request per subgraph', async () => {
      const res = await gql<FanOut>(FAN_OUT, { userId: stack().operatorId, url: gw.url });
      expect(res.body.errors).toBeUndefined();
      const users = res.body.data!.customers.edges.map((e) => e.node.user);
      expect(users).toHaveLength(50);
      for (const user of users) {
        expect(user).not.toBeNull();
        expect(Number.isInteger(user!.activity.eventCount)).toBe(true);
        expect(Array.isArray(user!.payments.edges)).toBe(true);
      }
      for (const name of USER_SUBGRAPHS) {
        const entityFetches = proxies.get(name)!.operations.filter((body) => body.includes('_entities'));
        expect({ name, entityFetches: entityFetches.length }).toEqual({ name, entityFetches: 1 });
        // the representations variable(s) of that one request (Hive's batched fetches name them per alias)
        const variables = (JSON.parse(entityFetches[0]!) as { variables: Record<string, unknown> }).variables;
        const representations = Object.values(variables).filter(Array.isArray).flat();
        expect(representations.length).toBeGreaterThanOrEqual(50);
      }
    });
  });
});
