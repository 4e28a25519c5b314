import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeClock } from '../testing/fake-clock.ts';
import { providerClock, sleep } from './sleep.ts';

test('sleep resolves when the clock reaches the delay, not before', async () => {
  const clock = new FakeClock();
  let done = false;
  const waiting = sleep(clock, 500).then(() => (done = true));
  clock.advance(499);
  await Promise.resolve();
  assert.equal(done, false);
  clock.advance(1);
  await waiting;
  assert.equal(done, true);
  assert.equal(clock.pending, 0);
});

test('an abort ends the wait with the signal reason and cancels the timer; an aborted signal rejects at once', async () => {
  const clock = new FakeClock();
  const ac = new AbortController();
  const waiting = sleep(clock, 1000, ac.signal);
  assert.equal(clock.pending, 1);
  const reason = new Error('stopping');
  ac.abort(reason);
  await assert.rejects(waiting, (e: unknown) => e === reason);
  assert.equal(clock.pending, 0, 'the timer is cancelled');
  await assert.rejects(sleep(clock, 1, ac.signal), (e: unknown) => e === reason);
  assert.equal(clock.pending, 0, 'no timer for an already aborted signal');
});

test('providerClock waits in real time and reads wall-clock milliseconds', async () => {
  const before = Date.now();
  await sleep(providerClock, 5);
  assert.ok(providerClock.now() >= before + 4);
});
