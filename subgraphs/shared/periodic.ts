/**
 * A background job that runs `tick` every `intervalMs`, never two at once (a slow tick skips the
 * next beats instead of piling up), and stops cleanly: `stop()` waits for the tick in progress.
 * `flush()` runs one tick now (tests, shutdown).
 */
export function startPeriodic(tick: () => Promise<void>, intervalMs: number): { flush(): Promise<void>; stop(): Promise<void> } {
  let running: Promise<void> | undefined;
  let stopped = false;
  const timer = setInterval(() => {
    if (stopped || running) return;
    running = tick().finally(() => {
      running = undefined;
    });
  }, intervalMs);
  timer.unref();
  return {
    flush: () => tick(),
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
