/**
 * Waiting for state in tests: poll until a condition holds, with a generous
 * deadline (the machine may be loaded; no test asserts on elapsed time).
 */
export async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000, intervalMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Polls `probe` until it returns a value (not undefined) and returns it. */
export async function waitFor<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 20_000, intervalMs = 100): Promise<T> {
  let value: T | undefined;
  await until(async () => (value = await probe()) !== undefined, what, timeoutMs, intervalMs);
  return value as T;
}
