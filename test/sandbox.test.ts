/**
 * The sandbox speaks the real wire formats: these tests talk to it over HTTP exactly as the
 * connectors will, and check envelopes, validation, idempotency, paging, journal and faults.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_CREDENTIALS as C } from '../sandbox/src/credentials.ts';
import { SEED_CONTACTS, SEED_EVENTS, SEED_PRODUCTS, SEED_TICKETS, SEED_USERS } from '../sandbox/src/seed.ts';
import { startSandbox, type SandboxHandle } from '../sandbox/src/server.ts';
import { stripeSignature } from '../sandbox/src/services/stripe.ts';
import { friendlyAddress, parseTonAddress } from '../sandbox/src/services/toncenter.ts';

// Responses are arbitrary JSON; the assertions below check their shape.
type Json = any;

interface Result {
  status: number;
  headers: Headers;
  body: Json;
}

let sb: SandboxHandle;

async function call(
  method: string,
  path: string,
  init: { headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<Result> {
  const res = await fetch(`${sb.url}${path}`, {
    method,
    headers: init.headers ?? {},
    ...(init.body === undefined ? {} : { body: init.body }),
  });
  const text = await res.text();
  let body: Json = text;
  try {
    body = JSON.parse(text);
  } catch {
    // NDJSON and plain-text answers stay strings.
  }
  return { status: res.status, headers: res.headers, body };
}

const JSON_HEADERS = { 'content-type': 'application/json' };

function tg(method: string, params: Record<string, unknown> = {}, token: string = C.telegramBotToken): Promise<Result> {
  return call('POST', `/telegram/bot${token}/${method}`, { headers: JSON_HEADERS, body: JSON.stringify(params) });
}

function stripe(method: string, path: string, form?: Record<string, string>, headers: Record<string, string> = {}): Promise<Result> {
  return call(method, `/stripe${path}`, {
    headers: { authorization: `Bearer ${C.stripeSecretKey}`, 'content-type': 'application/x-www-form-urlencoded', ...headers },
    ...(form ? { body: new URLSearchParams(form).toString() } : {}),
  });
}

function hubspot(method: string, path: string, body?: unknown): Promise<Result> {
  return call(method, `/hubspot${path}`, {
    headers: { authorization: `Bearer ${C.hubspotToken}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

const mixpanelAuth = { authorization: `Basic ${Buffer.from(`${C.mixpanelToken}:`).toString('base64')}` };

/** A tiny local HTTP receiver standing in for the gateway's webhook endpoints. */
async function startReceiver(
  handler: (req: IncomingMessage, raw: string) => Promise<{ status: number; body?: string }> | { status: number; body?: string },
): Promise<{ url: string; close: () => Promise<void> }> {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void Promise.resolve(handler(req, Buffer.concat(chunks).toString('utf8'))).then((answer) => {
        res.writeHead(answer.status, { 'content-type': 'application/json' });
        res.end(answer.body ?? '{}');
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

beforeAll(async () => {
  sb = await startSandbox({ port: 0, preCheckoutTimeoutMs: 3000 });
});

afterAll(async () => {
  await sb.close();
});

describe('sandbox server', () => {
  it('answers health and refuses unknown services', async () => {
    const health = await call('GET', '/__sandbox/health');
    expect(health.status).toBe(200);
    expect(health.body.services.hubspot).toBe(`${sb.url}/hubspot`);
    const unknown = await call('GET', '/nope/v1/things');
    expect(unknown.status).toBe(404);
  });

  it('refuses wrong credentials the way each real service does', async () => {
    const telegram = await tg('getMe', {}, '123456:WRONG');
    expect(telegram.status).toBe(401);
    expect(telegram.body).toEqual({ ok: false, error_code: 401, description: 'Unauthorized' });

    const stripeMissing = await call('GET', '/stripe/v1/products');
    expect(stripeMissing.status).toBe(401);
    expect(stripeMissing.body.error.type).toBe('invalid_request_error');
    expect(stripeMissing.body.error.message).toMatch(/did not provide an API key/);
    const stripeWrong = await call('GET', '/stripe/v1/products', { headers: { authorization: 'Bearer sk_test_wrongwrongwrong' } });
    expect(stripeWrong.status).toBe(401);
    expect(stripeWrong.body.error.message).toMatch(/^Invalid API Key provided: sk_test_\*+rong$/);

    const hub = await call('GET', '/hubspot/crm/v3/objects/contacts', { headers: { authorization: 'Bearer pat-wrong' } });
    expect(hub.status).toBe(401);
    expect(hub.body).toMatchObject({ status: 'error', category: 'INVALID_AUTHENTICATION' });
    expect(typeof hub.body.correlationId).toBe('string');

    const mixpanel = await call('POST', '/mixpanel/import', { headers: { 'content-type': 'application/json' }, body: '[]' });
    expect(mixpanel.status).toBe(401);

    const amplitude = await call('POST', '/amplitude/2/httpapi', {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ api_key: 'nope', events: [{ event_type: 'x', user_id: 'user-1' }] }),
    });
    expect(amplitude.status).toBe(400);
    expect(amplitude.body).toEqual({ code: 400, error: 'Invalid API key' });
  });
});

describe('telegram', () => {
  it('uses the {ok, result} envelope with query, form and JSON parameters and case-insensitive methods', async () => {
    const viaGet = await call('GET', `/telegram/bot${C.telegramBotToken}/getChat?chat_id=279058397`);
    expect(viaGet.body).toMatchObject({ ok: true, result: { id: 279058397, type: 'private', first_name: 'Ivan', username: 'ivan_test' } });

    const viaForm = await call('POST', `/telegram/bot${C.telegramBotToken}/SendMessage`, {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        chat_id: '100000001',
        text: 'hello',
        reply_markup: JSON.stringify({ inline_keyboard: [[{ text: 'Open', url: 'https://t.me' }]] }),
      }).toString(),
    });
    expect(viaForm.status).toBe(200);
    expect(viaForm.body.ok).toBe(true);
    expect(viaForm.body.result).toMatchObject({
      chat: { id: 100000001 },
      text: 'hello',
      reply_markup: { inline_keyboard: [[{ text: 'Open' }]] },
    });

    const unknownChat = await tg('getChat', { chat_id: 42 });
    expect(unknownChat.status).toBe(400);
    expect(unknownChat.body).toEqual({ ok: false, error_code: 400, description: 'Bad Request: chat not found' });

    const unknownMethod = await tg('getUpdatesPlease');
    expect(unknownMethod.status).toBe(404);
    expect(unknownMethod.body).toEqual({ ok: false, error_code: 404, description: 'Not Found' });

    const badJson = await call('POST', `/telegram/bot${C.telegramBotToken}/sendMessage`, {
      headers: { 'content-type': 'application/json' },
      body: '{"chat_id":',
    });
    expect(badJson.status).toBe(400);
    expect(badJson.body.ok).toBe(false);

    const prepared = await tg('savePreparedInlineMessage', {
      user_id: 279058397,
      result: { type: 'article', id: 'share-1', title: 'Share', input_message_content: { message_text: 'Try this app' } },
      allow_user_chats: true,
    });
    expect(prepared.body.ok).toBe(true);
    expect(typeof prepared.body.result.id).toBe('string');
    expect(prepared.body.result.expiration_date).toBeGreaterThan(Date.now() / 1000);
  });

  it('validates createInvoiceLink for Stars (§3.2)', async () => {
    const base = {
      title: 'Premium, 1 month',
      description: 'Premium features',
      payload: 'order-1',
      currency: 'XTR',
      prices: [{ label: 'Premium', amount: 250 }],
    };
    const ok = await tg('createInvoiceLink', base);
    expect(ok.status).toBe(200);
    expect(ok.body.result).toMatch(/^https:\/\/t\.me\/\$sandbox_invoice_\d+$/);

    const bad = async (patch: Record<string, unknown>) => {
      const res = await tg('createInvoiceLink', { ...base, ...patch });
      expect(res.status).toBe(400);
      expect(res.body.ok).toBe(false);
      expect(res.body.description).toMatch(/^Bad Request: /);
    };
    await bad({
      prices: [
        { label: 'a', amount: 100 },
        { label: 'b', amount: 150 },
      ],
    });
    await bad({ provider_token: 'some-provider-token' });
    await bad({ payload: 'x'.repeat(129) });
    await bad({ payload: 'é'.repeat(65) }); // 130 bytes in UTF-8
    await bad({ payload: '' });
    await bad({ title: 'x'.repeat(33) });
    await bad({ description: '' });
    await bad({ description: 'x'.repeat(256) });
    await bad({ subscription_period: 86400 });
    await bad({ currency: 'USD' }); // fiat without a provider token

    const subscription = await tg('createInvoiceLink', { ...base, subscription_period: 2592000 });
    expect(subscription.body.ok).toBe(true);

    // Form-encoded requests carry prices as a JSON string.
    const form = await call('POST', `/telegram/bot${C.telegramBotToken}/createInvoiceLink`, {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ ...base, prices: JSON.stringify(base.prices) }).toString(),
    });
    expect(form.body.ok).toBe(true);
  });

  it('plays a checkout against the webhook, then refunds once', async () => {
    const updates: Json[] = [];
    const secrets: Array<string | undefined> = [];
    const hook = await startReceiver(async (req, raw) => {
      const update = JSON.parse(raw);
      updates.push(update);
      secrets.push(req.headers['x-telegram-bot-api-secret-token'] as string | undefined);
      const query = update.pre_checkout_query;
      if (query?.invoice_payload === 'order-declined') {
        // Answer inline in the webhook response (Bot API "making requests when getting updates").
        return {
          status: 200,
          body: JSON.stringify({
            method: 'answerPreCheckoutQuery',
            pre_checkout_query_id: query.id,
            ok: false,
            error_message: 'Out of stock',
          }),
        };
      }
      if (query) {
        const answer = await tg('answerPreCheckoutQuery', { pre_checkout_query_id: query.id, ok: true });
        expect(answer.body).toEqual({ ok: true, result: true });
      }
      return { status: 200 };
    });
    try {
      const set = await tg('setWebhook', {
        url: hook.url,
        secret_token: C.telegramWebhookSecret,
        allowed_updates: ['message', 'pre_checkout_query'],
      });
      expect(set.body).toMatchObject({ ok: true, result: true });
      const info = await tg('getWebhookInfo');
      expect(info.body.result).toMatchObject({
        url: hook.url,
        pending_update_count: 0,
        allowed_updates: ['message', 'pre_checkout_query'],
      });
      expect((await tg('setWebhook', { url: hook.url, secret_token: 'bad secret!' })).status).toBe(400);

      const link = (
        await tg('createInvoiceLink', {
          title: 'Stickers',
          description: 'Sticker pack',
          payload: 'order-42',
          currency: 'XTR',
          prices: [{ label: 'Stickers', amount: 150 }],
        })
      ).body.result;
      const paid = await call('POST', '/telegram/__sandbox/pay', {
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ invoiceLink: link, userId: 279058397 }),
      });
      expect(paid.status).toBe(200);
      expect(paid.body).toMatchObject({ preCheckoutAnswered: true, ok: true });
      const chargeId: string = paid.body.chargeId;
      expect(chargeId).toMatch(/^stx/);

      expect(updates).toHaveLength(2);
      expect(secrets).toEqual([C.telegramWebhookSecret, C.telegramWebhookSecret]);
      expect(updates[0].pre_checkout_query).toMatchObject({
        from: { id: 279058397 },
        currency: 'XTR',
        total_amount: 150,
        invoice_payload: 'order-42',
      });
      expect(updates[1].message.successful_payment).toMatchObject({
        currency: 'XTR',
        total_amount: 150,
        invoice_payload: 'order-42',
        telegram_payment_charge_id: chargeId,
      });
      expect(typeof updates[1].message.successful_payment.provider_payment_charge_id).toBe('string');
      expect(updates[1].update_id).toBeGreaterThan(updates[0].update_id);

      // The pre-checkout query is answered: a late second answer is refused.
      const late = await tg('answerPreCheckoutQuery', { pre_checkout_query_id: updates[0].pre_checkout_query.id, ok: true });
      expect(late.status).toBe(400);
      expect((await tg('answerPreCheckoutQuery', { pre_checkout_query_id: 'x', ok: false })).body.description).toBe(
        'Bad Request: error_message is empty',
      );

      const declinedLink = (
        await tg('createInvoiceLink', {
          title: 'Hoodie',
          description: 'Hoodie',
          payload: 'order-declined',
          currency: 'XTR',
          prices: [{ label: 'Hoodie', amount: 500 }],
        })
      ).body.result;
      const declined = await call('POST', '/telegram/__sandbox/pay', {
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ invoiceLink: declinedLink, userId: 100000002 }),
      });
      expect(declined.body).toMatchObject({ preCheckoutAnswered: true, ok: false, errorMessage: 'Out of stock' });

      const transactions = await tg('getStarTransactions');
      expect(transactions.body.result.transactions).toEqual([
        expect.objectContaining({
          id: chargeId,
          amount: 150,
          source: expect.objectContaining({ type: 'user', transaction_type: 'invoice_payment', invoice_payload: 'order-42' }),
        }),
      ]);

      const refund = await tg('refundStarPayment', { user_id: 279058397, telegram_payment_charge_id: chargeId });
      expect(refund.body).toEqual({ ok: true, result: true });
      const again = await tg('refundStarPayment', { user_id: 279058397, telegram_payment_charge_id: chargeId });
      expect(again.status).toBe(400);
      expect(again.body).toEqual({ ok: false, error_code: 400, description: 'Bad Request: CHARGE_ALREADY_REFUNDED' });
      const unknown = await tg('refundStarPayment', { user_id: 279058397, telegram_payment_charge_id: 'stxUnknown' });
      expect(unknown.status).toBe(400);

      // The refund is announced to the bot as a refunded_payment message (after the declined checkout's single update).
      await expect.poll(() => updates.length).toBe(4);
      expect(updates[3].message.refunded_payment).toMatchObject({ telegram_payment_charge_id: chargeId, total_amount: 150 });
      expect((await tg('getStarTransactions')).body.result.transactions).toHaveLength(2);
    } finally {
      await tg('deleteWebhook');
      await hook.close();
    }
  });
});

describe('stripe', () => {
  it('lists products and prices in Stripe list shape with cursors and expansion', async () => {
    const page1 = await stripe('GET', '/v1/products?limit=3');
    expect(page1.status).toBe(200);
    expect(page1.headers.get('request-id')).toMatch(/^req_/);
    expect(page1.body).toMatchObject({ object: 'list', has_more: true, url: '/v1/products' });
    expect(page1.body.data).toHaveLength(3);
    const last = page1.body.data[2].id;
    const page2 = await stripe('GET', `/v1/products?limit=3&starting_after=${last}`);
    expect(page2.body.has_more).toBe(false);
    const ids = [...page1.body.data, ...page2.body.data].map((p: Json) => p.id).sort();
    expect(ids).toEqual(SEED_PRODUCTS.map((p) => p.id).sort());

    const hoodie = await stripe('GET', '/v1/products/prod_hoodie');
    expect(hoodie.body.metadata).toEqual({ ton_price_nanotons: '12000000000' });
    expect(hoodie.body.default_price).toBe('price_hoodie_usd');
    const premium = await stripe('GET', '/v1/products/prod_premium_month?expand[]=default_price');
    expect(premium.body.default_price).toMatchObject({ object: 'price', unit_amount: 499, currency: 'usd' });

    const prices = await stripe('GET', '/v1/prices?product=prod_coins_100&expand[]=data.product');
    expect(prices.body.data).toHaveLength(1);
    expect(prices.body.data[0].product).toMatchObject({ id: 'prod_coins_100', metadata: { stars_price: '100' } });

    const missing = await stripe('GET', '/v1/products/prod_nope');
    expect(missing.status).toBe(404);
    expect(missing.body.error).toMatchObject({ type: 'invalid_request_error', code: 'resource_missing' });
  });

  it('replays idempotent requests and rejects a key reused with other parameters', async () => {
    const params = {
      amount: '3900',
      currency: 'usd',
      'automatic_payment_methods[enabled]': 'true',
      'metadata[order_id]': 'ord_1',
      'metadata[telegram_user_id]': '279058397',
    };
    const first = await stripe('POST', '/v1/payment_intents', params, { 'Idempotency-Key': 'key-1' });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({
      object: 'payment_intent',
      amount: 3900,
      currency: 'usd',
      status: 'requires_payment_method',
      metadata: { order_id: 'ord_1', telegram_user_id: '279058397' },
    });
    expect(first.body.client_secret).toMatch(new RegExp(`^${first.body.id}_secret_`));
    expect(first.headers.get('idempotent-replayed')).toBeNull();

    const replay = await stripe('POST', '/v1/payment_intents', params, { 'Idempotency-Key': 'key-1' });
    expect(replay.status).toBe(200);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.body).toEqual(first.body);

    const conflict = await stripe('POST', '/v1/payment_intents', { ...params, amount: '4000' }, { 'Idempotency-Key': 'key-1' });
    expect(conflict.status).toBe(400);
    expect(conflict.body.error.type).toBe('idempotency_error');

    const tooSmall = await stripe('POST', '/v1/payment_intents', { amount: '20', currency: 'usd' });
    expect(tooSmall.status).toBe(400);
    expect(tooSmall.body.error).toMatchObject({ type: 'invalid_request_error', code: 'amount_too_small', param: 'amount' });
    const notInteger = await stripe('POST', '/v1/payment_intents', { amount: '10.5', currency: 'usd' });
    expect(notInteger.body.error.param).toBe('amount');
    const jsonBody = await call('POST', '/stripe/v1/payment_intents', {
      headers: { authorization: `Bearer ${C.stripeSecretKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ amount: 1000, currency: 'usd' }),
    });
    expect(jsonBody.status).toBe(400);
    expect(jsonBody.body.error.message).toMatch(/^Received unknown parameter/);

    const fetched = await stripe('GET', `/v1/payment_intents/${first.body.id}`);
    expect(fetched.body.id).toBe(first.body.id);
  });

  it('delivers signed webhook events and refunds a succeeded intent once', async () => {
    const deliveries: Array<{ raw: string; signature: string }> = [];
    const hook = await startReceiver((req, raw) => {
      deliveries.push({ raw, signature: String(req.headers['stripe-signature']) });
      return { status: 200 };
    });
    try {
      expect(
        (
          await call('POST', '/stripe/__sandbox/webhook_endpoint', {
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ url: hook.url, secret: C.stripeWebhookSecret }),
          })
        ).status,
      ).toBe(200);
      const intent = (await stripe('POST', '/v1/payment_intents', { amount: '499', currency: 'usd' })).body;

      const early = await stripe('POST', '/v1/refunds', { payment_intent: intent.id });
      expect(early.status).toBe(400);

      const succeeded = await call('POST', `/stripe/__sandbox/payment_intents/${intent.id}/succeed`);
      expect(succeeded.status).toBe(200);
      expect(succeeded.body.delivery).toMatchObject({ status: 200, ok: true });
      expect(succeeded.body.paymentIntent.status).toBe('succeeded');

      // Verify exactly as §5.4 says: HMAC-SHA256(secret, `${t}.${rawBody}`), any v1, within tolerance.
      const { raw, signature } = deliveries[0]!;
      const parts = signature.split(',').map((kv) => kv.split('=') as [string, string]);
      const t = Number(parts.find(([k]) => k === 't')![1]);
      const expected = createHmac('sha256', C.stripeWebhookSecret).update(`${t}.${raw}`).digest();
      const v1s = parts.filter(([k]) => k === 'v1').map(([, v]) => Buffer.from(v, 'hex'));
      expect(v1s.some((v) => v.length === expected.length && timingSafeEqual(v, expected))).toBe(true);
      expect(Math.abs(Date.now() / 1000 - t)).toBeLessThan(300);
      const event = JSON.parse(raw);
      expect(event).toMatchObject({
        object: 'event',
        type: 'payment_intent.succeeded',
        data: { object: { id: intent.id, status: 'succeeded', amount: 499 } },
      });

      // A partial refund, then the rest: the charge keeps the cumulative amount, `refunded` only at the end.
      const chargeId = succeeded.body.paymentIntent.latest_charge;
      const partial = await stripe('POST', '/v1/refunds', { payment_intent: intent.id, amount: '100' });
      expect(partial.body).toMatchObject({ object: 'refund', amount: 100, charge: chargeId });
      expect((await stripe('GET', `/v1/charges/${chargeId}`)).body).toMatchObject({
        object: 'charge',
        payment_intent: intent.id,
        amount: 499,
        amount_refunded: 100,
        refunded: false,
        currency: 'usd',
      });
      const refund = await stripe('POST', '/v1/refunds', { payment_intent: intent.id }, { 'Idempotency-Key': 'refund-1' });
      expect(refund.status).toBe(200);
      expect(refund.body).toMatchObject({ object: 'refund', amount: 399, payment_intent: intent.id, status: 'succeeded' });
      expect((await stripe('GET', `/v1/charges/${chargeId}`)).body).toMatchObject({ amount_refunded: 499, refunded: true });
      expect((await stripe('GET', '/v1/charges/ch_missing')).status).toBe(404);
      const second = await stripe('POST', '/v1/refunds', { payment_intent: intent.id });
      expect(second.status).toBe(400);
      expect(second.body.error).toMatchObject({ type: 'invalid_request_error', code: 'charge_already_refunded' });
      // A retried refund with its original key is a replay, not a second refund.
      const retried = await stripe('POST', '/v1/refunds', { payment_intent: intent.id }, { 'Idempotency-Key': 'refund-1' });
      expect(retried.status).toBe(200);
      expect(retried.body.id).toBe(refund.body.id);

      const other = (await stripe('POST', '/v1/payment_intents', { amount: '3900', currency: 'usd' })).body;
      const failed = await call('POST', `/stripe/__sandbox/payment_intents/${other.id}/fail`);
      expect(failed.body.event.type).toBe('payment_intent.payment_failed');
      const events = deliveries.map((d) => JSON.parse(d.raw) as { type: string; data: { object: Record<string, unknown> } });
      expect(events.find((e) => e.type === 'payment_intent.payment_failed')!.data.object.last_payment_error).toMatchObject({
        code: 'card_declined',
      });
      // Each refund was announced with the charge as it stood (deliveries are not awaited by the refund call).
      const deadline = Date.now() + 5_000;
      while (deliveries.filter((d) => JSON.parse(d.raw).type === 'charge.refunded').length < 2 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));
      const refundedEvents = deliveries.map((d) => JSON.parse(d.raw)).filter((e) => e.type === 'charge.refunded');
      expect(refundedEvents.map((e) => e.data.object.amount_refunded).sort((x: number, y: number) => x - y)).toEqual([100, 499]);
    } finally {
      await call('DELETE', '/stripe/__sandbox/webhook_endpoint');
      await hook.close();
    }
  });

  it('signs like the reference vector TV4', () => {
    const body =
      '{"id":"evt_test_1","object":"event","type":"payment_intent.succeeded","data":{"object":{"id":"pi_test_1","object":"payment_intent","amount":1999,"currency":"usd","status":"succeeded"}}}';
    expect(stripeSignature(body, 'whsec_test_secret_123', 1700000000)).toBe(
      't=1700000000,v1=e7c2e0df2850e11986f9ea6d6c420a3bfadc747bd6ce30278a8991b6abf9800a',
    );
  });
});

describe('hubspot', () => {
  it('batch-reads 50 contacts by telegram_user_id in one call', async () => {
    await call('DELETE', '/__sandbox/requests');
    const ids = SEED_USERS.slice(0, 50).map((u) => ({ id: String(u.id) }));
    const res = await hubspot('POST', '/crm/v3/objects/contacts/batch/read', {
      inputs: ids,
      properties: ['email', 'telegram_user_id', 'tma_tags'],
      idProperty: 'telegram_user_id',
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-hubspot-ratelimit-max')).toBe('190');
    expect(res.headers.get('x-hubspot-ratelimit-remaining')).not.toBeNull();
    expect(res.body.status).toBe('COMPLETE');
    expect(res.body.results).toHaveLength(50);
    const ivan = res.body.results.find((r: Json) => r.properties.telegram_user_id === '279058397');
    expect(ivan).toMatchObject({ id: '1001', archived: false, properties: { email: 'ivan.test@example.com', hs_object_id: '1001' } });
    expect(Object.keys(ivan.properties).sort()).toEqual([
      'createdate',
      'email',
      'hs_object_id',
      'lastmodifieddate',
      'telegram_user_id',
      'tma_tags',
    ]);
    expect(typeof ivan.createdAt).toBe('string');

    const journal = (await call('GET', '/__sandbox/requests?service=hubspot')).body;
    expect(journal.filter((e: Json) => e.path === '/crm/v3/objects/contacts/batch/read')).toHaveLength(1);
    expect(journal[0].note).toBe('50 inputs');

    // Users 50..59 have no contact: they are simply absent from results (HubSpot flags them with 207).
    const partial = await hubspot('POST', '/crm/v3/objects/contacts/batch/read', {
      inputs: [{ id: '279058397' }, { id: String(SEED_USERS[55]!.id) }],
      properties: ['email'],
      idProperty: 'telegram_user_id',
    });
    expect(partial.status).toBe(207);
    expect(partial.body.results.map((r: Json) => r.id)).toEqual(['1001']);

    const tooMany = await hubspot('POST', '/crm/v3/objects/contacts/batch/read', {
      inputs: Array.from({ length: 101 }, (_, i) => ({ id: String(i) })),
    });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.category).toBe('VALIDATION_ERROR');
  });

  it('pages the contact list with paging.next.after', async () => {
    const seen: string[] = [];
    let after: string | undefined;
    let pages = 0;
    do {
      const res = await hubspot('GET', `/crm/v3/objects/contacts?limit=20&properties=telegram_user_id${after ? `&after=${after}` : ''}`);
      expect(res.status).toBe(200);
      seen.push(...res.body.results.map((r: Json) => r.id));
      after = res.body.paging?.next?.after;
      if (after) expect(res.body.paging.next.link).toContain(`after=${after}`);
      pages += 1;
    } while (after);
    expect(pages).toBe(3);
    expect(seen).toEqual(SEED_CONTACTS.map((c) => c.id));
  });

  it('reads by idProperty, creates, updates, searches and associates', async () => {
    const byEmail = await hubspot('GET', '/crm/v3/objects/contacts/ivan.test@example.com?idProperty=email&properties=firstname,phone');
    expect(byEmail.body).toMatchObject({ id: '1001', properties: { firstname: 'Ivan', phone: '+15555550000' } });
    expect((await hubspot('GET', '/crm/v3/objects/contacts/99999')).status).toBe(404);

    const duplicate = await hubspot('POST', '/crm/v3/objects/contacts', { properties: { email: 'IVAN.TEST@example.com' } });
    expect(duplicate.status).toBe(409);
    expect(duplicate.body).toMatchObject({ status: 'error', category: 'CONFLICT' });
    expect(
      (await hubspot('POST', '/crm/v3/objects/contacts', { properties: { email: 'new@example.com', telegram_user_id: '279058397' } }))
        .status,
    ).toBe(409);
    const unknownProperty = await hubspot('POST', '/crm/v3/objects/contacts', {
      properties: { email: 'x@example.com', favourite_color: 'blue' },
    });
    expect(unknownProperty.status).toBe(400);
    expect(unknownProperty.body.message).toContain('PROPERTY_DOESNT_EXIST');

    const created = await hubspot('POST', '/crm/v3/objects/contacts', {
      properties: { email: 'new.user@example.com', firstname: 'New', telegram_user_id: '100000055', tma_tags: 'new' },
    });
    expect(created.status).toBe(201);
    expect(created.body.properties).toMatchObject({ email: 'new.user@example.com', telegram_user_id: '100000055' });
    const patched = await hubspot('PATCH', `/crm/v3/objects/contacts/${created.body.id}`, {
      properties: { lifecyclestage: 'lead', tma_tags: 'new;beta' },
    });
    expect(patched.body.properties).toMatchObject({ lifecyclestage: 'lead', tma_tags: 'new;beta' });

    const eq = await hubspot('POST', '/crm/v3/objects/contacts/search', {
      filterGroups: [{ filters: [{ propertyName: 'telegram_user_id', operator: 'EQ', value: '100000055' }] }],
      properties: ['email'],
    });
    expect(eq.body).toMatchObject({ total: 1, results: [{ id: created.body.id, properties: { email: 'new.user@example.com' } }] });
    const inFilter = await hubspot('POST', '/crm/v3/objects/contacts/search', {
      filterGroups: [{ filters: [{ propertyName: 'telegram_user_id', operator: 'IN', values: ['279058397', '100000001', '1'] }] }],
      limit: 1,
    });
    expect(inFilter.body.total).toBe(2);
    expect(inFilter.body.results).toHaveLength(1);
    expect(inFilter.body.paging.next.after).toBe('1');
    const tagged = await hubspot('POST', '/crm/v3/objects/contacts/search', {
      filterGroups: [{ filters: [{ propertyName: 'tma_tags', operator: 'CONTAINS_TOKEN', value: 'premium' }] }],
      limit: 100,
    });
    expect(tagged.body.total).toBe(SEED_CONTACTS.filter((c) => c.properties.tma_tags!.split(';').includes('premium')).length);

    const ticket = await hubspot(
      'GET',
      `/crm/v3/objects/tickets/${SEED_TICKETS[0]!.id}?properties=subject,telegram_user_id&associations=contacts`,
    );
    expect(ticket.body).toMatchObject({
      properties: { subject: 'Stars payment not credited', telegram_user_id: '279058397' },
      associations: { contacts: { results: [{ id: '1001' }] } },
    });
    const ticketSearch = await hubspot('POST', '/crm/v3/objects/tickets/search', {
      filterGroups: [{ filters: [{ propertyName: 'telegram_user_id', operator: 'EQ', value: '279058397' }] }],
      properties: ['subject', 'hs_pipeline_stage'],
    });
    expect(ticketSearch.body.total).toBe(2);
    const ticketsOfIvan = await hubspot('GET', '/crm/v4/objects/contacts/1001/associations/tickets');
    expect(ticketsOfIvan.body.results.map((r: Json) => r.toObjectId)).toEqual([5001, 5002]);
    expect(ticketsOfIvan.body.results[0].associationTypes[0]).toMatchObject({ category: 'HUBSPOT_DEFINED', typeId: 15 });

    const newTicket = await hubspot('POST', '/crm/v3/objects/tickets', {
      properties: {
        subject: 'Help',
        content: 'Where is my order?',
        hs_pipeline: '0',
        hs_pipeline_stage: '1',
        telegram_user_id: '100000055',
      },
    });
    expect(newTicket.status).toBe(201);
    expect((await hubspot('POST', '/crm/v3/objects/tickets', { properties: { subject: 'No stage' } })).status).toBe(400);
    const linked = await hubspot('PUT', `/crm/v4/objects/contacts/${created.body.id}/associations/default/tickets/${newTicket.body.id}`);
    expect(linked.body.status).toBe('COMPLETE');
    const batchTickets = await hubspot('POST', '/crm/v3/objects/tickets/batch/read', {
      inputs: [{ id: newTicket.body.id }],
      properties: ['subject'],
    });
    expect(batchTickets.body.results[0].properties.subject).toBe('Help');

    const note = await hubspot('POST', '/crm/v3/objects/notes', {
      properties: { hs_timestamp: '1795000000000', hs_note_body: 'Called the user' },
      associations: [{ to: { id: '1001' }, types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: 202 }] }],
    });
    expect(note.status).toBe(201);
    expect(note.body.properties.hs_timestamp).toBe(new Date(1795000000000).toISOString());
    const notesOfIvan = await hubspot('GET', '/crm/v4/objects/contacts/1001/associations/notes');
    expect(notesOfIvan.body.results.map((r: Json) => String(r.toObjectId))).toEqual([note.body.id]);
  });

  it('answers malformed JSON with its own 400', async () => {
    const res = await call('POST', '/hubspot/crm/v3/objects/contacts/search', {
      headers: { authorization: `Bearer ${C.hubspotToken}`, 'content-type': 'application/json' },
      body: '{"filterGroups":',
    });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ status: 'error', category: 'VALIDATION_ERROR' });
  });
});

describe('mixpanel', () => {
  const now = Date.now();
  const event = (insertId: string, extra: Record<string, unknown> = {}) => ({
    event: 'purchase',
    properties: { time: now - 60_000, distinct_id: '279058397', $insert_id: insertId, product_id: 'prod_coins_100', ...extra },
  });

  async function exported(fromMs: number): Promise<Json[]> {
    const day = new Date(fromMs).toISOString().slice(0, 10);
    const res = await call('GET', `/mixpanel/api/2.0/export?from_date=${day}&to_date=${new Date().toISOString().slice(0, 10)}`, {
      headers: mixpanelAuth,
    });
    expect(res.status).toBe(200);
    return String(res.body)
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line));
  }

  it('imports, de-duplicates on (event, distinct_id, time, $insert_id) and exports', async () => {
    const body = JSON.stringify([event('mp-dedupe-1'), event('mp-dedupe-2')]);
    const first = await call('POST', '/mixpanel/import?strict=1', {
      headers: { ...mixpanelAuth, 'content-type': 'application/json' },
      body,
    });
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ code: 200, num_records_imported: 2, status: 'OK' });
    const again = await call('POST', '/mixpanel/import?strict=1', {
      headers: { ...mixpanelAuth, 'content-type': 'application/x-ndjson', 'content-encoding': 'gzip' },
      body: gzipSync([event('mp-dedupe-1')].map((e) => JSON.stringify(e)).join('\n')),
    });
    expect(again.body.num_records_imported).toBe(1);

    const events = await exported(now - 86_400_000);
    expect(events.filter((e) => e.properties.$insert_id === 'mp-dedupe-1')).toHaveLength(1);
    expect(events.find((e) => e.properties.$insert_id === 'mp-dedupe-2').properties.time).toBe(Math.floor((now - 60_000) / 1000));
  });

  it('rejects invalid records with failed_records and keeps the valid ones', async () => {
    const records = [
      event('mp-valid-1'),
      { event: 'purchase', properties: { time: now, distinct_id: '279058397' } },
      event('mp-future', { time: now + 2 * 3_600_000 }),
      event('mp-anon', { distinct_id: 'anon' }),
      { event: 'purchase', properties: { distinct_id: '1', $insert_id: 'mp-no-time' } },
    ];
    const res = await call('POST', '/mixpanel/import', {
      headers: { ...mixpanelAuth, 'content-type': 'application/json' },
      body: JSON.stringify(records),
    });
    expect(res.status).toBe(400);
    expect(res.body.num_records_imported).toBe(1);
    expect(res.body.failed_records.map((f: Json) => [f.index, f.field])).toEqual([
      [1, 'properties.$insert_id'],
      [2, 'properties.time'],
      [3, 'properties.distinct_id'],
      [4, 'properties.time'],
    ]);
    const tooMany = await call('POST', '/mixpanel/import', {
      headers: { ...mixpanelAuth, 'content-type': 'application/json' },
      body: JSON.stringify(Array.from({ length: 2001 }, (_, i) => event(`bulk-${i}`))),
    });
    expect(tooMany.status).toBe(400);
    const garbage = await call('POST', '/mixpanel/import', {
      headers: { ...mixpanelAuth, 'content-type': 'application/json' },
      body: '[{"event":',
    });
    expect(garbage.status).toBe(400);
    expect(garbage.body.code).toBe(400);
    const badGzip = await call('POST', '/mixpanel/import', {
      headers: { ...mixpanelAuth, 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: 'not gzip',
    });
    expect(badGzip.status).toBe(400);
  });

  it('serves the seeded events from the export API', async () => {
    const events = await exported(SEED_EVENTS[0]!.time);
    const seeded = events.filter((e) => String(e.properties.$insert_id).startsWith('seed-evt-'));
    expect(seeded).toHaveLength(SEED_EVENTS.length);
    expect(seeded[0]).toMatchObject({
      event: 'app_open',
      properties: { distinct_id: '279058397', time: Math.floor(SEED_EVENTS[0]!.time / 1000) },
    });
  });

  it('accepts /track with the token inside each event', async () => {
    const ok = await call('POST', '/mixpanel/track?verbose=1', {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([{ event: 'app_open', properties: { token: C.mixpanelToken, distinct_id: '279058397' } }]),
    });
    expect(ok.body).toEqual({ status: 1, error: null });
    const bad = await call('POST', '/mixpanel/track', {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([{ event: 'app_open', properties: { token: 'wrong' } }]),
    });
    expect(bad.body).toBe(0);
  });
});

describe('amplitude', () => {
  const send = (body: unknown) =>
    call('POST', '/amplitude/2/httpapi', { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  it('ingests events and de-duplicates by insert_id', async () => {
    const events = [
      {
        event_type: 'purchase',
        user_id: '279058397',
        time: Date.now(),
        insert_id: 'amp-1',
        event_properties: { product_id: 'prod_coins_100' },
      },
      { event_type: 'app_open', device_id: 'device-abc', insert_id: 'amp-2' },
    ];
    const res = await send({ api_key: C.amplitudeApiKey, events });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ code: 200, events_ingested: 2 });
    expect(res.body.payload_size_bytes).toBeGreaterThan(0);
    expect(typeof res.body.server_upload_time).toBe('number');
    const before = sb.state.amplitude.events.length;
    expect((await send({ api_key: C.amplitudeApiKey, events })).status).toBe(200);
    expect(sb.state.amplitude.events.length).toBe(before);
  });

  it('validates ids, lengths and required fields per §7.2', async () => {
    const short = await send({
      api_key: C.amplitudeApiKey,
      events: [
        { event_type: 'x', user_id: '42' },
        { event_type: 'x', user_id: '279058397' },
      ],
    });
    expect(short.status).toBe(400);
    expect(short.body).toMatchObject({ code: 400, events_with_invalid_id_lengths: { user_id: [0] } });
    const allowed = await send({ api_key: C.amplitudeApiKey, events: [{ event_type: 'x', user_id: '42' }], options: { min_id_length: 1 } });
    expect(allowed.status).toBe(200);
    const missing = await send({ api_key: C.amplitudeApiKey, events: [{ user_id: '279058397' }, { event_type: 'x' }] });
    expect(missing.status).toBe(400);
    expect(missing.body.events_with_missing_fields).toMatchObject({ event_type: [0], user_id: [1], device_id: [1] });
    expect((await send({ api_key: C.amplitudeApiKey })).body).toMatchObject({ code: 400, missing_field: 'events' });
    const malformed = await call('POST', '/amplitude/2/httpapi', { headers: { 'content-type': 'application/json' }, body: '{' });
    expect(malformed.status).toBe(400);
  });
});

describe('toncenter', () => {
  it('appends transfers and pages getTransactions newest first with inclusive lt+hash', async () => {
    const transfers: Json[] = [];
    for (const [i, comment] of ['inv-1', 'inv-2', 'inv-3'].entries()) {
      const res = await call('POST', '/toncenter/__sandbox/transfers', {
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ destination: C.tonWalletAddress, value: String((i + 1) * 100_000_000), comment }),
      });
      expect(res.status).toBe(200);
      transfers.push(res.body);
    }
    const lts = transfers.map((t) => BigInt(t.transaction_id.lt));
    expect(lts[1]! > lts[0]! && lts[2]! > lts[1]!).toBe(true);
    expect(transfers[0].in_msg).toMatchObject({
      value: '100000000',
      message: 'inv-1',
      msg_data: { '@type': 'msg.dataText', text: Buffer.from('inv-1').toString('base64') },
    });
    expect(transfers[0].in_msg.source).not.toBe('');

    // Friendly and raw forms name the same account.
    const wallet = friendlyAddress(parseTonAddress(C.tonWalletAddress)!);
    expect(transfers[0].in_msg.destination).toBe(wallet);
    const page1 = await call('GET', `/toncenter/api/v2/getTransactions?address=${wallet}&limit=2`);
    expect(page1.body.ok).toBe(true);
    expect(page1.body.result.map((t: Json) => t.in_msg.message)).toEqual(['inv-3', 'inv-2']);
    const oldest = page1.body.result[1].transaction_id;
    const page2 = await call(
      'GET',
      `/toncenter/api/v2/getTransactions?address=${encodeURIComponent(C.tonWalletAddress)}&limit=3&lt=${oldest.lt}&hash=${encodeURIComponent(oldest.hash)}`,
    );
    expect(page2.body.result.map((t: Json) => t.in_msg.message)).toEqual(['inv-2', 'inv-1', 'seed-order-3']);
    const toLt = await call('GET', `/toncenter/api/v2/getTransactions?address=${wallet}&limit=10&to_lt=${oldest.lt}`);
    expect(toLt.body.result.map((t: Json) => t.in_msg.message)).toEqual(['inv-3']);

    const ltOnly = await call('GET', `/toncenter/api/v2/getTransactions?address=${wallet}&lt=${oldest.lt}`);
    expect(ltOnly.status).toBe(422);
    expect(ltOnly.body).toEqual({ ok: false, code: 422, error: 'lt and hash should be used together' });
    const badAddress = await call('GET', '/toncenter/api/v2/getTransactions?address=nope');
    expect(badAddress.body).toEqual({ ok: false, code: 422, error: 'failed to parse address' });

    const bounced = await call('POST', '/toncenter/__sandbox/transfers', {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ value: '1', comment: 'ignored', bounced: true }),
    });
    expect(bounced.body.in_msg).toMatchObject({ message: '', msg_data: { '@type': 'msg.dataRaw' } });
    expect(Buffer.from(bounced.body.in_msg.msg_data.body, 'base64').subarray(-8, -4).toString('hex')).toBe('ffffffff');
  });
});

describe('journal, faults and reset', () => {
  it('records redacted requests and filters by service', async () => {
    await call('DELETE', '/__sandbox/requests');
    await tg('getMe');
    await call('POST', '/amplitude/2/httpapi', {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ api_key: C.amplitudeApiKey, events: [{ event_type: 'x', user_id: 'user-12345' }] }),
    });
    await stripe('POST', '/v1/payment_intents', { amount: '100', currency: 'usd' });
    const all = (await call('GET', '/__sandbox/requests')).body;
    expect(all.map((e: Json) => e.service)).toEqual(['telegram', 'amplitude', 'stripe']);
    expect(all[0]).toMatchObject({ method: 'POST', path: '/bot<token>/getMe', operation: 'getMe', status: 200 });
    expect(all[1].body.api_key).toBe('[redacted]');
    expect(all[2].body).toEqual({ amount: '100', currency: 'usd' });
    for (const entry of all) {
      expect(typeof entry.durationMs).toBe('number');
      expect(Number.isNaN(Date.parse(entry.at))).toBe(false);
    }
    const text = JSON.stringify(all);
    for (const secret of [C.telegramBotToken, C.amplitudeApiKey, C.stripeSecretKey]) expect(text).not.toContain(secret);
    expect((await call('GET', '/__sandbox/requests?service=amplitude')).body).toHaveLength(1);
  });

  it('injects faults in each service’s own error shape', async () => {
    expect(
      (
        await call('POST', '/__sandbox/faults', {
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ service: 'nope', status: 500 }),
        })
      ).status,
    ).toBe(400);
    await call('POST', '/__sandbox/faults', {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ service: 'telegram', status: 429, count: 2, retryAfter: 3 }),
    });
    const limited = await tg('getMe');
    expect(limited.status).toBe(429);
    expect(limited.body).toEqual({
      ok: false,
      error_code: 429,
      description: 'Too Many Requests: retry after 3',
      parameters: { retry_after: 3 },
    });
    expect((await tg('getMe')).status).toBe(429);
    expect((await tg('getMe')).status).toBe(200);

    await call('POST', '/__sandbox/faults', {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ service: 'stripe', status: 503 }),
    });
    const down = await stripe('GET', '/v1/products');
    expect(down.status).toBe(503);
    expect(down.body.error.type).toBe('api_error');
    expect(down.headers.get('request-id')).toMatch(/^req_/);

    await call('POST', '/__sandbox/faults', {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ service: 'hubspot', delayMs: 150 }),
    });
    const started = Date.now();
    const slow = await hubspot('GET', '/crm/v3/objects/contacts/1001');
    expect(slow.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);

    await call('POST', '/__sandbox/faults', {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ service: 'toncenter', status: 429, count: 5 }),
    });
    expect((await call('GET', '/__sandbox/faults')).body).toHaveLength(1);
    await call('DELETE', '/__sandbox/faults');
    expect((await call('GET', `/toncenter/api/v2/getTransactions?address=${C.tonWalletAddress}`)).status).toBe(200);

    const faulted = (await call('GET', '/__sandbox/requests?service=telegram')).body.filter((e: Json) => e.fault);
    expect(faulted.length).toBeGreaterThanOrEqual(2);
  });

  it('resets to the seed state, keeping webhook registrations and update ids', async () => {
    const created = await hubspot('POST', '/crm/v3/objects/contacts', { properties: { email: 'temp@example.com' } });
    expect(created.status).toBe(201);
    await tg('setWebhook', { url: 'http://127.0.0.1:9/hook', secret_token: C.telegramWebhookSecret });
    const updateIdBefore = sb.state.telegram.nextUpdateId;
    expect((await call('POST', '/__sandbox/reset')).status).toBe(200);
    expect((await tg('getWebhookInfo')).body.result.url).toBe('http://127.0.0.1:9/hook');
    expect(sb.state.telegram.nextUpdateId).toBeGreaterThanOrEqual(updateIdBefore);
    await tg('deleteWebhook');
    await call('DELETE', '/__sandbox/requests');
    expect((await hubspot('GET', `/crm/v3/objects/contacts/${created.body.id}`)).status).toBe(404);
    expect((await hubspot('GET', '/crm/v3/objects/contacts/1050')).status).toBe(200);
    expect(sb.state.telegram.charges.size).toBe(0);
    const journal = (await call('GET', '/__sandbox/requests')).body;
    expect(journal.map((e: Json) => [e.path, e.status])).toEqual([
      [`/crm/v3/objects/contacts/${created.body.id}`, 404],
      ['/crm/v3/objects/contacts/1050', 200],
    ]);
  });
});
