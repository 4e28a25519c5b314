/**
 * Per-key exponential backoff with jitter and a cap: the delay before retry n (n >= 1) is
 * base * 2^(n-1), capped at max, then scaled by a random factor in [1 - jitter, 1].
 * "Equal jitter" keeps retries of many keys from synchronising while bounding the wait.
 */
export interface BackoffOptions {
  /** First retry delay. @default 200 */
  readonly baseMs?: number;
  /** Largest delay. @default 60_000 */
  readonly maxMs?: number;
  /** Fraction of the delay that is random, 0-1. @default 0.5 */
  readonly jitter?: number;
  /** Random source in [0, 1). @default Math.random */
  readonly random?: () => number;
}

export class Backoff {
  readonly #base: number;
  readonly #max: number;
  readonly #jitter: number;
  readonly #random: () => number;
  readonly #failures = new Map<string, number>();

  constructor(options: BackoffOptions = {}) {
    this.#base = options.baseMs ?? 200;
    this.#max = options.maxMs ?? 60_000;
    this.#jitter = Math.min(1, Math.max(0, options.jitter ?? 0.5));
    this.#random = options.random ?? Math.random;
  }

  /** Records a failure of `key` and returns how long to wait before its next attempt. */
  next(key: string): number {
    const n = (this.#failures.get(key) ?? 0) + 1;
    this.#failures.set(key, n);
    const raw = Math.min(this.#max, this.#base * 2 ** Math.min(n - 1, 52));
    return raw * (1 - this.#jitter * this.#random());
  }

  /** Failures recorded for `key` since it last succeeded. */
  failures(key: string): number {
    return this.#failures.get(key) ?? 0;
  }

  /** Clears `key`'s history after a success. */
  forget(key: string): void {
    this.#failures.delete(key);
  }
}
