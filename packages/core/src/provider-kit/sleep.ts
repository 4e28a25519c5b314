/**
 * Waiting inside a provider call, on the one injected {@link Clock}. A provider waits for a
 * rate-limit token, a poll interval or a server's Retry-After; every such wait ends early,
 * with the caller's signal reason, when the signal aborts.
 */
import type { Clock } from '../queue/clock.ts';

/**
 * The system clock for waits inside a provider call: wall-clock milliseconds, and timers that
 * keep the process alive while a call waits, as the call's own socket would. (The core's
 * `systemClock` unrefs its timers: a resync or backoff timer must never hold a stopping
 * controller up, but a script awaiting a rate-limited call must not exit half-way.)
 */
export const providerClock: Clock = {
  now: () => Date.now(),
  setTimer(fn, ms) {
    const handle = setTimeout(fn, Math.max(0, ms));
    return () => clearTimeout(handle);
  },
};

/**
 * Resolves after `ms` on `clock`, or rejects with the signal's reason as soon as it aborts (at
 * once when it already has). The timer is cancelled on abort and the listener removed when the
 * timer fires, so nothing is left behind either way.
 */
export function sleep(clock: Pick<Clock, 'setTimer'>, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      cancel();
      reject(signal?.reason);
    };
    const cancel = clock.setTimer(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
