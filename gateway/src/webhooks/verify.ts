/** Webhook authenticity checks, on the raw body, in constant time (EXTERNAL-APIS.md §2.4, §5.4). */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** Constant-time string equality that does not leak the length either (both sides hashed first). */
export function safeEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a, 'utf8').digest();
  const hb = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(ha, hb) && a.length === b.length;
}

/** `X-Telegram-Bot-Api-Secret-Token` must equal the secret given to setWebhook. */
export function verifyTelegramSecret(header: string | string[] | undefined, secret: string): boolean {
  const value = Array.isArray(header) ? header[0] : header;
  return typeof value === 'string' && value.length > 0 && safeEqual(value, secret);
}

export const STRIPE_TOLERANCE_SECONDS = 300;

export type StripeSignatureResult = { ok: true; timestamp: number } | { ok: false; reason: string };

/**
 * `Stripe-Signature: t=<unix>,v1=<hex>[,v1=...]`: valid when any v1 equals
 * HMAC-SHA256(secret, `${t}.${rawBody}`) and the timestamp is within the tolerance.
 */
export function verifyStripeSignature(
  rawBody: Buffer,
  header: string | string[] | undefined,
  secret: string,
  nowSeconds: number = Math.floor(Date.now() / 1000),
  toleranceSeconds = STRIPE_TOLERANCE_SECONDS,
): StripeSignatureResult {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return { ok: false, reason: 'missing Stripe-Signature header' };
  let timestamp: number | undefined;
  const signatures: string[] = [];
  for (const part of value.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const key = part.slice(0, eq).trim();
    const val = part.slice(eq + 1).trim();
    if (key === 't' && /^\d+$/.test(val)) timestamp = Number(val);
    else if (key === 'v1') signatures.push(val);
  }
  if (timestamp === undefined) return { ok: false, reason: 'no timestamp in Stripe-Signature' };
  if (signatures.length === 0) return { ok: false, reason: 'no v1 signature in Stripe-Signature' };
  const expected = createHmac('sha256', secret).update(`${timestamp}.`, 'utf8').update(rawBody).digest();
  let match = false;
  for (const sig of signatures) {
    const given = /^[0-9a-f]{64}$/i.test(sig) ? Buffer.from(sig, 'hex') : undefined;
    // Compare every candidate (no early exit) in constant time.
    if (given && timingSafeEqual(given, expected)) match = true;
  }
  if (!match) return { ok: false, reason: 'signature mismatch' };
  if (Math.abs(nowSeconds - timestamp) > toleranceSeconds) return { ok: false, reason: 'timestamp outside the tolerance' };
  return { ok: true, timestamp };
}

export const HUBSPOT_TOLERANCE_MS = 5 * 60_000;

/** Characters HubSpot decodes in the URI before signing (its v3 validation guide). */
const HUBSPOT_DECODED: Record<string, string> = {
  '%3A': ':',
  '%2F': '/',
  '%3F': '?',
  '%40': '@',
  '%21': '!',
  '%24': '$',
  '%27': "'",
  '%28': '(',
  '%29': ')',
  '%2A': '*',
  '%2C': ',',
  '%3B': ';',
};

/**
 * `X-HubSpot-Signature-v3`: base64 HMAC-SHA256 with the app's client secret over
 * `method + uri + body + timestamp`, where `X-HubSpot-Request-Timestamp` (ms) is at most 5 minutes old.
 */
export function verifyHubSpotSignature(
  input: {
    method: string;
    uri: string;
    rawBody: Buffer;
    signature: string | string[] | undefined;
    timestamp: string | string[] | undefined;
  },
  secret: string,
  nowMs: number = Date.now(),
  toleranceMs = HUBSPOT_TOLERANCE_MS,
): { ok: true } | { ok: false; reason: string } {
  const signature = Array.isArray(input.signature) ? input.signature[0] : input.signature;
  const timestamp = Array.isArray(input.timestamp) ? input.timestamp[0] : input.timestamp;
  if (!signature) return { ok: false, reason: 'missing X-HubSpot-Signature-v3 header' };
  if (!timestamp || !/^\d{1,16}$/.test(timestamp)) return { ok: false, reason: 'missing or malformed X-HubSpot-Request-Timestamp' };
  const uri = input.uri.replace(/%(3A|2F|3F|40|21|24|27|28|29|2A|2C|3B)/gi, (m) => HUBSPOT_DECODED[m.toUpperCase()] ?? m);
  const expected = createHmac('sha256', secret)
    .update(`${input.method}${uri}`, 'utf8')
    .update(input.rawBody)
    .update(timestamp, 'utf8')
    .digest();
  const given = Buffer.from(signature, 'base64');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'signature mismatch' };
  if (Math.abs(nowMs - Number(timestamp)) > toleranceMs) return { ok: false, reason: 'timestamp outside the tolerance' };
  return { ok: true };
}
