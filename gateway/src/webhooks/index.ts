/**
 * Webhook ingress on the gateway port: `POST /webhooks/telegram`,
 * `POST /webhooks/stripe` (to payments) and `POST /webhooks/hubspot` (to crm).
 * The gateway checks authenticity on the raw body (secret token / signature,
 * constant time) and hands the event to the owning subgraph's internal route
 * under a `system` identity token. It
 * acknowledges (2xx) only after the subgraph answered 200, i.e. after the event
 * is stored durably; any other outcome is a 5xx, so the provider redelivers.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { request as undiciRequest } from 'undici';
import type { Config } from '../../../lib/config.ts';
import type { Logger } from '../../../lib/logger.ts';
import type { Identity } from '../../../lib/internalToken.ts';
import { BodyTooLargeError, readRawBody, refuseTooLarge, sendJson } from '../../../lib/http/io.ts';
import type { CacheVersions } from '../cache/responseCache.ts';
import { verifyHubSpotSignature, verifyStripeSignature, verifyTelegramSecret } from './verify.ts';

export type RouteHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

/** Internal paths on the payments subgraph (subgraphs/payments/mutations.ts WEBHOOK_ROUTES). */
export const PAYMENTS_WEBHOOK_PATHS = { telegram: '/internal/webhooks/telegram', stripe: '/internal/webhooks/stripe' } as const;
/** Internal path on the crm subgraph (subgraphs/crm/index.ts HUBSPOT_WEBHOOK_ROUTE). */
export const CRM_WEBHOOK_PATH = '/internal/webhooks/hubspot';

const SYSTEM_IDENTITY: Identity = { roles: ['system'], audience: 'miniapp' };
const MAX_BODY_BYTES = 1024 * 1024;
/** Telegram waits 10 s for a pre-checkout answer; the hand-off must finish well before. */
const HANDOFF_TIMEOUT_MS = 8_000;

export interface WebhookOptions {
  config: Config;
  log: Logger;
  /** Base URL of the payments subgraph (its routing URL; the path is replaced). */
  paymentsUrl: string;
  /** Base URL of the crm subgraph; without it there is no HubSpot ingress. */
  crmUrl?: string;
  /** Response-cache versions, bumped for the users a HubSpot change touched. */
  versions?: CacheVersions;
  signToken: (identity: Identity) => Promise<string>;
  now?: () => number;
}

export function createWebhookRoutes(options: WebhookOptions): Record<string, RouteHandler> {
  const { config, log } = options;
  const now = options.now ?? Date.now;

  async function handOff(url: URL, event: unknown): Promise<{ status: number; body: unknown }> {
    const res = await undiciRequest(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await options.signToken(SYSTEM_IDENTITY)}` },
      body: JSON.stringify(event),
      signal: AbortSignal.timeout(HANDOFF_TIMEOUT_MS),
    });
    const text = await res.body.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // keep the text
    }
    return { status: res.statusCode, body };
  }

  async function ingest(kind: 'telegram' | 'stripe', event: unknown, eventId: string, res: ServerResponse): Promise<void> {
    const started = performance.now();
    try {
      const out = await handOff(new URL(PAYMENTS_WEBHOOK_PATHS[kind], options.paymentsUrl), event);
      const ms = Math.round(performance.now() - started);
      if (out.status === 200) {
        log.info({ kind, eventId, ms }, 'webhook stored');
        return sendJson(res, 200, { ok: true });
      }
      if (out.status === 400) return sendJson(res, 400, { ok: false, error: 'malformed event' });
      log.error({ kind, eventId, status: out.status }, 'webhook hand-off refused');
    } catch (error) {
      log.error(
        { kind, eventId, err: error instanceof Error ? { name: error.name, message: error.message } : error },
        'webhook hand-off failed',
      );
    }
    // Not stored: make the provider redeliver.
    sendJson(res, 503, { ok: false, error: 'not stored, retry later' });
  }

  async function read(req: IncomingMessage, res: ServerResponse): Promise<Buffer | undefined> {
    if (req.method !== 'POST') {
      sendJson(res, 405, { ok: false, error: 'POST only' }, { allow: 'POST' });
      return undefined;
    }
    try {
      return await readRawBody(req, MAX_BODY_BYTES);
    } catch (error) {
      if (error instanceof BodyTooLargeError) refuseTooLarge(req, res, MAX_BODY_BYTES);
      else throw error;
      return undefined;
    }
  }

  /** A provider switched off (production without its credentials) has no webhook: an empty secret would verify anything. */
  function notConfigured(res: ServerResponse, provider: string, secret: string): boolean {
    if (secret !== '') return false;
    sendJson(res, 404, { ok: false, error: `${provider} webhooks are not configured on this deployment` });
    return true;
  }

  /** The URI HubSpot called, as it signed it: scheme and host as the client (or proxy) saw them. */
  function requestUri(req: IncomingMessage): string {
    const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v)?.split(',')[0]?.trim();
    const proto = first(req.headers['x-forwarded-proto']) ?? 'http';
    const host = first(req.headers['x-forwarded-host']) ?? req.headers.host ?? '';
    return `${proto}://${host}${req.url ?? ''}`;
  }

  async function hubspot(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (notConfigured(res, 'hubspot', config.hubspot.webhookSecret)) return;
    const raw = await read(req, res);
    if (!raw) return;
    const verdict = verifyHubSpotSignature(
      {
        method: 'POST',
        uri: requestUri(req),
        rawBody: raw,
        signature: req.headers['x-hubspot-signature-v3'],
        timestamp: req.headers['x-hubspot-request-timestamp'],
      },
      config.hubspot.webhookSecret,
      now(),
    );
    if (!verdict.ok) {
      log.warn({ reason: verdict.reason }, 'hubspot webhook refused');
      return sendJson(res, 401, { ok: false, error: `invalid signature: ${verdict.reason}` });
    }
    let events: unknown;
    try {
      events = JSON.parse(raw.toString('utf8'));
    } catch {
      return sendJson(res, 400, { ok: false, error: 'body must be a JSON array of events' });
    }
    try {
      const out = await handOff(new URL(CRM_WEBHOOK_PATH, options.crmUrl), events);
      if (out.status === 400) return sendJson(res, 400, { ok: false, error: 'malformed events' });
      if (out.status === 200) {
        const result = out.body as { stored: number; duplicates: number; userIds: string[] | null };
        // Cached responses about those users are stale now; unknown users: every private entry.
        if (options.versions) {
          if (result.userIds === null) await options.versions.invalidateAllPrivate();
          else await Promise.all(result.userIds.map((id) => options.versions!.invalidateUser(id)));
        }
        log.info({ kind: 'hubspot', stored: result.stored, duplicates: result.duplicates }, 'webhook stored');
        return sendJson(res, 200, { ok: true });
      }
      log.error({ kind: 'hubspot', status: out.status }, 'webhook hand-off refused');
    } catch (error) {
      log.error(
        { kind: 'hubspot', err: error instanceof Error ? { name: error.name, message: error.message } : error },
        'webhook hand-off failed',
      );
    }
    sendJson(res, 503, { ok: false, error: 'not stored, retry later' });
  }

  return {
    ...(options.crmUrl ? { '/webhooks/hubspot': hubspot } : {}),
    '/webhooks/telegram': async (req, res) => {
      if (notConfigured(res, 'telegram', config.telegram.webhookSecret)) return;
      const raw = await read(req, res);
      if (!raw) return;
      if (!verifyTelegramSecret(req.headers['x-telegram-bot-api-secret-token'], config.telegram.webhookSecret)) {
        log.warn('telegram webhook with a wrong or missing secret token refused');
        return sendJson(res, 401, { ok: false, error: 'wrong secret token' });
      }
      let update: { update_id?: unknown };
      try {
        update = JSON.parse(raw.toString('utf8')) as { update_id?: unknown };
      } catch {
        return sendJson(res, 400, { ok: false, error: 'body must be a JSON Update' });
      }
      if (typeof update !== 'object' || update === null || !Number.isSafeInteger(update.update_id)) {
        return sendJson(res, 400, { ok: false, error: 'update_id missing' });
      }
      await ingest('telegram', update, String(update.update_id), res);
    },
    '/webhooks/stripe': async (req, res) => {
      if (notConfigured(res, 'stripe', config.stripe.webhookSecret)) return;
      const raw = await read(req, res);
      if (!raw) return;
      const verdict = verifyStripeSignature(raw, req.headers['stripe-signature'], config.stripe.webhookSecret, Math.floor(now() / 1000));
      if (!verdict.ok) {
        log.warn({ reason: verdict.reason }, 'stripe webhook refused');
        return sendJson(res, 400, { ok: false, error: `invalid signature: ${verdict.reason}` });
      }
      let event: { id?: unknown; type?: unknown };
      try {
        event = JSON.parse(raw.toString('utf8')) as { id?: unknown; type?: unknown };
      } catch {
        return sendJson(res, 400, { ok: false, error: 'body must be a JSON event' });
      }
      if (typeof event !== 'object' || event === null || typeof event.id !== 'string' || typeof event.type !== 'string') {
        return sendJson(res, 400, { ok: false, error: 'not a Stripe event' });
      }
      await ingest('stripe', event, event.id, res);
    },
  };
}
