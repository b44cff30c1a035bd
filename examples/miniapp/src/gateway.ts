/**
 * The app's only way to the gateway: persisted documents by id. Every
 * operation comes from the generated typed client (`npm run codegen` →
 * schema/client), whose documents carry their sha256 id; the query text is
 * never sent (the gateway may enforce that with PERSISTED_DOCUMENTS=enforce).
 */
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import * as operations from '../../../schema/client/graphql.ts';

export class GatewayError extends Error {
  readonly code: string | undefined;
  constructor(message: string, code: string | undefined) {
    super(message);
    this.code = code;
  }
}

type PersistedDocument<R, V> = TypedDocumentNode<R, V> & { __meta__?: { hash?: string } };

export interface Gateway {
  request<R, V>(document: PersistedDocument<R, V>, variables?: V): Promise<R>;
  /** Follows a payment until `done` says stop: SSE subscription when the gateway has one, else polling. */
  watchPayment(
    id: string,
    onUpdate: (payment: { id: string; status: string }) => boolean,
    fallback: () => Promise<{ id: string; status: string } | null>,
  ): Promise<'subscription' | 'polling'>;
}

function idOf(document: { __meta__?: { hash?: string } }): string {
  const id = document.__meta__?.hash;
  if (!id) throw new Error('document without a persisted id: regenerate the client (npm run codegen)');
  return id;
}

/**
 * The subscription the app uses when the gateway supports subscriptions: an
 * operation named `PaymentUpdated` in schema/operations taking `$id` and
 * selecting `{ id status }` of the payment (e.g.
 * `subscription PaymentUpdated($id: ID!) { paymentUpdated(id: $id) { id status } }`),
 * generated like every other operation. Without it (or
 * when the gateway does not answer text/event-stream) the app polls `payment(id)`.
 */
const paymentUpdated = (operations as Record<string, unknown>)['PaymentUpdatedDocument'] as { __meta__?: { hash?: string } } | undefined;
const paymentUpdatedId = paymentUpdated?.__meta__?.hash;

export function createGateway(url: string, initData: string): Gateway {
  const headers = { 'content-type': 'application/json', authorization: `tma ${initData}` };

  async function request<R, V>(document: PersistedDocument<R, V>, variables?: V): Promise<R> {
    const res = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ documentId: idOf(document), variables }) });
    const body = (await res.json()) as { data?: R; errors?: { message: string; extensions?: { code?: string } }[] };
    if (body.errors?.length) throw new GatewayError(body.errors[0]!.message, body.errors[0]!.extensions?.code);
    return body.data as R;
  }

  /** graphql-sse "distinct connections": one POST answered with text/event-stream; false when the gateway cannot. */
  async function subscribe(id: string, onUpdate: (payment: { id: string; status: string }) => boolean): Promise<boolean> {
    if (!paymentUpdatedId) return false;
    const controller = new AbortController();
    let res: Response;
    try {
      res = await fetch(url, {
        method: 'POST',
        headers: { ...headers, accept: 'text/event-stream' },
        body: JSON.stringify({ documentId: paymentUpdatedId, variables: { id } }),
        signal: controller.signal,
      });
    } catch {
      return false;
    }
    if (!res.ok || !res.body || !res.headers.get('content-type')?.includes('text/event-stream')) {
      await res.body?.cancel();
      return false;
    }
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return true;
      buffer += value;
      let end: number;
      while ((end = buffer.indexOf('\n\n')) !== -1) {
        const event = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = event
          .split('\n')
          .find((l) => l.startsWith('data:'))
          ?.slice(5)
          .trim();
        if (!event.startsWith('event: next') || !data) continue;
        // The subscription's one root field, whatever it is called (paymentUpdated, …).
        const result = (JSON.parse(data) as { data?: Record<string, { id: string; status: string } | null> }).data;
        const payment = result ? Object.values(result)[0] : undefined;
        if (payment && !onUpdate(payment)) {
          controller.abort();
          return true;
        }
      }
    }
  }

  return {
    request,
    async watchPayment(id, onUpdate, fallback) {
      if (await subscribe(id, onUpdate)) return 'subscription';
      for (;;) {
        const payment = await fallback();
        if (payment && !onUpdate(payment)) return 'polling';
        await new Promise((r) => setTimeout(r, 1_000));
      }
    },
  };
}
