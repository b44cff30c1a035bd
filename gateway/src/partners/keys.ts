/**
 * Partner API keys (DESIGN.md "Trust boundaries": stored hashed, scoped, rate
 * limited) given as configuration; keys managed with `npm run keys` live in
 * the database (keyStore.ts). The configuration holds only the SHA-256 of each key, never the
 * key, so a leaked environment or config dump cannot be replayed against the
 * endpoint. Keys are long random strings, which is why one fast hash is the
 * right tool here (a password hash would only slow every request down).
 *
 *   PARTNER_API_KEYS=acme:<sha256hex>,shop:<sha256hex>:catalog:read:120
 *
 * Entry: `name:sha256hex[:scope+scope][:rpm]`; scopes default `catalog:read`,
 * rpm (requests per minute) defaults to 600. Hash a key with
 * `node gateway/src/partners/hashKey.ts <key>`.
 */
import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { ConfigError } from '../../../lib/config.ts';

export const DEFAULT_SCOPES: readonly string[] = ['catalog:read'];
export const DEFAULT_RPM = 600;

export interface PartnerKey {
  /** Public label of the key: logs, metrics, rate-limit and quota counters. Never the key itself. */
  name: string;
  scopes: ReadonlySet<string>;
  rpm: number;
  /** SHA-256 of the key, lowercase hex. */
  hash: string;
  /** Database keys only (`npm run keys`): their id, monthly quota and rotation expiry. */
  id?: string;
  monthlyQuota?: number | null;
  expiresAt?: number | null;
}

const NAME = /^[A-Za-z0-9_.-]{1,64}$/;
const HEX_SHA256 = /^[0-9a-f]{64}$/i;
const SCOPE = /^[a-z][a-z0-9_-]*(:[a-z0-9_-]+)*$/i;

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/**
 * Parses PARTNER_API_KEYS. A malformed entry stops the gateway at start: a
 * silently ignored key would only surface as a partner's 401 much later.
 * Errors name the entry by position and name, never echo the hash.
 */
export function parsePartnerKeys(raw: string | undefined): PartnerKey[] {
  if (!raw) return [];
  const keys: PartnerKey[] = [];
  const entries = raw
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  entries.forEach((entry, index) => {
    const fail = (why: string): never => {
      throw new ConfigError([`PARTNER_API_KEYS entry ${index + 1}: ${why} (expected name:sha256hex[:scope+scope][:rpm])`]);
    };
    // Scopes contain ':' themselves (catalog:read), so split off name and hash, then read the tail.
    const [name = '', hash = '', ...tail] = entry.split(':');
    if (!NAME.test(name)) fail('the name must be 1-64 letters, digits, "_", "-" or "."');
    if (!HEX_SHA256.test(hash)) fail(`"${name}": the second part must be the key's SHA-256 as 64 hex digits`);
    let rpm = DEFAULT_RPM;
    if (tail.length > 0 && /^\d+$/.test(tail[tail.length - 1]!)) {
      rpm = Number(tail.pop());
      if (!Number.isSafeInteger(rpm) || rpm < 1) fail(`"${name}": rpm must be a positive integer`);
    }
    const scopeText = tail.join(':');
    const scopes = scopeText === '' ? [...DEFAULT_SCOPES] : scopeText.split('+').map((s) => s.trim());
    for (const scope of scopes) if (!SCOPE.test(scope)) fail(`"${name}": invalid scope "${scope}"`);
    if (keys.some((k) => k.name === name)) fail(`"${name}" is listed twice (names key the rate limit)`);
    keys.push({ name, scopes: new Set(scopes), rpm, hash: hash.toLowerCase() });
  });
  return keys;
}

/** `X-Api-Key: <key>`, or `Authorization: Bearer <key>` for clients that only do bearer auth. */
export function presentedKey(headers: IncomingHttpHeaders): string | undefined {
  const header = headers['x-api-key'];
  const direct = Array.isArray(header) ? header[0] : header;
  if (direct && direct.trim()) return direct.trim();
  const auth = headers.authorization;
  if (auth && /^bearer\s+/i.test(auth)) return auth.replace(/^bearer\s+/i, '').trim() || undefined;
  return undefined;
}
