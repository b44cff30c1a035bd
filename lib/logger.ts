/**
 * One pino logger factory for every process. Credentials never reach a log
 * line: the redact list covers the headers and fields that carry them.
 */
import { pino, type Logger } from 'pino';
import { activeRequestId } from './requestContext.ts';
import { activeTraceIds } from './tracing.ts';

export type { Logger };

export function createLogger(component: string, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({
    name: component,
    level,
    base: undefined,
    // Every line written while serving a request names it (request id; trace and span ids when tracing).
    mixin() {
      const requestId = activeRequestId();
      return requestId ? { requestId, ...activeTraceIds() } : activeTraceIds();
    },
    redact: {
      paths: [
        'authorization',
        '*.authorization',
        'headers.authorization',
        'req.headers.authorization',
        '*.token',
        '*.secret',
        '*.botToken',
        '*.secretKey',
        'headers["x-telegram-bot-api-secret-token"]',
        'headers["stripe-signature"]',
      ],
      censor: '[redacted]',
    },
  });
}
