/** Webhook authenticity checks (gateway/src/webhooks/verify.ts) against EXTERNAL-APIS.md TV4. */
import { describe, expect, it } from 'vitest';
import { safeEqual, verifyStripeSignature, verifyTelegramSecret } from '../gateway/src/webhooks/verify.ts';

const SECRET = 'whsec_test_secret_123';
const BODY =
  '{"id":"evt_test_1","object":"event","type":"payment_intent.succeeded","data":{"object":{"id":"pi_test_1","object":"payment_intent","amount":1999,"currency":"usd","status":"succeeded"}}}';
const V1 = 'e7c2e0df2850e11986f9ea6d6c420a3bfadc747bd6ce30278a8991b6abf9800a';

describe('Stripe-Signature (TV4)', () => {
  const raw = Buffer.from(BODY);
  it('accepts the vector', () => {
    expect(verifyStripeSignature(raw, `t=1700000000,v1=${V1}`, SECRET, 1700000000)).toEqual({ ok: true, timestamp: 1700000000 });
  });
  it('accepts when a wrong v1 precedes the right one', () => {
    expect(verifyStripeSignature(raw, `t=1700000000,v1=${'0'.repeat(64)},v1=${V1}`, SECRET, 1700000000).ok).toBe(true);
  });
  it('rejects a pretty-printed body, a stale timestamp, a wrong secret and a missing header', () => {
    expect(
      verifyStripeSignature(Buffer.from(JSON.stringify(JSON.parse(BODY), null, 2)), `t=1700000000,v1=${V1}`, SECRET, 1700000000).ok,
    ).toBe(false);
    expect(verifyStripeSignature(raw, `t=1700000000,v1=${V1}`, SECRET, 1700000301).ok).toBe(false);
    expect(verifyStripeSignature(raw, `t=1700000000,v1=${V1}`, 'whsec_other', 1700000000).ok).toBe(false);
    expect(verifyStripeSignature(raw, undefined, SECRET, 1700000000).ok).toBe(false);
    expect(verifyStripeSignature(raw, `v1=${V1}`, SECRET, 1700000000).ok).toBe(false);
  });
});

describe('Telegram secret token', () => {
  it('compares exactly', () => {
    expect(verifyTelegramSecret('sandbox-webhook-secret', 'sandbox-webhook-secret')).toBe(true);
    expect(verifyTelegramSecret('sandbox-webhook-secre', 'sandbox-webhook-secret')).toBe(false);
    expect(verifyTelegramSecret(undefined, 'sandbox-webhook-secret')).toBe(false);
    expect(verifyTelegramSecret('', 'sandbox-webhook-secret')).toBe(false);
    expect(safeEqual('a', 'b')).toBe(false);
  });
});
