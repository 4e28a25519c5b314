/**
 * Time, injected. Core logic never reads the wall clock or arms timers directly, so tests
 * run backoff and drain timeouts in microseconds with a fake clock.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch for the system clock; any epoch for fakes. */
  now(): number;
  /** Calls `fn` after `ms`; returns a cancel function. */
  setTimer(fn: () => void, ms: number): () => void;
}

/** The real clock: performance.now() and unref'd timers (they never keep the process alive). */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(fn, ms) {
    const handle = setTimeout(fn, Math.max(0, ms));
    handle.unref();
    return () => clearTimeout(handle);
  },
};
