/**
 * HubSpot webhook signature v3 (gateway/src/webhooks/verify.ts) against a vector computed with
 * openssl (`printf '%s' 'POST' + uri + body + timestamp | openssl dgst -sha256 -hmac <secret> -binary | base64`).
 */
import { describe, expect, it } from 'vitest';
import { verifyHubSpotSignature } from '../gateway/src/webhooks/verify.ts';

const SECRET = 'hubspot-client-secret';
const BODY = Buffer.from('[{"eventId":1,"subscriptionType":"contact.creation","objectId":7}]');
const TS = '1700000000000';
const SIGNATURE = 'kqrWR6ewFmgnftMBaPBxvF15Jcv7r1w5vrc1mQbw+a4=';
const check = (over: Partial<Parameters<typeof verifyHubSpotSignature>[0]> = {}, secret = SECRET, now = 1700000000000) =>
  verifyHubSpotSignature(
    { method: 'POST', uri: 'https://example.com/webhooks/hubspot?a=b:c', rawBody: BODY, signature: SIGNATURE, timestamp: TS, ...over },
    secret,
    now,
  );

describe('X-HubSpot-Signature-v3', () => {
  it('accepts the vector, also when the URI arrives with the characters HubSpot decodes still encoded', () => {
    expect(check()).toEqual({ ok: true });
    expect(check({ uri: 'https://example.com/webhooks/hubspot?a=b%3Ac' })).toEqual({ ok: true });
  });
  it('accepts up to 5 minutes of clock difference, not more', () => {
    expect(check({}, SECRET, 1700000000000 + 300_000).ok).toBe(true);
    expect(check({}, SECRET, 1700000000000 + 300_001)).toEqual({ ok: false, reason: 'timestamp outside the tolerance' });
  });
  it('rejects another secret, body, URI or timestamp, and missing headers', () => {
    expect(check({}, 'other-secret').ok).toBe(false);
    expect(check({ rawBody: Buffer.from('[]') }).ok).toBe(false);
    expect(check({ uri: 'https://example.com/webhooks/hubspot' }).ok).toBe(false);
    expect(check({ timestamp: '1700000000001' }, SECRET).ok).toBe(false);
    expect(check({ signature: undefined }).ok).toBe(false);
    expect(check({ timestamp: 'yesterday' }).ok).toBe(false);
    expect(check({ signature: 'not base64 at all' }).ok).toBe(false);
  });
});
