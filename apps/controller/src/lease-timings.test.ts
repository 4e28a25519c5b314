import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type ParseResult, parseFlags } from './flags.ts';

// Through parseFlags: the rule is about which flags the user gave, and the messages name them.
describe('leader-election timings: a timing the user did not give is never blamed', () => {
  const LEASE = '--leader-election-lease-duration';
  const RENEW = '--leader-election-renew-deadline';
  const RETRY = '--leader-election-retry-period';
  type Ms = [lease: number, renew: number, retry: number];
  const cases: [string, string[], Ms | string][] = [
    ['all defaults', [], [15_000, 10_000, 2_000]],
    ['a longer lease keeps the defaults', [LEASE, '60'], [60_000, 10_000, 2_000]],
    ['a lease just above the renew default keeps the defaults', [LEASE, '11'], [11_000, 10_000, 2_000]],
    ['a short lease scales renew and retry down (15:10:2)', [LEASE, '5'], [5_000, 3_333, 667]],
    ['a lease equal to the renew default scales them down', [LEASE, '10'], [10_000, 6_667, 1_333]],
    ['the shortest lease', [LEASE, '1'], [1_000, 667, 133]],
    ['a long renew deadline scales the lease up, the retry default fits', [RENEW, '20'], [30_000, 20_000, 2_000]],
    ['a short renew deadline scales the retry down, the lease default fits', [RENEW, '1'], [15_000, 1_000, 200]],
    ['a renew deadline equal to the retry default', [RENEW, '2'], [15_000, 2_000, 400]],
    ['a short retry keeps the defaults', [RETRY, '5'], [15_000, 10_000, 5_000]],
    ['a long retry scales renew and lease up', [RETRY, '10'], [75_000, 50_000, 10_000]],
    ['given lease and renew, the retry default fits', [LEASE, '5', RENEW, '4'], [5_000, 4_000, 2_000]],
    ['given lease and renew, the retry scales from renew', [LEASE, '5', RENEW, '2'], [5_000, 2_000, 400]],
    ['given renew and retry, the lease scales from renew', [RENEW, '20', RETRY, '3'], [30_000, 20_000, 3_000]],
    ['given lease and retry, the renew default fits', [LEASE, '30', RETRY, '1'], [30_000, 10_000, 1_000]],
    ['given lease and retry, renew scales from the lease', [LEASE, '7', RETRY, '1'], [7_000, 4_667, 1_000]],
    ['given lease and retry, renew scales from the lease above the retry', [LEASE, '20', RETRY, '12'], [20_000, 13_333, 12_000]],
    ['all three given', [LEASE, '4', RENEW, '3', RETRY, '1'], [4_000, 3_000, 1_000]],
    [
      'no scaled renew fits between a given lease and retry: the default is named, with the range to pass',
      [LEASE, '14', RETRY, '12'],
      `${RENEW} 10 (the default) must be less than ${LEASE} 14 and more than ${RETRY} 12; pass a ${RENEW} between 12 and 14.`,
    ],
    [
      'no whole second between them: the default is named, and what to change instead',
      [LEASE, '3', RETRY, '2'],
      `${RENEW} 10 (the default) must be less than ${LEASE} 3 and more than ${RETRY} 2; pass a larger ${LEASE} or a smaller ${RETRY}.`,
    ],
    ['two given timings out of order are the user\'s', [LEASE, '5', RENEW, '8'], `${RENEW} 8 must be less than ${LEASE} 5.`],
    ['equal given timings', [RENEW, '3', RETRY, '3'], `${RETRY} 3 must be less than ${RENEW} 3.`],
    ['a given retry above a given lease', [LEASE, '3', RETRY, '5'], `${RETRY} 5 must be less than ${LEASE} 3.`],
  ];

  /** Every timing flag an error names with a value is one the user gave, or is marked as the default. */
  function assertBlamesOnlyGiven(message: string, argv: readonly string[]): void {
    for (const m of message.matchAll(/(--leader-election-[a-z-]+) \d+( \(the default\))?/g)) {
      assert.ok(argv.includes(m[1]!) || m[2] !== undefined, `${m[1]} is blamed but was not given: ${message}`);
    }
  }

  const timingsOf = (r: ParseResult): Ms | string => {
    if (r.kind === 'error') return r.message;
    assert.equal(r.kind, 'run');
    const e = (r as { config: { leaderElection: { leaseDurationMs: number; renewDeadlineMs: number; retryPeriodMs: number } } }).config.leaderElection;
    return [e.leaseDurationMs, e.renewDeadlineMs, e.retryPeriodMs];
  };

  for (const [name, argv, expected] of cases) {
    test(name, () => {
      const got = timingsOf(parseFlags(['--provider', 'local', ...argv]));
      assert.deepEqual(got, expected);
      if (typeof got === 'string') assertBlamesOnlyGiven(got, argv);
    });
  }

  test('every combination: given values are kept, the order holds, and only given values are blamed', () => {
    const choices = [undefined, '1', '2', '3', '4', '5', '10', '14', '15', '20', '60'];
    let scaled = 0;
    let namedDefault = 0;
    for (const lease of choices) {
      for (const renew of choices) {
        for (const retry of choices) {
          const argv = [...(lease ? [LEASE, lease] : []), ...(renew ? [RENEW, renew] : []), ...(retry ? [RETRY, retry] : [])];
          const got = timingsOf(parseFlags(['--provider', 'local', ...argv]));
          const given = [lease, renew, retry].map((v) => (v === undefined ? undefined : Number(v) * 1000));
          if (typeof got === 'string') {
            assertBlamesOnlyGiven(got, argv);
            if (got.includes('(the default)')) namedDefault++;
            else {
              const g = given.filter((v) => v !== undefined);
              assert.ok(g.some((v, i) => i > 0 && v >= g[i - 1]!), `an error only for given values out of order: ${argv.join(' ')}: ${got}`);
            }
            continue;
          }
          assert.ok(got[0] > got[1] && got[1] > got[2], `ordered: ${argv.join(' ')} -> ${got.join(', ')}`);
          for (const [i, v] of given.entries()) if (v !== undefined) assert.equal(got[i], v, `given values are kept: ${argv.join(' ')}`);
          if (got.some((v, i) => given[i] === undefined && v !== [15_000, 10_000, 2_000][i])) scaled++;
        }
      }
    }
    assert.ok(scaled > 0 && namedDefault > 0, 'the sweep reaches both the scaled and the named-default cases');
  });
});
