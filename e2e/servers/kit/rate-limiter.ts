/**
 * Rate limits per call class and scope, as a cloud applies them: each vendor classifies a
 * request into charges (`reads` for subscription S and principal P; `registration` and the
 * shared `account` bucket for account A...), and the request goes through only when every
 * charged limit has room, taking from all of them at once or from none.
 */
import { checkLimit, createMeter, type Limit, type Meter } from './limits.ts';
import type { Now } from './time.ts';

/** One limit a request counts against, for one scope (a subscription, a project, an account). */
export interface Charge {
  /** The limit's name, a key of the limiter's `limits`. */
  readonly limit: string;
  readonly scope: string;
}

export type RateDecision =
  | { readonly allowed: true }
  | {
      readonly allowed: false;
      /** The charge that waits longest. */
      readonly limit: string;
      readonly scope: string;
      /** Milliseconds until that limit has room again (Infinity when it never refills). */
      readonly retryAfterMs: number;
    };

export interface RateLimiterOptions {
  readonly now: Now;
  /** Limits by name; a charge to a name not here is not limited. */
  readonly limits: Readonly<Record<string, Limit>>;
}

export class RateLimiter {
  readonly #now: Now;
  readonly #limits: ReadonlyMap<string, Limit>;
  readonly #meters = new Map<string, Meter>();

  constructor(options: RateLimiterOptions) {
    this.#now = options.now;
    for (const [name, limit] of Object.entries(options.limits)) checkLimit(name, limit);
    this.#limits = new Map(Object.entries(options.limits));
  }

  /** The configured limits, by name. */
  limits(): Record<string, Limit> {
    return Object.fromEntries(this.#limits);
  }

  /** Counts one request against every charge, or against none when any of them is out of room. */
  take(charges: readonly Charge[]): RateDecision {
    const now = this.#now();
    const meters = charges.flatMap((c) => {
      const m = this.#meter(c);
      return m === undefined ? [] : [{ charge: c, meter: m }];
    });
    let worst: { charge: Charge; wait: number } | undefined;
    for (const { charge, meter } of meters) {
      const wait = meter.waitMs(now);
      if (wait > 0 && (worst === undefined || wait > worst.wait)) worst = { charge, wait };
    }
    if (worst !== undefined) return { allowed: false, limit: worst.charge.limit, scope: worst.charge.scope, retryAfterMs: worst.wait };
    for (const { meter } of meters) meter.take(now);
    return { allowed: true };
  }

  /** Requests `limit` still allows for `scope` now; undefined when no such limit is set. */
  remaining(limit: string, scope: string): number | undefined {
    return this.#meter({ limit, scope })?.remaining(this.#now());
  }

  /** Fills every bucket and empties every window again. */
  reset(): void {
    this.#meters.clear();
  }

  #meter(c: Charge): Meter | undefined {
    const limit = this.#limits.get(c.limit);
    if (limit === undefined) return undefined;
    const key = `${c.limit}\u0000${c.scope}`;
    let m = this.#meters.get(key);
    if (m === undefined) {
      m = createMeter(limit);
      this.#meters.set(key, m);
    }
    return m;
  }
}

/**
 * How a server's rate limits are switched on: `true` for the vendor's documented defaults,
 * or an object that replaces single limits (null switches one off) or the clock.
 */
export type RateLimitSetting<L extends string> = boolean | RateLimitOverrides<L>;

export interface RateLimitOverrides<L extends string> {
  /** The clock the limits read. @default the server's clock */
  readonly now?: Now;
  /** Replacements for single limits; null switches that limit off. */
  readonly limits?: Partial<Record<L, Limit | null>>;
}

/** The limiter a setting asks for over `defaults`, or undefined when limits are off. */
export function limiterFor<L extends string>(setting: RateLimitSetting<L> | undefined, defaults: Readonly<Record<L, Limit>>, now: Now): RateLimiter | undefined {
  if (setting === undefined || setting === false) return undefined;
  const overrides: RateLimitOverrides<L> = setting === true ? {} : setting;
  const limits: Record<string, Limit> = { ...defaults };
  for (const [name, value] of Object.entries(overrides.limits ?? {}) as [L, Limit | null | undefined][]) {
    if (!(name in defaults)) throw new RangeError(`unknown rate limit ${JSON.stringify(name)}; known: ${Object.keys(defaults).join(', ')}`);
    if (value === null) delete limits[name];
    else if (value !== undefined) limits[name] = value;
  }
  return new RateLimiter({ now: overrides.now ?? now, limits });
}
