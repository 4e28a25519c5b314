/**
 * The two request-rate algorithms cloud APIs document, on an injected clock:
 * - a token bucket (AWS ELB, Azure Resource Manager): `capacity` tokens, refilled
 *   continuously at `refillPerSecond`, one taken per request;
 * - a fixed window (Google Compute Engine's per-minute rate quotas): at most `limit` requests
 *   per window, windows aligned to multiples of `windowMs` on the clock, so a quota used up
 *   at 10:00:15 refills at 10:01:00.
 * Both answer how long a denied request would have to wait, which servers turn into
 * `Retry-After` where the vendor sends one.
 */

export interface BucketLimit {
  readonly kind: 'bucket';
  /** Most tokens the bucket holds (and holds at the start). */
  readonly capacity: number;
  /** Tokens added per second, continuously, up to `capacity`. */
  readonly refillPerSecond: number;
}

export interface WindowLimit {
  readonly kind: 'window';
  /** Requests allowed per window. */
  readonly limit: number;
  readonly windowMs: number;
}

export type Limit = BucketLimit | WindowLimit;

export const bucket = (capacity: number, refillPerSecond: number): BucketLimit => ({ kind: 'bucket', capacity, refillPerSecond });
export const perWindow = (limit: number, windowMs: number): WindowLimit => ({ kind: 'window', limit, windowMs });

/** One limit's state for one scope. */
export interface Meter {
  /** Milliseconds until a request would be allowed at `now` (0: now). */
  waitMs(now: number): number;
  /** Counts one request at `now` (call only when `waitMs(now)` is 0). */
  take(now: number): void;
  /** Whole requests still allowed at `now`. */
  remaining(now: number): number;
}

/** Throws a RangeError naming the field when `limit` cannot work. */
export function checkLimit(name: string, limit: Limit): void {
  if (limit.kind === 'bucket') {
    if (!(limit.capacity >= 1) || !Number.isFinite(limit.capacity)) throw new RangeError(`rate limit ${name}: capacity must be a finite number >= 1, got ${limit.capacity}`);
    if (!(limit.refillPerSecond >= 0) || !Number.isFinite(limit.refillPerSecond)) throw new RangeError(`rate limit ${name}: refillPerSecond must be a finite number >= 0, got ${limit.refillPerSecond}`);
  } else {
    if (!Number.isInteger(limit.limit) || limit.limit < 0) throw new RangeError(`rate limit ${name}: limit must be an integer >= 0, got ${limit.limit}`);
    if (!(limit.windowMs > 0) || !Number.isFinite(limit.windowMs)) throw new RangeError(`rate limit ${name}: windowMs must be a finite number > 0, got ${limit.windowMs}`);
  }
}

class TokenBucket implements Meter {
  readonly #capacity: number;
  readonly #perMs: number;
  #tokens: number;
  #at: number | undefined;

  constructor(limit: BucketLimit) {
    this.#capacity = limit.capacity;
    this.#perMs = limit.refillPerSecond / 1000;
    this.#tokens = limit.capacity;
  }

  #refill(now: number): void {
    // A clock set back refills nothing rather than taking tokens away.
    if (this.#at !== undefined) this.#tokens = Math.min(this.#capacity, this.#tokens + Math.max(0, now - this.#at) * this.#perMs);
    this.#at = this.#at === undefined ? now : Math.max(this.#at, now);
  }

  waitMs(now: number): number {
    this.#refill(now);
    if (this.#tokens >= 1) return 0;
    return this.#perMs === 0 ? Number.POSITIVE_INFINITY : Math.ceil((1 - this.#tokens) / this.#perMs);
  }

  take(now: number): void {
    this.#refill(now);
    this.#tokens -= 1;
  }

  remaining(now: number): number {
    this.#refill(now);
    return Math.floor(this.#tokens);
  }
}

class FixedWindow implements Meter {
  readonly #limit: number;
  readonly #windowMs: number;
  #start = Number.NEGATIVE_INFINITY;
  #used = 0;

  constructor(limit: WindowLimit) {
    this.#limit = limit.limit;
    this.#windowMs = limit.windowMs;
  }

  #roll(now: number): void {
    const start = Math.floor(now / this.#windowMs) * this.#windowMs;
    if (start > this.#start) {
      this.#start = start;
      this.#used = 0;
    }
  }

  waitMs(now: number): number {
    this.#roll(now);
    return this.#used < this.#limit ? 0 : this.#start + this.#windowMs - now;
  }

  take(now: number): void {
    this.#roll(now);
    this.#used += 1;
  }

  remaining(now: number): number {
    this.#roll(now);
    return Math.max(0, this.#limit - this.#used);
  }
}

export function createMeter(limit: Limit): Meter {
  return limit.kind === 'bucket' ? new TokenBucket(limit) : new FixedWindow(limit);
}
