/**
 * Async iterators for long-lived streams (subscriptions). This helper (and
 * mapAsyncIterator in @tma/engine, which the gateway uses) ends
 * promptly when the consumer calls `return()` — a client that disconnects must
 * release its listener at once, even while nothing is being produced (an async
 * generator blocked in `await` would only see the `return()` at its next yield).
 */

/** A consumer-side view of a queue of keys: newest state wins, bounded, ends on `return()`. */
export interface KeyQueue<K> {
  /** Enqueue `key` (moved to the back when already pending). */
  push(key: K): void;
  /** No more keys: the iterator ends after the pending ones. */
  end(): void;
}

/**
 * An async iterator over keys that coalesces repeats (a key already waiting is
 * not queued twice) and keeps at most `maxPending` keys (the oldest is dropped
 * and reported). For streams where a key means "this thing changed, read it
 * again", coalescing loses nothing: one read returns the latest state.
 */
export function keyQueueIterator<K, T>(options: {
  maxPending: number;
  /** Turns a key into the emitted value; `undefined` skips it. */
  load: (key: K) => Promise<T | undefined>;
  onDrop?: (key: K) => void;
  /** Runs once when the iterator finishes, however it finishes. */
  onClose?: () => void;
}): { queue: KeyQueue<K>; iterator: AsyncIterableIterator<T> } {
  const pending = new Set<K>();
  let ended = false;
  let closed = false;
  let wake: (() => void) | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const close = () => {
    if (closed) return;
    closed = true;
    pending.clear();
    notify();
    options.onClose?.();
  };
  const queue: KeyQueue<K> = {
    push(key) {
      if (closed || ended) return;
      pending.delete(key);
      pending.add(key);
      if (pending.size > options.maxPending) {
        const oldest = pending.values().next().value as K;
        pending.delete(oldest);
        options.onDrop?.(oldest);
      }
      notify();
    },
    end() {
      ended = true;
      notify();
    },
  };
  const done = (): IteratorResult<T> => ({ done: true, value: undefined });
  const iterator: AsyncIterableIterator<T> = {
    async next(): Promise<IteratorResult<T>> {
      for (;;) {
        if (closed) return done();
        const first = pending.values().next();
        if (!first.done) {
          pending.delete(first.value);
          const value = await options.load(first.value);
          if (closed) return done();
          if (value !== undefined) return { done: false, value };
          continue;
        }
        if (ended) {
          close();
          return done();
        }
        await new Promise<void>((resolve) => (wake = resolve));
      }
    },
    async return(): Promise<IteratorResult<T>> {
      close();
      return done();
    },
    async throw(error?: unknown): Promise<IteratorResult<T>> {
      close();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
  return { queue, iterator };
}
