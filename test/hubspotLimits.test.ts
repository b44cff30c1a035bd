/**
 * The HubSpot connector in live mode against a local fake HubSpot: batch reads
 * go 100 ids a call, ticket searches 100 user ids a call and follow paging,
 * and searches keep to the per-second search budget (4/s), checked on the
 * fake's arrival times with a bound that machine load cannot break.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { createHubSpot, SEARCH_PER_SECOND } from '../subgraphs/shared/connectors/hubspot.ts';
import { closeServer, readBody } from '../lib/http/io.ts';

let server: Server;
let baseUrl: string;
const calls: { path: string; at: number; body: Record<string, unknown> }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    void (async () => {
      const body = JSON.parse((await readBody(req)) || '{}') as Record<string, unknown>;
      const path = req.url!.split('?')[0]!;
      calls.push({ path, at: performance.now(), body });
      res.writeHead(200, { 'content-type': 'application/json' });
      if (path.endsWith('/batch/read')) {
        const inputs = body.inputs as { id: string }[];
        res.end(
          JSON.stringify({
            status: 'COMPLETE',
            results: inputs.map((i) => ({ id: `c${i.id}`, properties: { telegram_user_id: i.id }, createdAt: '', updatedAt: '' })),
          }),
        );
        return;
      }
      // Search: the first page of every query has a next page.
      const values = (body.filterGroups as { filters: { values: string[] }[] }[])[0]!.filters[0]!.values;
      const page = body.after ? 2 : 1;
      res.end(
        JSON.stringify({
          total: 2,
          results: [{ id: `t${values[0]}-${page}`, properties: { telegram_user_id: values[0] }, createdAt: '', updatedAt: '' }],
          ...(page === 1 ? { paging: { next: { after: '1' } } } : {}),
        }),
      );
    })();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const address = server.address();
  baseUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});
afterAll(() => closeServer(server));

describe('HubSpot connector limits (live mode)', () => {
  it('chunks 250 users into batch reads and searches of at most 100, paged, within the search budget', async () => {
    const hubspot = createHubSpot({ baseUrl, token: 'pat-test', sandbox: false });
    const ids = Array.from({ length: 250 }, (_, i) => String(1000 + i));
    const contacts = await hubspot.contactsByTelegramIds(ids);
    expect(contacts).toHaveLength(250);
    const tickets = await hubspot.ticketsOfUsers(ids);
    expect(tickets).toHaveLength(6); // 3 searches × 2 pages

    const reads = calls.filter((c) => c.path.endsWith('/batch/read'));
    expect(reads.map((c) => (c.body.inputs as unknown[]).length)).toEqual([100, 100, 50]);
    const searches = calls.filter((c) => c.path.endsWith('/search'));
    expect(searches).toHaveLength(6);
    expect(searches.map((c) => (c.body.filterGroups as { filters: { values: unknown[] }[] }[])[0]!.filters[0]!.values.length)).toEqual([
      100, 100, 100, 100, 50, 50,
    ]);
    // Searches go one after another (each waits for its answer), so search i has arrived before search i+1 is
    // sent; the budget spaces sends 1/4 s apart. Hence search i+4 arrives more than 3/4 s after search i, however
    // loaded the machine (load only delays, and a delayed arrival of i also delays the send of i+1). Without the
    // budget they would be milliseconds apart.
    const spacing = 1000 / SEARCH_PER_SECOND;
    for (let i = 0; i + SEARCH_PER_SECOND < searches.length; i++) {
      expect(searches[i + SEARCH_PER_SECOND]!.at - searches[i]!.at).toBeGreaterThan((SEARCH_PER_SECOND - 1) * spacing);
    }
    await hubspot.close();
  });
});
