import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { HealthChecker, type HealthCheckerOptions } from './health-checker.ts';
import { ManualTimers } from './test-support/fixtures.ts';
import { freePort, startBackend, waitFor } from './test-support/sockets.ts';

const live = await startBackend('live');
after(() => live.close());

function checker(port: number, timers: ManualTimers, overrides: Partial<HealthCheckerOptions> = {}) {
  const transitions: string[] = [];
  const c = new HealthChecker({
    host: '127.0.0.1',
    port,
    intervalMs: 1000,
    timeoutMs: 900,
    healthyThreshold: 1,
    unhealthyThreshold: 2,
    timers,
    onTransition: (from, to, reason) => transitions.push(`${from}->${to}${reason ? ` (${reason})` : ''}`),
    ...overrides,
  });
  return { c, transitions };
}

test('the first check runs on start, without waiting for the interval', async (t) => {
  const timers = new ManualTimers();
  const { c, transitions } = checker(live.port, timers);
  t.after(() => c.stop());
  assert.equal(c.state, 'initial');
  c.start();
  await waitFor('healthy', () => (c.state === 'healthy' ? true : undefined));
  assert.deepEqual(transitions, ['initial->healthy']);
  // Only the timer of the next check is left; the probe's timeout was cleared.
  assert.equal(timers.pending(), 1);
});

test('consecutive failed checks make a backend unhealthy, with the reason', async (t) => {
  const timers = new ManualTimers();
  const { c, transitions } = checker(await freePort(), timers);
  t.after(() => c.stop());
  c.start();
  await waitFor('first check', () => (c.reason !== undefined ? true : undefined));
  assert.equal(c.state, 'initial');
  assert.equal(c.reason, 'ECONNREFUSED');
  timers.fire(1000);
  await waitFor('unhealthy', () => (c.state === 'unhealthy' ? true : undefined));
  assert.deepEqual(transitions, ['initial->unhealthy (ECONNREFUSED)']);
});

test('failed proxy connects count like failed checks', async (t) => {
  const timers = new ManualTimers();
  const { c } = checker(live.port, timers);
  t.after(() => c.stop());
  c.start();
  await waitFor('healthy', () => (c.state === 'healthy' ? true : undefined));
  c.recordFailure('ECONNREFUSED');
  assert.equal(c.state, 'healthy');
  c.recordFailure('ECONNREFUSED');
  assert.equal(c.state, 'unhealthy');
  assert.equal(c.reason, 'ECONNREFUSED');
});

test('stop leaves no timer behind and ignores later results', async () => {
  const timers = new ManualTimers();
  const { c } = checker(live.port, timers);
  c.start();
  await waitFor('healthy', () => (c.state === 'healthy' ? true : undefined));
  c.stop();
  assert.equal(timers.pending(), 0);
  c.recordFailure('late');
  c.recordFailure('late');
  assert.equal(c.state, 'healthy');
});

test('stop during a check cancels it', async () => {
  const timers = new ManualTimers();
  const { c } = checker(live.port, timers);
  c.start();
  c.stop();
  assert.equal(timers.pending(), 0);
  await new Promise((resolve) => setTimeout(resolve, 30));
  assert.equal(c.state, 'initial');
  assert.equal(timers.pending(), 0);
});
