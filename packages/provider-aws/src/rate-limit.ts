/**
 * Client-side token buckets, one per call class, so a burst of reconciles cannot push the
 * account over ELBv2's API rate (which every other tool in the account shares).
 *
 * A bucket holds up to one second's worth of tokens. A call takes a token at once when
 * one is there; otherwise it reserves the next one (the balance goes negative) and waits
 * until it is due, so waiters are served in arrival order without polling. A waiter whose
 * signal aborts gives its reservation back.
 */
import { type Clock, providerClock, sleep } from '@sluice/core/provider-kit';
import type { RateLimits } from './options.ts';

export class TokenBucket {
  readonly #perMs: number;
  readonly #capacity: number;
  readonly #clock: Clock;
  #tokens: number;
  #at: number;

  /** `ratePerSecond` may be Infinity for no limit. */
  constructor(ratePerSecond: number, clock: Clock = providerClock) {
    this.#perMs = ratePerSecond / 1000;
    this.#capacity = Math.max(1, ratePerSecond);
    this.#clock = clock;
    this.#tokens = this.#capacity;
    this.#at = clock.now();
  }

  /** Resolves when the caller may make its call; rejects with the signal's reason on abort. */
  async take(signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    if (!Number.isFinite(this.#perMs)) return;
    const now = this.#clock.now();
    // A wall clock set back refills nothing rather than taking tokens away.
    this.#tokens = Math.min(this.#capacity, this.#tokens + Math.max(0, now - this.#at) * this.#perMs);
    this.#at = now;
    this.#tokens -= 1;
    if (this.#tokens >= 0) return;
    const waitMs = -this.#tokens / this.#perMs;
    try {
      await sleep(this.#clock, waitMs, signal);
    } catch (error) {
      this.#tokens += 1;
      throw error;
    }
  }
}

export type CallClass = Exclude<keyof Required<RateLimits>, 'elbAccount'>;

/** The call class of an AWS operation. */
export function callClass(operation: string): CallClass {
  if (operation.startsWith('Describe')) return 'describe';
  if (operation === 'RegisterTargets' || operation === 'DeregisterTargets') return 'registration';
  return 'write';
}

/** One bucket per call class, and ELB's account-wide bucket that every ELBv2 call also takes from. */
export class RateLimiter {
  readonly #buckets: Record<CallClass, TokenBucket>;
  readonly #elbAccount: TokenBucket;

  constructor(limits: Required<RateLimits>, clock: Clock = providerClock) {
    this.#buckets = {
      describe: new TokenBucket(limits.describe, clock),
      registration: new TokenBucket(limits.registration, clock),
      write: new TokenBucket(limits.write, clock),
    };
    this.#elbAccount = new TokenBucket(limits.elbAccount, clock);
  }

  /** `service` is the client's (`elbv2`, `ec2`); ELBv2 calls wait for the account bucket too. */
  async take(operation: string, signal: AbortSignal, service?: string): Promise<void> {
    await this.#buckets[callClass(operation)].take(signal);
    if (service === 'elbv2') await this.#elbAccount.take(signal);
  }
}
