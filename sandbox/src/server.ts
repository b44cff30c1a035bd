/**
 * The sandbox HTTP server: routes `/<service>/...` to one emulator per external API, records
 * every call in the journal, applies injected faults, and serves the `/__sandbox/*` admin API:
 *
 *   GET    /__sandbox/health
 *   GET    /__sandbox/requests?service=&method=&path=   journal (JSON array, oldest first)
 *   DELETE /__sandbox/requests
 *   POST   /__sandbox/reset                             seed state back, journal and faults cleared
 *   GET    /__sandbox/faults
 *   POST   /__sandbox/faults  {service, status?, count?, delayMs?, retryAfter?}
 *   DELETE /__sandbox/faults[?service=]
 */
import { createServer, STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { Faults, type FaultRule } from './faults.ts';
import {
  jsonReply,
  mediaType,
  parseForm,
  parseJson,
  parseNdjson,
  parseNestedForm,
  queryObject,
  readBody,
  redact,
  sendReply,
  SERVICE_NAMES,
  sleep,
  type JournalNote,
  type Reply,
  type Service,
  type ServiceContext,
  type ServiceName,
  type ServiceRequest,
} from './http.ts';
import { formatJournalLine, Journal } from './journal.ts';
import { amplitudeService } from './services/amplitude.ts';
import { hubspotService } from './services/hubspot.ts';
import { mixpanelService } from './services/mixpanel.ts';
import { stripeService, type StripeWebhookEndpoint } from './services/stripe.ts';
import { telegramService, type TelegramWebhookConfig } from './services/telegram.ts';
import { toncenterService } from './services/toncenter.ts';
import { createSandboxState, resetSandboxState, type SandboxConfig, type SandboxState } from './state.ts';

export type { SandboxState } from './state.ts';
export type { JournalEntry } from './journal.ts';

export interface SandboxOptions {
  /** @default 0 (a free port) */
  port?: number;
  /** @default '127.0.0.1' */
  host?: string;
  /** Print one line per request on stdout. @default false */
  log?: boolean;
  /** Webhook registered from the start, as if the bot had called setWebhook. */
  telegramWebhook?: TelegramWebhookConfig;
  /** Stripe webhook endpoint configured from the start. */
  stripeWebhook?: StripeWebhookEndpoint;
  /** How long `/telegram/__sandbox/pay` waits for answerPreCheckoutQuery. @default 10000 */
  preCheckoutTimeoutMs?: number;
  /** Journal entries kept (oldest dropped first). @default 5000 */
  journalLimit?: number;
  /** Where log lines go. @default console.log */
  logger?: (line: string) => void;
}

export interface SandboxHandle {
  /** Base URL, e.g. `http://127.0.0.1:4100`; services live under `/<service>`. */
  url: string;
  port: number;
  state: SandboxState;
  journal: Journal;
  faults: Faults;
  /** Same as `POST /__sandbox/reset`. */
  reset(): void;
  close(): Promise<void>;
}

/** Bodies above this are refused with the service's 413 (Mixpanel's documented 10 MB plus headroom). */
const MAX_BODY_BYTES = 12 * 1024 * 1024;

interface BoundService {
  name: ServiceName;
  handle(req: ServiceRequest, ctx: ServiceContext): Promise<Reply> | Reply;
  errorReply: Service<unknown>['errorReply'];
  commonHeaders(): Record<string, string>;
  redactPath(path: string): string;
}

function bind<S>(service: Service<S>, slice: () => S): BoundService {
  return {
    name: service.name,
    handle: (req, ctx) => service.handle(req, slice(), ctx),
    errorReply: service.errorReply,
    commonHeaders: () => service.commonHeaders?.(slice()) ?? {},
    redactPath: (path) => service.redactPath?.(path) ?? path,
  };
}

/** The request body as the journal shows it: parsed when the content type says how, credentials redacted. */
function journalBody(req: IncomingMessage, body: Buffer): unknown {
  if (body.length === 0) return undefined;
  const type = mediaType(req.headers);
  let value: unknown;
  if (type === 'application/x-www-form-urlencoded') {
    const parsed = parseNestedForm(parseForm(body));
    value = parsed.ok ? parsed.value : body.toString('utf8');
  } else if (type === 'application/x-ndjson') {
    const parsed = parseNdjson(body);
    value = parsed.ok ? parsed.value : body.toString('utf8');
  } else {
    const parsed = parseJson(body);
    value = parsed.ok ? parsed.value : body.length <= 4096 ? body.toString('utf8') : `<${body.length} bytes>`;
  }
  return redact(value);
}

export async function startSandbox(options: SandboxOptions = {}): Promise<SandboxHandle> {
  const config: SandboxConfig = {
    telegram: {
      ...(options.telegramWebhook ? { webhook: options.telegramWebhook } : {}),
      ...(options.preCheckoutTimeoutMs !== undefined ? { preCheckoutTimeoutMs: options.preCheckoutTimeoutMs } : {}),
    },
    stripe: options.stripeWebhook ? { webhook: options.stripeWebhook } : {},
  };
  const state = createSandboxState(config);
  const journal = new Journal(options.journalLimit);
  const faults = new Faults();
  const logger = options.logger ?? ((line: string) => console.log(line));
  const ctx: ServiceContext = { log: (line) => options.log && logger(line) };
  const services = new Map<string, BoundService>([
    ['telegram', bind(telegramService, () => state.telegram)],
    ['stripe', bind(stripeService, () => state.stripe)],
    ['hubspot', bind(hubspotService, () => state.hubspot)],
    ['mixpanel', bind(mixpanelService, () => state.mixpanel)],
    ['amplitude', bind(amplitudeService, () => state.amplitude)],
    ['toncenter', bind(toncenterService, () => state.toncenter)],
  ]);
  let baseUrl = '';

  const reset = () => {
    resetSandboxState(state, config);
    journal.clear();
    faults.clear();
  };

  async function adminRoute(req: IncomingMessage, url: URL): Promise<Reply> {
    const route = `${req.method} ${url.pathname}`;
    switch (route) {
      case 'GET /__sandbox/health':
        return jsonReply(200, { ok: true, services: Object.fromEntries(SERVICE_NAMES.map((name) => [name, `${baseUrl}/${name}`])) });
      case 'GET /__sandbox/requests':
        return jsonReply(
          200,
          journal.list({
            ...(url.searchParams.get('service') ? { service: url.searchParams.get('service')! } : {}),
            ...(url.searchParams.get('method') ? { method: url.searchParams.get('method')! } : {}),
            ...(url.searchParams.get('path') ? { path: url.searchParams.get('path')! } : {}),
          }),
        );
      case 'DELETE /__sandbox/requests':
        return jsonReply(200, { cleared: journal.clear() });
      case 'POST /__sandbox/reset':
        reset();
        return jsonReply(200, { ok: true });
      case 'GET /__sandbox/faults':
        return jsonReply(200, faults.list());
      case 'POST /__sandbox/faults': {
        const body = await readBody(req, 64 * 1024);
        const parsed = body ? parseJson(body) : undefined;
        const result = faults.set(parsed?.ok ? parsed.value : undefined);
        return typeof result === 'string' ? jsonReply(400, { error: result }) : jsonReply(200, result);
      }
      case 'DELETE /__sandbox/faults': {
        const service = url.searchParams.get('service');
        faults.clear(service && SERVICE_NAMES.includes(service as ServiceName) ? (service as ServiceName) : undefined);
        return jsonReply(200, { ok: true });
      }
      default:
        return jsonReply(404, { error: `no sandbox admin route ${route}` });
    }
  }

  async function serviceRoute(req: IncomingMessage, res: ServerResponse, url: URL, service: BoundService, subPath: string) {
    const started = performance.now();
    const at = new Date().toISOString();
    const helper = subPath.startsWith('/__sandbox/');
    const note: JournalNote = {};
    let fault: FaultRule | undefined;
    let reply: Reply;
    let body: Buffer | null = await readBody(req, MAX_BODY_BYTES);
    if (body === null) {
      reply = service.errorReply(413, 'Request body too large');
      body = Buffer.alloc(0);
    } else {
      let decoded: Buffer | undefined = body;
      if ((req.headers['content-encoding'] ?? '').toLowerCase() === 'gzip') {
        try {
          decoded = gunzipSync(body, { maxOutputLength: MAX_BODY_BYTES });
        } catch {
          decoded = undefined;
        }
      }
      if (!decoded) {
        reply = service.errorReply(400, 'Content-Encoding is gzip but the body is not valid gzip data');
      } else {
        body = decoded;
        fault = helper ? undefined : faults.take(service.name);
        if (fault && fault.delayMs > 0) await sleep(fault.delayMs);
        if (fault?.status !== undefined) {
          reply = service.errorReply(fault.status, STATUS_CODES[fault.status] ?? 'Error', { retryAfter: fault.retryAfter });
        } else {
          const request: ServiceRequest = {
            method: req.method ?? 'GET',
            path: subPath,
            query: url.searchParams,
            headers: req.headers,
            body: decoded,
            origin: `http://${req.headers.host ?? new URL(baseUrl).host}`,
            journal: note,
          };
          try {
            reply = await service.handle(request, ctx);
          } catch (error) {
            // A bug in an emulator must not take the sandbox down: answer like the service's own 500.
            logger(
              `sandbox  ${service.name.padEnd(9)}  internal error on ${req.method} ${service.redactPath(subPath)}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
            );
            reply = service.errorReply(500, 'internal error');
          }
        }
      }
    }
    sendReply(res, reply, service.commonHeaders());
    const durationMs = Math.round(performance.now() - started);
    if (helper) {
      // Helpers are test plumbing, not calls to the emulated API: logged, never journaled.
      if (options.log)
        logger(`sandbox  ${service.name.padEnd(9)}  ${req.method} ${subPath} ${reply.status} ${durationMs}ms (sandbox helper)`);
      return;
    }
    const entry = journal.record({
      service: service.name,
      method: req.method ?? 'GET',
      path: service.redactPath(subPath),
      ...(note.operation ? { operation: note.operation } : {}),
      query: redact(queryObject(url.searchParams)) as Record<string, string | string[]>,
      body: journalBody(req, body),
      status: reply.status,
      durationMs,
      at,
      ...(note.note ? { note: note.note } : {}),
      ...(fault?.status !== undefined ? { fault: true as const } : {}),
    });
    if (options.log) logger(formatJournalLine(entry));
  }

  async function onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const url = new URL(req.url ?? '/', 'http://sandbox.local');
      const path = url.pathname;
      if (path.startsWith('/__sandbox/')) {
        sendReply(res, await adminRoute(req, url));
        return;
      }
      const prefix = path.split('/')[1] ?? '';
      const service = services.get(prefix);
      if (!service) {
        req.resume();
        sendReply(res, jsonReply(404, { error: `no emulated service at ${path}`, services: SERVICE_NAMES.map((name) => `/${name}`) }));
        return;
      }
      await serviceRoute(req, res, url, service, path.slice(prefix.length + 1) || '/');
    } catch (error) {
      logger(`sandbox  request failed: ${error instanceof Error ? error.message : String(error)}`);
      if (!res.headersSent) sendReply(res, jsonReply(500, { error: 'sandbox internal error' }));
      else res.destroy();
    }
  }

  const server = createServer((req, res) => void onRequest(req, res));
  server.keepAliveTimeout = 5000;
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  baseUrl = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  return {
    url: baseUrl,
    port,
    state,
    journal,
    faults,
    reset,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
