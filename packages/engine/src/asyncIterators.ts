// Async iterator helper of the subscription executor, also used by the
// gateway's stream transports. It ends promptly when the consumer calls
// `return()` — a client that disconnects must release its upstream stream at
// once, even while nothing is being produced.

/**
 * `source` with every value passed through `map` (in order). `return()` is
 * forwarded to the source at once, so closing the mapped stream closes the
 * upstream one even while it is idle.
 */
export function mapAsyncIterator<T, U>(
  source: AsyncIterator<T>,
  map: (value: T) => Promise<U> | U,
  options: {
    onClose?: () => void;
    /** A failing source ends the stream with this last value (instead of throwing to the consumer). */
    lastValueOnError?: (error: unknown) => U;
  } = {},
): AsyncIterableIterator<U> {
  const { onClose, lastValueOnError } = options;
  let closed = false;
  // A next() waiting on an idle source finishes as soon as the stream is closed.
  let closeWaiting!: () => void;
  const closing = new Promise<IteratorResult<T>>((resolve) => (closeWaiting = () => resolve({ done: true, value: undefined })));
  const close = async (): Promise<IteratorResult<U>> => {
    if (!closed) {
      closed = true;
      closeWaiting();
      onClose?.();
      await source.return?.().catch(() => undefined);
    }
    return { done: true, value: undefined };
  };
  return {
    async next(): Promise<IteratorResult<U>> {
      if (closed) return { done: true, value: undefined };
      let step: IteratorResult<T>;
      try {
        step = await Promise.race([source.next(), closing]);
      } catch (error) {
        await close();
        if (lastValueOnError) return { done: false, value: lastValueOnError(error) };
        throw error;
      }
      if (step.done || closed) return close();
      return { done: false, value: await map(step.value) };
    },
    return: close,
    async throw(error?: unknown): Promise<IteratorResult<U>> {
      await close();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
