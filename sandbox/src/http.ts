/**
 * Small HTTP helpers shared by every emulated service: body reading and parsing, auth header
 * parsing, replies, ids and redaction. Services stay pure functions from a parsed request to a
 * Reply; the server owns the sockets.
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';

export type ServiceName = 'telegram' | 'stripe' | 'hubspot' | 'mixpanel' | 'amplitude' | 'toncenter';

export const SERVICE_NAMES: readonly ServiceName[] = ['telegram', 'stripe', 'hubspot', 'mixpanel', 'amplitude', 'toncenter'];

/** A response before serialization: `body` is sent as JSON unless `text` is given. */
export interface Reply {
  status: number;
  body?: unknown;
  text?: string;
  contentType?: string;
  headers?: Record<string, string>;
}

/** What a handler adds to the journal line of the request it served. */
export interface JournalNote {
  /** Short human summary for the log line, e.g. "50 inputs". */
  note?: string;
  /** Canonical operation name when the path alone is ambiguous (Telegram method names are case-insensitive). */
  operation?: string;
}

export interface ServiceRequest {
  method: string;
  /** Path below the service prefix, e.g. `/v1/products` for `/stripe/v1/products`. */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** Raw body, already gunzipped when the client sent `Content-Encoding: gzip`. */
  body: Buffer;
  /** `http://host:port` of the sandbox as the client reached it, for absolute links (HubSpot paging). */
  origin: string;
  journal: JournalNote;
}

export interface ServiceContext {
  /** Prints a line when logging is on (outgoing webhook deliveries, for instance). */
  log(line: string): void;
}

/** One emulated external API. */
export interface Service<S> {
  readonly name: ServiceName;
  handle(req: ServiceRequest, state: S, ctx: ServiceContext): Promise<Reply> | Reply;
  /** The service's own error shape, used for injected faults, unreadable bodies and crashes. */
  errorReply(status: number, message: string, options?: { retryAfter?: number }): Reply;
  /** Headers the real service puts on every response (request ids, rate-limit counters). */
  commonHeaders?(state: S): Record<string, string>;
  /** Removes credentials that the real API carries in the path (Telegram's bot token). */
  redactPath?(path: string): string;
}

export function jsonReply(status: number, body: unknown, headers?: Record<string, string>): Reply {
  return headers ? { status, body, headers } : { status, body };
}

export function sendReply(res: ServerResponse, reply: Reply, extraHeaders: Record<string, string> = {}): void {
  const payload = reply.text ?? JSON.stringify(reply.body ?? null);
  const contentType = reply.contentType ?? (reply.text === undefined ? 'application/json' : 'text/plain; charset=utf-8');
  res.writeHead(reply.status, {
    ...extraHeaders,
    ...reply.headers,
    'content-type': contentType,
    'content-length': String(Buffer.byteLength(payload)),
  });
  res.end(payload);
}

/** Reads the whole body; returns null once it exceeds `limit` bytes (the rest is discarded). */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = false;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) tooLarge = true;
    if (!tooLarge) chunks.push(chunk);
  }
  return tooLarge ? null : Buffer.concat(chunks);
}

/** Lower-cased media type without parameters (`application/json; charset=utf-8` -> `application/json`). */
export function mediaType(headers: IncomingHttpHeaders): string {
  return (headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

export function parseJson(body: Buffer): Parsed<unknown> {
  try {
    return { ok: true, value: JSON.parse(body.toString('utf8')) as unknown };
  } catch (error) {
    return { ok: false, message: error instanceof Error ? error.message : String(error) };
  }
}

/** Newline-delimited JSON: one value per non-empty line. */
export function parseNdjson(body: Buffer): Parsed<unknown[]> {
  const values: unknown[] = [];
  const lines = body.toString('utf8').split('\n');
  for (const [index, line] of lines.entries()) {
    if (line.trim() === '') continue;
    try {
      values.push(JSON.parse(line));
    } catch (error) {
      return { ok: false, message: `line ${index + 1}: ${error instanceof Error ? error.message : String(error)}` };
    }
  }
  return { ok: true, value: values };
}

export function parseForm(body: Buffer): URLSearchParams {
  return new URLSearchParams(body.toString('utf8'));
}

export type FormValue = string | FormValue[] | { [key: string]: FormValue };
export type FormObject = { [key: string]: FormValue };

/**
 * Rails/Stripe style nested form fields: `a[b]=c`, `a[]=x`, `a[0][b]=c`. A key used both as a
 * scalar and as a container is an error, as it is for Stripe.
 */
export function parseNestedForm(entries: Iterable<[string, string]>): Parsed<FormObject> {
  const root: FormObject = {};
  for (const [key, value] of entries) {
    const match = /^([^[\]]+)((?:\[[^[\]]*\])*)$/.exec(key);
    const segments = match ? [match[1]!, ...[...match[2]!.matchAll(/\[([^[\]]*)\]/g)].map((m) => m[1]!)] : [key];
    let container: FormObject | FormValue[] = root;
    for (let i = 0; i < segments.length; i += 1) {
      const segment = segments[i]!;
      const last = i === segments.length - 1;
      const next = segments[i + 1];
      const fresh: () => FormValue = () => (next === '' || (next !== undefined && /^\d+$/.test(next)) ? [] : {});
      if (Array.isArray(container)) {
        const index: number = segment === '' ? container.length : Number(segment);
        if (!Number.isInteger(index)) return { ok: false, message: `Invalid array: ${key}` };
        if (last) {
          container[index] = value;
        } else {
          container[index] ??= fresh();
          const child: FormValue | undefined = container[index];
          if (typeof child !== 'object') return { ok: false, message: `Invalid hash: ${key}` };
          container = child;
        }
      } else {
        if (last) {
          if (typeof container[segment] === 'object') return { ok: false, message: `Invalid hash: ${key}` };
          container[segment] = value;
        } else {
          container[segment] ??= fresh();
          const child: FormValue | undefined = container[segment];
          if (typeof child !== 'object') return { ok: false, message: `Invalid hash: ${key}` };
          container = child;
        }
      }
    }
  }
  return { ok: true, value: compactArrays(root) as FormObject };
}

// `a[2]=x` without `a[0]` leaves holes; collapse them so consumers see a plain list.
function compactArrays(value: FormValue): FormValue {
  if (Array.isArray(value)) return value.filter((v) => v !== undefined).map(compactArrays);
  if (typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, compactArrays(v)]));
  return value;
}

/** Query parameters as a plain object (repeated keys become arrays), for the journal. */
export function queryObject(query: URLSearchParams): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [key, value] of query) {
    const existing = out[key];
    out[key] = existing === undefined ? value : Array.isArray(existing) ? [...existing, value] : [existing, value];
  }
  return out;
}

export function bearerToken(headers: IncomingHttpHeaders): string | undefined {
  return /^Bearer\s+(\S+)\s*$/i.exec(headers.authorization ?? '')?.[1];
}

export function basicAuth(headers: IncomingHttpHeaders): { user: string; password: string } | undefined {
  const encoded = /^Basic\s+(\S+)\s*$/i.exec(headers.authorization ?? '')?.[1];
  if (!encoded) return undefined;
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? { user: decoded, password: '' } : { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

export function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/**
 * Ids for objects created at run time (payment intents, charges...). They are random rather than
 * counters so ids never repeat across sandbox restarts: the project's stores persist between runs
 * and de-duplicate on provider ids, so a restarted sandbox must not hand out `pi_1` again.
 */
export function newId(prefix: string, length = 24): string {
  const bytes = randomBytes(length);
  let id = prefix;
  for (const byte of bytes) id += ID_ALPHABET[byte % ID_ALPHABET.length];
  return id;
}

/**
 * Start value for counters that receivers de-duplicate on (Telegram update_id, invoice numbers).
 * Their stores outlive a sandbox restart, so a restarted sandbox must not count from 1 again:
 * start from tenths of a second since 2026-01-01, which stays within int32 until 2032 and is
 * ahead of any earlier run that averaged fewer than 10 values per second.
 */
export function monotonicStart(): number {
  return Math.floor((Date.now() - Date.UTC(2026, 0, 1)) / 100);
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export const REDACTED = '[redacted]';

const SECRET_KEYS = new Set(['token', 'api_key', 'apikey', 'authorization', 'provider_token', 'access_token', 'password']);

function isSecretKey(key: string): boolean {
  const lower = key.toLowerCase();
  return SECRET_KEYS.has(lower) || lower.includes('secret');
}

/** Deep copy with credential-like fields replaced, so journals and logs never carry secrets. */
export function redact(value: unknown, depth = 0): unknown {
  if (depth > 20) return REDACTED;
  if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1));
  if (isRecord(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, isSecretKey(k) ? REDACTED : redact(v, depth + 1)]));
  }
  return value;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
