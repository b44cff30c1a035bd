/**
 * The request id of the request being served, carried through async calls (AsyncLocalStorage),
 * so every log line and every masked error of one request names the same id without threading it
 * through each function. The id is echoed in the `x-request-id` response header.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';

const scope = new AsyncLocalStorage<{ requestId: string }>();

/** A client's own id is kept when it is short and plain; anything else is replaced, never logged as given. */
const SAFE_ID = /^[A-Za-z0-9._:-]{1,64}$/;

export function requestIdFrom(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header;
  return value && SAFE_ID.test(value) ? value : randomUUID();
}

export function runWithRequestId<T>(requestId: string, fn: () => T): T {
  return scope.run({ requestId }, fn);
}

export function currentRequestId(): string | undefined {
  return scope.getStore()?.requestId;
}
