/**
 * Analytics destinations: Mixpanel /import (Basic auth with the project token,
 * ≤ 2000 events a request) and Amplitude HTTP V2 (≤ 2000 events a request).
 * Both deduplicate on the insert id we send, so re-sending a batch after a
 * crash or a 5xx is safe — which is what makes the outbox retry correct.
 */
import { createConnector, UpstreamError } from '../connector.ts';
import type { Logger } from '../../../lib/logger.ts';

export const SINK_BATCH_LIMIT = 2000;

export interface OutboundEvent {
  name: string;
  userId: string;
  insertId: string;
  /** ms since epoch */
  time: number;
  properties: Record<string, unknown>;
}

export interface SinkResult {
  /** Events the destination refused for good (bad data): never retried. */
  rejected: number;
}

export interface AnalyticsSink {
  readonly name: string;
  send(events: readonly OutboundEvent[]): Promise<SinkResult>;
  /** Most user ids one deletion request takes. */
  readonly deletionBatchLimit: number;
  /** Asks the destination to delete everything it holds about these users (its privacy API). */
  deleteUsers(userIds: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

/** Mixpanel GDPR API v3: ≤ 2000 distinct ids a task; Amplitude User Privacy API: ≤ 100 ids a request. */
export const MIXPANEL_DELETION_LIMIT = 2000;
export const AMPLITUDE_DELETION_LIMIT = 100;

/** A 4xx other than 429 means the batch itself is wrong; resending it unchanged cannot help. */
function isPermanent(error: unknown): error is UpstreamError {
  return error instanceof UpstreamError && error.status >= 400 && error.status < 500 && error.status !== 429 && error.status !== 413;
}

export function createMixpanelSink(options: {
  baseUrl: string;
  token: string;
  gdprToken: string;
  deletionUrl: string;
  log?: Logger;
}): AnalyticsSink {
  // The GDPR API lives on another host than ingestion and takes its own OAuth token.
  const privacy = createConnector({
    service: 'mixpanel',
    baseUrl: options.deletionUrl,
    headers: { authorization: `Bearer ${options.gdprToken}` },
    log: options.log,
    maxRetryAfterMs: 60_000,
    deadlineMs: 120_000,
  });
  const connector = createConnector({
    service: 'mixpanel',
    baseUrl: options.baseUrl,
    headers: { authorization: `Basic ${Buffer.from(`${options.token}:`).toString('base64')}` },
    log: options.log,
    maxRetryAfterMs: 60_000,
    deadlineMs: 120_000, // background forwarding, not a GraphQL request: a long flood wait is fine
  });
  return {
    name: 'mixpanel',
    async send(events) {
      const body = events.map((e) => ({
        event: e.name,
        properties: { ...e.properties, time: e.time, distinct_id: e.userId, $insert_id: e.insertId },
      }));
      try {
        await connector.request({ method: 'POST', path: '/import', query: { strict: 1 }, json: body, idempotent: true });
        return { rejected: 0 };
      } catch (error) {
        if (!isPermanent(error)) throw error;
        // 400 is a partial success: the listed records failed validation, the rest were imported.
        const failed = (error.body as { failed_records?: unknown[] } | undefined)?.failed_records;
        options.log?.warn({ failed: failed?.length ?? events.length }, 'mixpanel refused events');
        return { rejected: failed?.length ?? events.length };
      }
    },
    deletionBatchLimit: MIXPANEL_DELETION_LIMIT,
    async deleteUsers(userIds) {
      // Repeating a deletion request is harmless (a second task deletes nothing more).
      await privacy.request({
        method: 'POST',
        path: '/api/app/data-deletions/v3.0/',
        query: { token: options.token },
        json: { distinct_ids: userIds, compliance_type: 'GDPR' },
        idempotent: true,
      });
    },
    close: async () => {
      await Promise.all([connector.close(), privacy.close()]);
    },
  };
}

export function createAmplitudeSink(options: {
  baseUrl: string;
  apiKey: string;
  secretKey: string;
  deletionUrl: string;
  log?: Logger;
}): AnalyticsSink {
  // Background forwarding and deletions, not a GraphQL request: a long flood wait is fine.
  const connector = createConnector({
    service: 'amplitude',
    baseUrl: options.baseUrl,
    log: options.log,
    maxRetryAfterMs: 30_000,
    deadlineMs: 120_000,
  });
  const privacy = createConnector({
    service: 'amplitude',
    baseUrl: options.deletionUrl,
    headers: { authorization: `Basic ${Buffer.from(`${options.apiKey}:${options.secretKey}`).toString('base64')}` },
    log: options.log,
    maxRetryAfterMs: 30_000,
    deadlineMs: 120_000,
  });
  return {
    name: 'amplitude',
    async send(events) {
      const body = {
        api_key: options.apiKey,
        events: events.map((e) => ({
          event_type: e.name,
          user_id: e.userId,
          time: e.time,
          insert_id: e.insertId,
          event_properties: e.properties,
        })),
        // Telegram ids can be shorter than Amplitude's default minimum of 5 characters.
        options: { min_id_length: 1 },
      };
      try {
        await connector.request({ method: 'POST', path: '/2/httpapi', json: body, idempotent: true });
        return { rejected: 0 };
      } catch (error) {
        if (!isPermanent(error)) throw error;
        options.log?.warn({ status: error.status }, 'amplitude refused events');
        return { rejected: events.length };
      }
    },
    deletionBatchLimit: AMPLITUDE_DELETION_LIMIT,
    async deleteUsers(userIds) {
      await privacy.request({
        method: 'POST',
        path: '/api/2/deletions/users',
        json: { user_ids: userIds, requester: 'tma-gateway', ignore_invalid_ids: true },
        idempotent: true,
      });
    },
    close: async () => {
      await Promise.all([connector.close(), privacy.close()]);
    },
  };
}
