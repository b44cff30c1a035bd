/**
 * Analytics over the real stack: a user deletes their analytics data (gone
 * here at once, then deleted at Mixpanel and Amplitude through their privacy
 * APIs in the sandbox), and operators read daily active users.
 */
import { randomInt, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { gql, sandbox, stack } from './helpers/client.ts';
import { waitFor as until } from './helpers/poll.ts';

const TRACK = 'mutation ($e: [AnalyticsEventInput!]!) { trackEvents(events: $e) { accepted } }';
const DELETE = 'mutation { deleteMyAnalyticsData { deletedEvents queuedAt } }';

describe('deleteMyAnalyticsData', () => {
  it('removes the caller\u2019s events here and asks Mixpanel and Amplitude to delete theirs', async () => {
    const user = String(500_000_000 + randomInt(0, 99_999_999));
    const tracked = await gql<{ trackEvents: { accepted: number } }>(TRACK, {
      userId: user,
      variables: {
        e: [
          { name: 'app_open', insertId: randomUUID() },
          { name: 'purchase', insertId: randomUUID() },
        ],
      },
    });
    expect(tracked.body.data?.trackEvents.accepted).toBe(2);
    const before = await gql<{ me: { activity: { eventCount: number } } }>('{ me { activity { eventCount } } }', { userId: user });
    expect(before.body.data?.me.activity.eventCount).toBe(2);

    const deleted = await gql<{ deleteMyAnalyticsData: { deletedEvents: number; queuedAt: string[] } }>(DELETE, { userId: user });
    expect(deleted.body.errors).toBeUndefined();
    expect(deleted.body.data?.deleteMyAnalyticsData).toEqual({ deletedEvents: 2, queuedAt: ['mixpanel', 'amplitude'] });
    const after = await gql<{ me: { activity: { eventCount: number; firstSeenAt: string | null } } }>(
      '{ me { activity { eventCount firstSeenAt } } }',
      { userId: user },
    );
    expect(after.body.data?.me.activity).toEqual({ eventCount: 0, firstSeenAt: null });

    const mixpanel = await until(async () => {
      const calls = (await sandbox.requests('mixpanel')).filter(
        (e) => e.path === '/api/app/data-deletions/v3.0/' && JSON.stringify(e.body).includes(`"${user}"`),
      );
      return calls.length > 0 ? calls : undefined;
    }, 'the Mixpanel GDPR deletion');
    expect(mixpanel[0]).toMatchObject({ method: 'POST', status: 200, body: { compliance_type: 'GDPR' } });
    const amplitude = await until(async () => {
      const calls = (await sandbox.requests('amplitude')).filter(
        (e) => e.path === '/api/2/deletions/users' && JSON.stringify(e.body).includes(`"${user}"`),
      );
      return calls.length > 0 ? calls : undefined;
    }, 'the Amplitude user deletion');
    expect(amplitude[0]).toMatchObject({ method: 'POST', status: 200 });

    // Asking again is harmless: nothing left here, the destinations are asked again.
    const again = await gql<{ deleteMyAnalyticsData: { deletedEvents: number } }>(DELETE, { userId: user });
    expect(again.body.data?.deleteMyAnalyticsData.deletedEvents).toBe(0);
    const anonymous = await gql(DELETE);
    expect(anonymous.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });
});

describe('dailyActiveUsers', () => {
  it('counts distinct users per UTC day, operators only', async () => {
    const user = String(510_000_000 + randomInt(0, 9_999_999));
    const today = new Date().toISOString().slice(0, 10);
    const query = `{ dailyActiveUsers(from: "${today}T00:00:00Z", to: "${today}T23:59:59Z") { day users } }`;
    const denied = await gql(query, { userId: user });
    expect(denied.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const before = await gql<{ dailyActiveUsers: { day: string; users: number }[] }>(query, { userId: stack().operatorId });
    expect(before.body.data?.dailyActiveUsers).toHaveLength(1);
    await gql(TRACK, {
      userId: user,
      variables: {
        e: [
          { name: 'app_open', insertId: randomUUID() },
          { name: 'app_open', insertId: randomUUID() },
        ],
      },
    });
    // The report is cacheable for a minute; the operator's own mutation is what invalidates their cache.
    await gql(TRACK, { userId: stack().operatorId, variables: { e: [{ name: 'report_viewed', insertId: randomUUID() }] } });
    const after = await gql<{ dailyActiveUsers: { day: string; users: number }[] }>(query, { userId: stack().operatorId });
    expect(after.body.data?.dailyActiveUsers[0]!.day).toBe(today);
    expect(after.body.data!.dailyActiveUsers[0]!.users).toBeGreaterThanOrEqual(before.body.data!.dailyActiveUsers[0]!.users + 1);
    const tooLong = await gql('{ dailyActiveUsers(from: "2020-01-01T00:00:00Z", to: "2026-01-01T00:00:00Z") { day } }', {
      userId: stack().operatorId,
    });
    expect(tooLong.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});
