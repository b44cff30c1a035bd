/**
 * Telegram Bot API connector: `POST <base>/bot<token>/<method>` with a JSON
 * body, `{ok, result}` envelope. Flood control (429 + parameters.retry_after)
 * is honoured by the connector base. The token is part of the URL path, so
 * paths are redacted before they reach a log line.
 */
import { createConnector, UpstreamError, type Connector } from '../connector.ts';
import type { Logger } from '../../../lib/logger.ts';

export interface TelegramChat {
  id: number;
  type: string;
  first_name?: string;
  last_name?: string;
  username?: string;
}

interface Envelope<T> {
  ok: boolean;
  result?: T;
  description?: string;
  error_code?: number;
  parameters?: { retry_after?: number };
}

/** A Bot API call that Telegram refused; `description` is Telegram's text (never contains the token). */
export class BotApiError extends Error {
  override name = 'BotApiError';
  readonly method: string;
  readonly errorCode: number;
  readonly description: string;
  constructor(method: string, errorCode: number, description: string) {
    super(`Telegram ${method} failed: ${description}`);
    this.method = method;
    this.errorCode = errorCode;
    this.description = description;
  }
}

export interface BotApi {
  call<T>(method: string, params?: Record<string, unknown>, options?: { idempotent?: boolean }): Promise<T>;
  close(): Promise<void>;
}

export function createBotApi(options: { baseUrl: string; token: string; log?: Logger; timeoutMs?: number; sandbox?: boolean }): BotApi {
  const connector: Connector = createConnector({
    service: 'telegram',
    baseUrl: options.baseUrl,
    timeoutMs: options.timeoutMs ?? 8_000,
    log: options.log,
    sandbox: options.sandbox,
    // Bulk limit from the Bot FAQ: about 30 messages/s across chats.
    rateLimit: { points: 30, durationSeconds: 1 },
    redactPath: (p) => p.replace(/\/bot[^/]+\//, '/bot<token>/'),
    classify: ({ status, body }) => {
      const retryAfter = (body as Envelope<unknown> | undefined)?.parameters?.retry_after;
      if (status === 429) return { retryable: true, retryAfterMs: (retryAfter ?? 1) * 1000 };
      return {};
    },
  });

  return {
    async call<T>(method: string, params: Record<string, unknown> = {}, callOptions: { idempotent?: boolean } = {}) {
      try {
        const res = await connector.request<Envelope<T>>({
          method: 'POST',
          path: `/bot${options.token}/${method}`,
          json: params,
          idempotent: callOptions.idempotent ?? false,
        });
        if (!res.body.ok) throw new BotApiError(method, res.body.error_code ?? res.status, res.body.description ?? 'unknown error');
        return res.body.result as T;
      } catch (error) {
        if (error instanceof UpstreamError && error.status >= 400 && error.status < 500 && error.status !== 429) {
          const env = error.body as Envelope<unknown> | undefined;
          throw new BotApiError(method, env?.error_code ?? error.status, env?.description ?? `HTTP ${error.status}`);
        }
        throw error;
      }
    },
    close: () => connector.close(),
  };
}
