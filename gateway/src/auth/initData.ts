/**
 * Verification of Telegram Mini App initData (EXTERNAL-APIS.md §1.3, §1.4).
 *
 * - First-party: HMAC-SHA256 over the sorted `key=value` lines of every field
 *   except `hash` (`signature` included), keyed with HMAC("WebAppData", token).
 * - Third-party: Ed25519 `signature` over `<botId>:WebAppData\n` + the lines
 *   without `hash` and `signature`, checked with Telegram's public key.
 * Either proof is accepted. The raw string is verified exactly as received
 * (never re-serialised), duplicated keys are refused, and `auth_date` must be
 * fresh and not in the future.
 */
import { createHmac, createPublicKey, timingSafeEqual, verify as verifySignature, type KeyObject } from 'node:crypto';
import type { TelegramProfile } from '../../../lib/internalToken.ts';

export const TELEGRAM_PUBLIC_KEYS = {
  production: 'e7bf03a2fa4602af4580703d88dda5bb59f32ed8b02a56c187fe7d34caed242d',
  test: '40055058a4ee38156a06562e52eece92a771bcd8346a8c4615cb7376eddf72ec',
} as const;

/** Allowed clock skew for an auth_date slightly in the future (client clocks drift). */
const FUTURE_SKEW_SECONDS = 60;

export type InitDataFailure = 'malformed' | 'invalid_signature' | 'expired' | 'not_yet_valid';

export type InitDataResult =
  | { ok: true; userId: string; profile: TelegramProfile; authDate: number; method: 'hmac' | 'ed25519'; startParam?: string }
  | { ok: false; reason: InitDataFailure; detail: string };

export interface InitDataVerifierOptions {
  botToken: string;
  maxAgeSeconds: number;
  /** Ed25519 public keys (hex) accepted for third-party signatures; Telegram's production key by default. */
  publicKeys?: readonly string[];
  now?: () => number;
}

function ed25519Key(hex: string): KeyObject {
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(hex, 'hex').toString('base64url') }, format: 'jwk' });
}

function safeEqualHex(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}

interface WebAppUser {
  id?: unknown;
  first_name?: unknown;
  last_name?: unknown;
  username?: unknown;
  language_code?: unknown;
  is_premium?: unknown;
  photo_url?: unknown;
}

/** `key=value` lines sorted by key (Telegram sorts by key, not by the whole line). */
function dataCheckLines(entries: [string, string][]): string[] {
  return entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => `${k}=${v}`);
}

const optionalString = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);

export function createInitDataVerifier(options: InitDataVerifierOptions) {
  // The secret key is derived once; the raw token is not needed after this line.
  const secretKey = createHmac('sha256', 'WebAppData').update(options.botToken).digest();
  const botId = options.botToken.split(':')[0] ?? '';
  const publicKeys = (options.publicKeys ?? [TELEGRAM_PUBLIC_KEYS.production]).map(ed25519Key);
  const now = options.now ?? Date.now;
  const fail = (reason: InitDataFailure, detail: string): InitDataResult => ({ ok: false, reason, detail });

  return function verifyInitData(raw: string): InitDataResult {
    if (raw.length === 0 || raw.length > 8192) return fail('malformed', 'initData is empty or too long');
    const fields = new Map<string, string>();
    for (const [key, value] of new URLSearchParams(raw)) {
      if (fields.has(key)) return fail('malformed', `duplicated key "${key}"`);
      fields.set(key, value);
    }
    const hash = fields.get('hash');
    const signature = fields.get('signature');
    const authDateRaw = fields.get('auth_date');
    if (!authDateRaw || !/^\d{1,12}$/.test(authDateRaw)) return fail('malformed', 'auth_date is missing or not a number');
    if (!hash && !signature) return fail('malformed', 'neither hash nor signature present');

    let method: 'hmac' | 'ed25519' | undefined;
    if (hash && /^[0-9a-f]{64}$/.test(hash)) {
      const lines = dataCheckLines([...fields].filter(([k]) => k !== 'hash'));
      const expected = createHmac('sha256', secretKey).update(lines.join('\n')).digest('hex');
      if (safeEqualHex(expected, hash)) method = 'hmac';
    }
    if (!method && signature) {
      const lines = dataCheckLines([...fields].filter(([k]) => k !== 'hash' && k !== 'signature'));
      const message = Buffer.from(`${botId}:WebAppData\n${lines.join('\n')}`);
      const sig = Buffer.from(signature, 'base64url');
      if (sig.length === 64 && publicKeys.some((key) => verifySignature(null, message, key, sig))) method = 'ed25519';
    }
    if (!method) return fail('invalid_signature', 'initData signature does not verify');

    const authDate = Number(authDateRaw);
    const nowSec = Math.floor(now() / 1000);
    if (authDate > nowSec + FUTURE_SKEW_SECONDS) return fail('not_yet_valid', 'auth_date is in the future');
    if (nowSec - authDate > options.maxAgeSeconds) return fail('expired', 'initData has expired (auth_date too old)');

    let user: WebAppUser;
    try {
      user = JSON.parse(fields.get('user') ?? 'null') as WebAppUser;
    } catch {
      return fail('malformed', 'user is not JSON');
    }
    if (!user || typeof user !== 'object' || (typeof user.id !== 'number' && typeof user.id !== 'string')) {
      return fail('malformed', 'initData carries no user');
    }
    const userId = String(user.id);
    if (!/^\d{1,20}$/.test(userId)) return fail('malformed', 'user.id is not a Telegram id');
    const profile: TelegramProfile = {
      firstName: optionalString(user.first_name) ?? '',
      lastName: optionalString(user.last_name),
      username: optionalString(user.username),
      languageCode: optionalString(user.language_code),
      isPremium: user.is_premium === true,
      photoUrl: optionalString(user.photo_url),
    };
    const startParam = fields.get('start_param');
    return { ok: true, userId, profile, authDate, method, ...(startParam ? { startParam } : {}) };
  };
}

export type InitDataVerifier = ReturnType<typeof createInitDataVerifier>;

/** Signs initData the way Telegram does (HMAC); for the sandbox helper script and tests. */
export function signInitData(fields: Record<string, string>, botToken: string): string {
  const secretKey = createHmac('sha256', 'WebAppData').update(botToken).digest();
  const lines = dataCheckLines(Object.entries(fields));
  const hash = createHmac('sha256', secretKey).update(lines.join('\n')).digest('hex');
  return new URLSearchParams({ ...fields, hash }).toString().replace(/\+/g, '%20');
}
