/**
 * HubSpot changes flow back: POST /webhooks/hubspot on the gateway verifies the
 * v3 signature (with its 5-minute tolerance), stores each event once in the crm
 * subgraph before acknowledging, and invalidates the cached contact (crm cache
 * and gateway response cache) of the users a contact or ticket change touched.
 */
import { randomInt } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { gql, sandbox, stack } from './helpers/client.ts';
import { createServer } from 'node:http';
import { createWebhookRoutes } from '../gateway/src/webhooks/index.ts';
import { loadConfig } from '../lib/config.ts';
import { createLogger } from '../lib/logger.ts';
import { createInternalTokenSigner } from '../lib/internalToken.ts';
import { closeServer } from '../lib/http/io.ts';
import { SANDBOX_CREDENTIALS } from '../sandbox/src/credentials.ts';
import { hubspotSignatureV3 } from '../sandbox/src/services/hubspot.ts';

const newUser = () => String(600_000_000 + randomInt(0, 99_999_999));
const newEventId = () => randomInt(1, 2 ** 47);
const gatewayBase = (graphqlUrl: string) => graphqlUrl.replace(/\/graphql$/, '');

async function deliver(
  events: unknown,
  options: { secret?: string; timestampMs?: number; tamper?: boolean; base?: string; signature?: string | null } = {},
) {
  const base = options.base ?? gatewayBase(stack().gatewayUrl);
  const url = `${base}/webhooks/hubspot`;
  const body = JSON.stringify(events);
  const timestamp = options.timestampMs ?? Date.now();
  const signature = hubspotSignatureV3(options.secret ?? SANDBOX_CREDENTIALS.hubspotWebhookSecret, 'POST', url, body, timestamp);
  return fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-hubspot-request-timestamp': String(timestamp),
      ...(options.signature === null ? {} : { 'x-hubspot-signature-v3': options.signature ?? signature }),
    },
    body: options.tamper ? body.replace('propertyChange', 'creation') : body,
  });
}

const contactEvent = (contactId: string, extra: Record<string, unknown> = {}) => ({
  eventId: newEventId(),
  subscriptionId: 1,
  portalId: 62515,
  appId: 1,
  occurredAt: Date.now(),
  subscriptionType: 'contact.propertyChange',
  attemptNumber: 0,
  objectId: Number(contactId),
  changeSource: 'CRM_UI',
  propertyName: 'firstname',
  propertyValue: 'After',
  ...extra,
});

async function hubspotApi(method: string, path: string, body?: unknown) {
  const res = await fetch(`${stack().sandboxUrl}/hubspot${path}`, {
    method,
    headers: { authorization: `Bearer ${SANDBOX_CREDENTIALS.hubspotToken}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return (await res.json()) as { id: string };
}

const firstName = async (userId: string) =>
  (await gql<{ me: { customer: { firstName: string | null } } }>('{ me { customer { firstName } } }', { userId })).body.data?.me.customer
    .firstName;

async function customerOf(userId: string, name: string) {
  const res = await gql<{ upsertCustomer: { id: string } }>('mutation ($i: UpsertCustomerInput!) { upsertCustomer(input: $i) { id } }', {
    userId,
    variables: { i: { firstName: name } },
  });
  expect(res.body.errors).toBeUndefined();
  return res.body.data!.upsertCustomer.id;
}

describe('HubSpot webhook', () => {
  it('refuses a wrong secret, a stale or missing signature and a tampered body', async () => {
    const event = [contactEvent('1001')];
    expect((await deliver(event, { secret: 'not-the-client-secret' })).status).toBe(401);
    expect((await deliver(event, { timestampMs: Date.now() - 6 * 60_000 })).status).toBe(401);
    expect((await deliver(event, { signature: null })).status).toBe(401);
    expect((await deliver(event, { tamper: true })).status).toBe(401);
    const bad = await deliver({ not: 'an array' });
    expect(bad.status).toBe(400);
  });

  it('a contact changed in HubSpot shows at once, and a redelivered event is processed once', async () => {
    const user = newUser();
    const contactId = await customerOf(user, 'Before');
    expect(await firstName(user)).toBe('Before'); // now cached by the crm subgraph and the gateway
    await hubspotApi('PATCH', `/crm/v3/objects/contacts/${contactId}`, { properties: { firstname: 'After' } });
    expect(await firstName(user)).toBe('Before'); // still the cached copy: only the webhook tells us

    const event = contactEvent(contactId);
    const res = await deliver([event]);
    expect(res.status).toBe(200);
    expect(await firstName(user)).toBe('After');

    // The same event again (HubSpot retries): acknowledged, but not processed a second time.
    const readsBefore = (await sandbox.requests('hubspot')).filter(
      (e) => e.path.endsWith('/contacts/batch/read') && JSON.stringify(e.body).includes(`"${contactId}"`),
    ).length;
    expect((await deliver([event])).status).toBe(200);
    const readsAfter = (await sandbox.requests('hubspot')).filter(
      (e) => e.path.endsWith('/contacts/batch/read') && JSON.stringify(e.body).includes(`"${contactId}"`),
    ).length;
    expect(readsAfter).toBe(readsBefore);
  });

  it('a ticket change invalidates its customer', async () => {
    const user = newUser();
    const contactId = await customerOf(user, 'Old');
    const opened = await gql<{ openTicket: { id: string } }>('mutation { openTicket(input: { subject: "Hi", body: "there" }) { id } }', {
      userId: user,
    });
    const ticketId = opened.body.data!.openTicket.id;
    expect(await firstName(user)).toBe('Old');
    await hubspotApi('PATCH', `/crm/v3/objects/contacts/${contactId}`, { properties: { firstname: 'New' } });
    const res = await deliver([
      { ...contactEvent(ticketId), subscriptionType: 'ticket.propertyChange', propertyName: 'hs_pipeline_stage', propertyValue: '4' },
    ]);
    expect(res.status).toBe(200);
    expect(await firstName(user)).toBe('New');
  });

  it('is not acknowledged when the event could not be stored (HubSpot will retry)', async () => {
    // The gateway's webhook routes in front of a crm subgraph that is down.
    const config = loadConfig({ SANDBOX_URL: stack().sandboxUrl, INTERNAL_JWT_SECRET: stack().internalJwtSecret });
    const routes = createWebhookRoutes({
      config,
      log: createLogger('test', 'silent'),
      paymentsUrl: stack().subgraphUrls.payments,
      crmUrl: 'http://127.0.0.1:9/graphql',
      signToken: createInternalTokenSigner(stack().internalJwtSecret),
    });
    const server = createServer((req, res) => void routes['/webhooks/hubspot']!(req, res));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const address = server.address();
    try {
      const res = await deliver([contactEvent('1001')], {
        base: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`,
      });
      expect(res.status).toBe(503);
    } finally {
      await closeServer(server);
    }
  });
});
