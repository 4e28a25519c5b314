import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type LoadSource, normaliseSources, sourcePicker } from './sources.ts';

const picks = (sources: readonly (string | LoadSource)[], n: number) => {
  const next = sourcePicker(normaliseSources(sources, '10.0.0.1'));
  return Array.from({ length: n }, () => next());
};

test('the picker interleaves sources by weight, exactly over each cycle', () => {
  const table: { sources: (string | LoadSource)[]; expected: (string | undefined)[] }[] = [
    { sources: [], expected: [undefined, undefined] },
    { sources: ['10.1.1.1'], expected: ['10.1.1.1', '10.1.1.1'] },
    { sources: ['10.1.1.1', '10.1.1.2'], expected: ['10.1.1.1', '10.1.1.2', '10.1.1.1', '10.1.1.2'] },
    { sources: [{ address: '10.1.1.1', weight: 2 }, '10.1.1.2'], expected: ['10.1.1.1', '10.1.1.2', '10.1.1.1', '10.1.1.1', '10.1.1.2', '10.1.1.1'] },
    { sources: [{ address: '10.1.1.1', weight: 0 }, '10.1.1.2'], expected: ['10.1.1.2', '10.1.1.2', '10.1.1.2'] },
    {
      sources: [{ address: '10.1.1.1', weight: 5 }, '10.1.1.2', '10.1.1.3'],
      expected: ['10.1.1.1', '10.1.1.1', '10.1.1.2', '10.1.1.1', '10.1.1.3', '10.1.1.1', '10.1.1.1'],
    },
  ];
  for (const { sources, expected } of table) assert.deepEqual(picks(sources, expected.length), expected, JSON.stringify(sources));
});

test('over many picks every source gets its share to within one', () => {
  const counts = new Map<string | undefined, number>();
  for (const p of picks([{ address: '10.1.1.1', weight: 3 }, { address: '10.1.1.2', weight: 1.5 }, '10.1.1.3'], 1001)) counts.set(p, (counts.get(p) ?? 0) + 1);
  const total = 3 + 1.5 + 1;
  for (const [address, weight] of [['10.1.1.1', 3], ['10.1.1.2', 1.5], ['10.1.1.3', 1]] as const) {
    assert.ok(Math.abs(counts.get(address)! - (1001 * weight) / total) <= 1, `${address}: ${counts.get(address)}`);
  }
});

test('sources are checked with the source and what is allowed named', () => {
  const table: { sources: (string | LoadSource)[]; host?: string; error: RegExp }[] = [
    { sources: ['10.1.1'], error: /source "10\.1\.1" is invalid: allowed is an IPv4 or IPv6 address\./ },
    { sources: ['10.1.1.1', '10.1.1.1'], error: /source 10\.1\.1\.1 is listed twice/ },
    { sources: ['fd00::1'], host: '10.0.0.1', error: /source fd00::1 is IPv6 but host 10\.0\.0\.1 is IPv4: every source must be of the host's family\./ },
    { sources: ['10.1.1.1'], host: 'fd00::9', error: /source 10\.1\.1\.1 is IPv4 but host fd00::9 is IPv6/ },
    { sources: [{ address: '10.1.1.1', weight: -1 }], error: /weight -1 of source 10\.1\.1\.1 is invalid: allowed is a finite number of 0 or more\./ },
    { sources: [{ address: '10.1.1.1', weight: Number.POSITIVE_INFINITY }], error: /weight Infinity of source/ },
    { sources: [{ address: '10.1.1.1', weight: 0 }], error: /every source has weight 0/ },
  ];
  for (const { sources, host, error } of table) assert.throws(() => normaliseSources(sources, host ?? '10.0.0.1'), error);
  assert.deepEqual(normaliseSources(['fd00::1'], 'localhost'), [{ address: 'fd00::1', weight: 1 }], 'a host name has no family to match');
});
