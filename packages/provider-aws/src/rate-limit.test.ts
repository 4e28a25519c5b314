import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeClock } from '@sluice/core/testing';
import { callClass, RateLimiter, TokenBucket } from './rate-limit.ts';

/** The core's fake clock, recording each wait a bucket asks for; sleeps complete when the test advances time. */
class ManualClock extends FakeClock {
  readonly sleeps: number[] = [];
  override setTimer(fn: () => void, ms: number): () => void {
    this.sleeps.push(ms);
    return super.setTimer(fn, ms);
  }
  /** Advances time and lets the woken waiters run. */
  async elapse(ms: number): Promise<void> {
    this.advance(ms);
    await new Promise((r) => setImmediate(r));
  }
}

const never = new AbortController().signal;

test('a bucket passes a burst of its rate at once, then spaces calls 1/rate apart in arrival order', async () => {
  const clock = new ManualClock();
  const bucket = new TokenBucket(5, clock);
  for (let i = 0; i < 5; i++) await bucket.take(never);
  assert.deepEqual(clock.sleeps, []);
  const done: number[] = [];
  const waiting = [1, 2, 3].map((n) => bucket.take(never).then(() => done.push(n)));
  assert.deepEqual(clock.sleeps, [200, 400, 600]);
  await clock.elapse(200);
  assert.deepEqual(done, [1]);
  await clock.elapse(400);
  await Promise.all(waiting);
  assert.deepEqual(done, [1, 2, 3]);
});

test('tokens refill with time up to one second\'s worth', async () => {
  const clock = new ManualClock();
  const bucket = new TokenBucket(2, clock);
  await bucket.take(never);
  await bucket.take(never);
  await clock.elapse(10_000);
  await bucket.take(never);
  await bucket.take(never);
  assert.deepEqual(clock.sleeps, []);
  void bucket.take(never);
  assert.deepEqual(clock.sleeps, [500]);
});

test('an aborted wait rejects with the signal reason and gives its reservation back', async () => {
  const clock = new ManualClock();
  const bucket = new TokenBucket(1, clock);
  await bucket.take(never);
  const ac = new AbortController();
  const pending = bucket.take(ac.signal);
  ac.abort(new Error('stop'));
  await assert.rejects(pending, /stop/);
  void bucket.take(never);
  assert.deepEqual(clock.sleeps, [1000, 1000], 'the next caller waits one interval, not two');
  await assert.rejects(bucket.take(ac.signal), /stop/, 'an already aborted signal rejects at once');
});

test('Infinity means no limit', async () => {
  const clock = new ManualClock();
  const bucket = new TokenBucket(Number.POSITIVE_INFINITY, clock);
  for (let i = 0; i < 1000; i++) await bucket.take(never);
  assert.deepEqual(clock.sleeps, []);
});

test('operations fall into describe, registration and write classes with their own buckets', async () => {
  assert.equal(callClass('DescribeTargetHealth'), 'describe');
  assert.equal(callClass('DescribeSubnets'), 'describe');
  assert.equal(callClass('RegisterTargets'), 'registration');
  assert.equal(callClass('DeregisterTargets'), 'registration');
  assert.equal(callClass('CreateLoadBalancer'), 'write');
  assert.equal(callClass('ModifyTargetGroupAttributes'), 'write');
  const clock = new ManualClock();
  const limiter = new RateLimiter({ describe: 1, registration: 1, write: 1, elbAccount: Infinity }, clock);
  await limiter.take('DescribeLoadBalancers', never);
  await limiter.take('RegisterTargets', never);
  await limiter.take('CreateListener', never);
  assert.deepEqual(clock.sleeps, [], 'one class does not use another\'s tokens');
  void limiter.take('DescribeTargetHealth', never);
  assert.deepEqual(clock.sleeps, [1000]);
});

test("every ELBv2 call also takes from ELB's account-wide bucket; EC2 calls do not", async () => {
  const clock = new ManualClock();
  const limiter = new RateLimiter({ describe: 10, registration: 10, write: 10, elbAccount: 2 }, clock);
  await limiter.take('DescribeLoadBalancers', never, 'elbv2');
  await limiter.take('RegisterTargets', never, 'elbv2');
  await limiter.take('DescribeSubnets', never, 'ec2');
  assert.deepEqual(clock.sleeps, [], 'two ELBv2 calls fit the bucket of 2; EC2 is not counted');
  void limiter.take('CreateListener', never, 'elbv2');
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(clock.sleeps, [500], 'the third ELBv2 call waits for the account bucket, whatever its class');
});
