import assert from 'node:assert/strict';
import { test } from 'node:test';
import { failureKind, SourceTally, summariseLatency } from './source-results.ts';

test('failure causes are counted as refused, timed out or other', () => {
  const table: [string, ReturnType<typeof failureKind>][] = [
    ['ECONNREFUSED', 'refused'],
    ['ECONNRESET', 'refused'],
    ['EPIPE', 'refused'],
    ['TIMEOUT', 'timedOut'],
    ['ETIMEDOUT', 'timedOut'],
    ['HTTP 503', 'otherErrors'],
    ['empty body', 'otherErrors'],
    ['EHOSTUNREACH', 'otherErrors'],
    ['EADDRNOTAVAIL', 'otherErrors'],
  ];
  for (const [cause, kind] of table) assert.equal(failureKind(cause), kind, cause);
});

test('latency percentiles are nearest-rank, in any input order', () => {
  assert.equal(summariseLatency([]), undefined);
  assert.deepEqual(summariseLatency([7.25]), { p50: 7.25, p90: 7.25, p99: 7.25, max: 7.25 });
  const hundred = Array.from({ length: 100 }, (_, i) => 100 - i);
  assert.deepEqual(summariseLatency(hundred), { p50: 50, p90: 90, p99: 99, max: 100 });
  assert.deepEqual(summariseLatency([1, 2, 3]), { p50: 2, p90: 3, p99: 3, max: 3 });
  assert.deepEqual(summariseLatency([1.23456]), { p50: 1.235, p90: 1.235, p99: 1.235, max: 1.235 }, 'to the microsecond');
});

test('a tally reports each outcome and the latency of successes only', () => {
  const tally = new SourceTally();
  for (const cause of ['ECONNRESET', 'TIMEOUT', 'HTTP 500']) {
    tally.sent += 1;
    tally.fail(cause);
  }
  assert.deepEqual(tally.result(), { sent: 3, succeeded: 0, refused: 1, timedOut: 1, otherErrors: 1, latencyMs: undefined });
  tally.sent += 2;
  tally.succeed(4);
  tally.succeed(2);
  assert.deepEqual(tally.result().latencyMs, { p50: 2, p90: 4, p99: 4, max: 4 });
  assert.equal(tally.result().succeeded, 2);
});
