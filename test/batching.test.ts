/**
 * A query touching 50 users: entity resolution and per-user lookups go
 * through per-request DataLoaders, so each external service sees batched
 * calls, counted in the sandbox's request journal.
 */
import { describe, expect, it } from 'vitest';
import { gql, sandbox, stack } from './helpers/client.ts';

const FAN_OUT = `{
  customers(first: 50) {
    edges { node { id email user { id firstName customer { id } tickets { id } activity { eventCount } payments(first: 5) { edges { cursor } } } } }
  }
}`;

interface FanOut {
  customers: { edges: { node: { id: string; user: { id: string; firstName: string; customer: { id: string } | null; activity: { eventCount: number } } | null } }[] };
}

describe('batching across 50 users', () => {
  it('makes one HubSpot batch read for 50 customers, and no per-user Telegram calls once users are known', async () => {
    await sandbox.clear();
    const first = await gql<FanOut>(FAN_OUT, { userId: stack().operatorId });
    expect(first.body.errors).toBeUndefined();
    const edges = first.body.data!.customers.edges;
    expect(edges).toHaveLength(50);
    for (const { node } of edges) {
      expect(node.user?.customer?.id).toBe(node.id);
      expect(node.user?.firstName).toBeTruthy();
    }
    const hubspot = await sandbox.requests('hubspot');
    const batchReads = hubspot.filter((r) => r.path.endsWith('/contacts/batch/read'));
    // The crm subgraph's contact cache (30 s) may already know the few users other test files touched;
    // every other one is fetched in the same single batch read, never one call per user.
    expect(batchReads).toHaveLength(1);
    expect((batchReads[0]!.body as { inputs: unknown[] }).inputs.length).toBeGreaterThan(40);
    expect(hubspot.filter((r) => r.path.endsWith('/tickets/search'))).toHaveLength(1);
    // list contacts (the root field) + one batch read + one ticket search: not 50 of anything.
    expect(hubspot).toHaveLength(3);
    // The Bot API has no batch user lookup: unknown users cost one getChat each — once per user, never twice.
    const chatIds = (await sandbox.requests('telegram')).filter((r) => /getChat$/i.test(r.path)).map((r) => String((r.body as { chat_id: number }).chat_id));
    expect(new Set(chatIds).size).toBe(chatIds.length);

    await sandbox.clear();
    const again = await gql<FanOut>(FAN_OUT, { userId: stack().operatorId });
    expect(again.body.data).toEqual(first.body.data);
    const hubspotAgain = await sandbox.requests('hubspot');
    expect(hubspotAgain.filter((r) => r.path.endsWith('/contacts/batch/read'))).toHaveLength(0);
    expect(await sandbox.requests('telegram')).toHaveLength(0);
  });

  it('resolves 50 User entities per subgraph in one subgraph request each (gateway side)', async () => {
    // The federation plan sends one _entities request per subgraph with all 50 representations;
    // the subgraph resolves them with one SQL query (payments, analytics, telegram directory).
    const res = await gql<FanOut>(FAN_OUT, { userId: stack().operatorId });
    const counts = res.body.data!.customers.edges.map((e) => e.node.user?.activity.eventCount ?? -1);
    expect(counts.every((n) => n >= 0)).toBe(true);
  });
});
