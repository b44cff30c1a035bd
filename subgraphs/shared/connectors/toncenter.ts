/**
 * toncenter API v2 connector: reads the receiving wallet's transactions
 * (newest first, paged by lt + hash) to confirm incoming TON transfers.
 */
import { createConnector } from '../connector.ts';
import type { Logger } from '../../../lib/logger.ts';

export interface TonMessage {
  source: string;
  destination: string;
  value: string;
  /** Decoded text comment (v2), empty when the body is not a comment. */
  message?: string;
  /** v2 body: `msg.dataText` carries the comment base64-encoded. */
  msg_data?: { '@type'?: string; text?: string; body?: string };
  bounced?: boolean;
}
export interface TonTransaction {
  utime: number;
  transaction_id: { lt: string; hash: string };
  in_msg?: TonMessage;
  out_msgs: TonMessage[];
}

export function createToncenter(options: { baseUrl: string; apiKey?: string | undefined; log?: Logger; sandbox?: boolean }) {
  const connector = createConnector({
    service: 'toncenter',
    baseUrl: options.baseUrl,
    headers: options.apiKey ? { 'x-api-key': options.apiKey } : {},
    log: options.log,
    sandbox: options.sandbox,
    // Without a key toncenter allows 1 request/s.
    rateLimit: options.apiKey ? { points: 10, durationSeconds: 1 } : { points: 1, durationSeconds: 1 },
  });
  return {
    async getTransactions(
      address: string,
      params: { limit?: number; lt?: string; hash?: string; toLt?: string } = {},
    ): Promise<TonTransaction[]> {
      const res = await connector.request<{ ok: boolean; result: TonTransaction[] }>({
        method: 'GET',
        path: '/api/v2/getTransactions',
        query: { address, limit: params.limit ?? 50, lt: params.lt, hash: params.hash, to_lt: params.toLt, archival: true },
      });
      return res.body.result;
    },
    close: () => connector.close(),
  };
}
export type Toncenter = ReturnType<typeof createToncenter>;
