/**
 * The request id of the request being served, wherever the code runs
 * (AsyncLocalStorage), so every log line of a request carries it without
 * passing it around. The gateway takes a well-formed `X-Request-Id` from the
 * client or makes one, and answers with it.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';

const store = new AsyncLocalStorage<{ requestId: string }>();
const WELL_FORMED = /^[A-Za-z0-9._:-]{1,64}$/;

export function requestIdFrom(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header;
  return value && WELL_FORMED.test(value) ? value : randomUUID();
}

export function runWithRequestId<T>(requestId: string, work: () => T): T {
  return store.run({ requestId }, work);
}

export function activeRequestId(): string | undefined {
  return store.getStore()?.requestId;
}
