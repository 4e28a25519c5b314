/** Options for {@link waitFor}. */
export interface WaitOptions {
  /**
   * Give up after this many milliseconds.
   * @default 30000
   */
  timeoutMs?: number;
  /**
   * Pause between attempts.
   * @default 100
   */
  intervalMs?: number;
  /** Aborts the wait early; the abort reason is thrown. */
  signal?: AbortSignal;
}

/**
 * Calls `probe` until it returns something other than `undefined` or `false`, and resolves
 * with that value. A probe that throws counts as "not yet"; on timeout the error names
 * `what` and carries the last thrown error as `cause`, so a failing test says what it was
 * waiting for.
 */
export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  options: WaitOptions = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const intervalMs = options.intervalMs ?? 100;
  const deadline = performance.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    options.signal?.throwIfAborted();
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    if (performance.now() >= deadline) {
      const detail = lastError instanceof Error ? `: ${lastError.message}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${detail}`, { cause: lastError });
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
