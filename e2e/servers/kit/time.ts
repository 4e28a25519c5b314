/**
 * The time sources the cloud test servers take: a clock in milliseconds and a sleeper. Both
 * are injected so a test can freeze the clock that rate limits and operations read, and
 * count what a fault would have waited instead of waiting it.
 */

/** Milliseconds; `Date.now` in a real run, a value a test moves by hand otherwise. */
export type Now = () => number;

/**
 * Resolves after `ms`, or early (without rejecting) when `signal` aborts: a server that holds a
 * request stops holding it when the client goes away.
 */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

/** {@link Sleep} on Node's timers. */
export const realSleep: Sleep = (ms, signal) =>
  new Promise<void>((resolve) => {
    if (ms <= 0 || signal?.aborted) {
      resolve();
      return;
    }
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });

/** A clock a test moves by hand; starts at `start` (default 0). */
export interface ManualClock {
  readonly now: Now;
  /** Moves the clock forward by `ms`. */
  advance(ms: number): void;
  /** Sets the clock to `ms`. */
  set(ms: number): void;
}

export function manualClock(start = 0): ManualClock {
  let t = start;
  return {
    now: () => t,
    advance: (ms) => {
      t += ms;
    },
    set: (ms) => {
      t = ms;
    },
  };
}
