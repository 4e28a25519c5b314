import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type CheckedHealth, initialHealth, recordCheck } from './health-state.ts';

const thresholds = { healthyThreshold: 2, unhealthyThreshold: 3 };

/** Replays results ('+' success, '-' failure) from `initial` and returns each state. */
function replay(results: string): CheckedHealth[] {
  let counters = initialHealth;
  return [...results].map((r) => {
    counters = recordCheck(counters, r === '+', thresholds);
    return counters.state;
  });
}

const cases: { results: string; expected: CheckedHealth[] }[] = [
  { results: '+', expected: ['initial'] },
  { results: '++', expected: ['initial', 'healthy'] },
  { results: '+-+', expected: ['initial', 'initial', 'initial'] },
  { results: '---', expected: ['initial', 'initial', 'unhealthy'] },
  { results: '++--+---', expected: ['initial', 'healthy', 'healthy', 'healthy', 'healthy', 'healthy', 'healthy', 'unhealthy'] },
  { results: '---+-++', expected: ['initial', 'initial', 'unhealthy', 'unhealthy', 'unhealthy', 'unhealthy', 'healthy'] },
];

for (const { results, expected } of cases) {
  test(`health after ${results} with thresholds 2 up, 3 down`, () => {
    assert.deepEqual(replay(results), expected);
  });
}

test('counters reset on the other kind of result', () => {
  const afterFailures = recordCheck(recordCheck(initialHealth, false, thresholds), false, thresholds);
  assert.deepEqual(afterFailures, { state: 'initial', successes: 0, failures: 2 });
  assert.deepEqual(recordCheck(afterFailures, true, thresholds), { state: 'initial', successes: 1, failures: 0 });
});
