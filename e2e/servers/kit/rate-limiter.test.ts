import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bucket, createMeter, type Limit, perWindow } from './limits.ts';
import { limiterFor, RateLimiter } from './rate-limiter.ts';
import { manualClock } from './time.ts';

/** Runs `steps` against one meter: at time `at`, `take` requests; expect what is allowed and the wait after. */
function run(limit: Limit, steps: readonly { at: number; take: number; allowed: number; waitMs: number }[]): void {
  const meter = createMeter(limit);
  for (const step of steps) {
    let allowed = 0;
    for (let i = 0; i < step.take; i++) {
      if (meter.waitMs(step.at) === 0) {
        meter.take(step.at);
        allowed++;
      }
    }
    assert.equal(allowed, step.allowed, `allowed at ${step.at}`);
    assert.equal(meter.waitMs(step.at), step.waitMs, `wait at ${step.at}`);
  }
}

describe('token bucket', () => {
  const cases: { name: string; limit: Limit; steps: { at: number; take: number; allowed: number; waitMs: number }[] }[] = [
    {
      // The ELB example: 40 Describe* in one second empty the bucket; it refills at 10 per second.
      name: 'a burst of the capacity passes, then the refill rate',
      limit: bucket(40, 10),
      steps: [
        { at: 0, take: 41, allowed: 40, waitMs: 100 },
        { at: 100, take: 2, allowed: 1, waitMs: 100 },
        { at: 1_100, take: 20, allowed: 10, waitMs: 100 },
      ],
    },
    {
      name: 'refills no further than the capacity',
      limit: bucket(3, 1),
      steps: [
        { at: 0, take: 3, allowed: 3, waitMs: 1_000 },
        { at: 60_000, take: 5, allowed: 3, waitMs: 1_000 },
      ],
    },
    {
      // ELB's resource-intensive actions refill 0.2 per second: one token every 5 s.
      name: 'a fractional refill rate',
      limit: bucket(10, 0.2),
      steps: [
        { at: 0, take: 10, allowed: 10, waitMs: 5_000 },
        { at: 4_999, take: 1, allowed: 0, waitMs: 1 },
        { at: 5_000, take: 1, allowed: 1, waitMs: 5_000 },
      ],
    },
    {
      name: 'a clock set back refills nothing and takes nothing away',
      limit: bucket(2, 1),
      steps: [
        { at: 10_000, take: 2, allowed: 2, waitMs: 1_000 },
        { at: 5_000, take: 1, allowed: 0, waitMs: 1_000 },
        { at: 11_000, take: 1, allowed: 1, waitMs: 1_000 },
      ],
    },
  ];
  for (const c of cases) it(c.name, () => run(c.limit, c.steps));

  it('never refills with a rate of 0', () => run(bucket(1, 0), [{ at: 0, take: 2, allowed: 1, waitMs: Number.POSITIVE_INFINITY }]));
});

describe('fixed window', () => {
  it('resets at the next aligned window, not a window after the first request', () => {
    // Google: a quota used up at 10:00:15 refills at 10:01:00.
    run(perWindow(2, 60_000), [
      { at: 15_000, take: 3, allowed: 2, waitMs: 45_000 },
      { at: 59_999, take: 1, allowed: 0, waitMs: 1 },
      { at: 60_000, take: 3, allowed: 2, waitMs: 60_000 },
    ]);
  });

  it('a limit of 0 allows nothing', () => run(perWindow(0, 1_000), [{ at: 500, take: 1, allowed: 0, waitMs: 500 }]));
});

describe('RateLimiter', () => {
  it('takes from every charged limit or from none', () => {
    const clock = manualClock();
    const limiter = new RateLimiter({ now: clock.now, limits: { account: bucket(3, 1), registration: bucket(1, 1) } });
    const register = [
      { limit: 'account', scope: 'a' },
      { limit: 'registration', scope: 'a' },
    ];
    assert.deepEqual(limiter.take(register), { allowed: true });
    assert.deepEqual(limiter.take(register), { allowed: false, limit: 'registration', scope: 'a', retryAfterMs: 1_000 });
    assert.equal(limiter.remaining('account', 'a'), 2, 'the denied request took nothing from the account bucket');
    assert.deepEqual(limiter.take([{ limit: 'account', scope: 'a' }]), { allowed: true });
    assert.deepEqual(limiter.take([{ limit: 'account', scope: 'b' }]), { allowed: true }, 'scopes have their own buckets');
    assert.deepEqual(limiter.take([{ limit: 'unlimited', scope: 'a' }]), { allowed: true }, 'a charge to no configured limit is not limited');
    clock.advance(1_000);
    assert.deepEqual(limiter.take(register), { allowed: true }, 'the bucket refilled');
    limiter.reset();
    assert.equal(limiter.remaining('account', 'a'), 3);
    assert.equal(limiter.remaining('nothing', 'a'), undefined);
  });

  it('names the charge that waits longest', () => {
    const limiter = new RateLimiter({ now: () => 0, limits: { fast: bucket(1, 10), slow: bucket(1, 0.5) } });
    const both = [
      { limit: 'fast', scope: 's' },
      { limit: 'slow', scope: 's' },
    ];
    limiter.take(both);
    const d = limiter.take(both);
    assert.equal(d.allowed, false);
    assert.equal(d.allowed === false && d.limit, 'slow');
    assert.equal(d.allowed === false && d.retryAfterMs, 2_000);
  });

  it('refuses a limit that cannot work, naming it', () => {
    assert.throws(() => new RateLimiter({ now: () => 0, limits: { reads: bucket(0, 1) } }), /rate limit reads: capacity must be a finite number >= 1, got 0/);
    assert.throws(() => new RateLimiter({ now: () => 0, limits: { q: perWindow(10, 0) } }), /rate limit q: windowMs must be a finite number > 0, got 0/);
  });
});

describe('limiterFor', () => {
  const defaults = { reads: bucket(250, 25), writes: bucket(200, 10) };

  it('is off unless asked for', () => {
    assert.equal(limiterFor(undefined, defaults, () => 0), undefined);
    assert.equal(limiterFor(false, defaults, () => 0), undefined);
  });

  it('takes the defaults, replaces single limits, switches one off, and reads the given clock', () => {
    assert.deepEqual(limiterFor(true, defaults, () => 0)?.limits(), defaults);
    const clock = manualClock(0);
    const limiter = limiterFor({ now: clock.now, limits: { reads: bucket(1, 1), writes: null } }, defaults, () => 0)!;
    assert.deepEqual(limiter.limits(), { reads: bucket(1, 1) });
    limiter.take([{ limit: 'reads', scope: 's' }]);
    assert.equal(limiter.take([{ limit: 'reads', scope: 's' }]).allowed, false);
    clock.advance(1_000);
    assert.equal(limiter.take([{ limit: 'reads', scope: 's' }]).allowed, true);
  });

  it('refuses an unknown limit name, listing the known ones', () => {
    assert.throws(() => limiterFor({ limits: { deletes: bucket(1, 1) } as never }, defaults, () => 0), /unknown rate limit "deletes"; known: reads, writes/);
  });
});
