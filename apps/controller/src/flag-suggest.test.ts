import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { editDistance, suggestFlag } from './flag-suggest.ts';

describe('editDistance (Damerau-Levenshtein, optimal string alignment)', () => {
  const cases: [string, string, number][] = [
    ['', '', 0],
    ['', 'abc', 3],
    ['workers', 'workers', 0],
    ['workrs', 'workers', 1],
    ['wokrers', 'workers', 1],
    ['kitten', 'sitting', 3],
    ['ab', 'ba', 1],
    ['ca', 'abc', 3],
    ['verbose', 'version', 4],
  ];
  for (const [a, b, d] of cases) {
    test(`${a || '""'} -> ${b || '""'}: ${d}`, () => {
      assert.equal(editDistance(a, b), d);
      assert.equal(editDistance(b, a), d, 'symmetric');
    });
  }
});

describe('suggestFlag', () => {
  const names = ['provider', 'log-level', 'log-format', 'workers', 'aws-region', 'aws-endpoint', 'no-leader-elect', 'leader-election-lease-duration'];
  const cases: [string, string | undefined][] = [
    ['PROVIDER', 'provider'],
    ['log_level', 'log-level'],
    ['log-levle', 'log-level'],
    ['workerz', 'workers'],
    ['aws-regions', 'aws-region'],
    ['leader-elect-lease-duration', 'leader-election-lease-duration'],
    ['prov', 'provider'],
    ['no-leader-election', 'no-leader-elect'],
    ['log', undefined],
    ['aws', undefined],
    ['replicas', undefined],
    ['', undefined],
    ['-', undefined],
  ];
  for (const [typed, expected] of cases) {
    test(`${typed || '""'} -> ${expected ?? 'no guess'}`, () => assert.equal(suggestFlag(typed, names), expected));
  }

  test('the closest wins over a farther one, and a tie goes to the first listed', () => {
    assert.equal(suggestFlag('abd', ['abcd', 'abd-x', 'ab']), 'abcd');
    assert.equal(suggestFlag('ab', ['ax', 'ay']), 'ax');
  });
});
