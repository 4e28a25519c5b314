import assert from 'node:assert/strict';
import { test } from 'node:test';
import { diffByKey, inSync } from './keyed-diff.ts';

interface Want {
  readonly ip: string;
  readonly weight: number;
}
interface Have {
  readonly address?: string;
  readonly weight: number;
}

const keys = { desiredKey: (d: Want) => d.ip, actualKey: (a: Have) => a.address, same: (d: Want, a: Have) => d.weight === a.weight };
const ips = (xs: readonly (Want | Have)[]) => xs.map((x) => ('ip' in x ? x.ip : x.address));

test('diffByKey is set algebra over matched, unmatched-desired and unmatched-actual', () => {
  // name, desired, actual, toAdd, toRemove, duplicates, toUpdate, unchanged
  const cases: [string, Want[], Have[], string[], string[], string[], string[], string[]][] = [
    ['equal sets: nothing to do', [{ ip: 'a', weight: 1 }], [{ address: 'a', weight: 1 }], [], [], [], [], ['a']],
    ['new desired: add', [{ ip: 'a', weight: 1 }, { ip: 'b', weight: 1 }], [{ address: 'a', weight: 1 }], ['b'], [], [], [], ['a']],
    ['gone desired: remove', [{ ip: 'a', weight: 1 }], [{ address: 'a', weight: 1 }, { address: 'b', weight: 1 }], [], ['b'], [], [], ['a']],
    ['changed: update', [{ ip: 'a', weight: 0 }], [{ address: 'a', weight: 1 }], [], [], [], ['a'], []],
    ['nothing desired: remove all', [], [{ address: 'a', weight: 1 }, { address: 'b', weight: 1 }], [], ['a', 'b'], [], [], []],
    ['nothing actual: add all', [{ ip: 'b', weight: 1 }, { ip: 'a', weight: 1 }], [], ['b', 'a'], [], [], [], []],
    ['an extra copy of a matched key is a duplicate, not a removal', [{ ip: 'a', weight: 1 }], [{ address: 'a', weight: 1 }, { address: 'a', weight: 1 }], [], [], ['a'], [], ['a']],
    ['every copy of an unwanted key is removed', [], [{ address: 'b', weight: 1 }, { address: 'b', weight: 1 }], [], ['b', 'b'], [], [], []],
    ['a later desired item replaces an earlier one', [{ ip: 'a', weight: 0 }, { ip: 'a', weight: 1 }], [{ address: 'a', weight: 1 }], [], [], [], [], ['a']],
    ['an actual item without a key is left out', [], [{ weight: 1 }], [], [], [], [], []],
  ];
  for (const [name, desired, actual, add, remove, duplicates, update, unchanged] of cases) {
    const diff = diffByKey(desired, actual, keys);
    assert.deepEqual(ips(diff.toAdd), add, `${name}: toAdd`);
    assert.deepEqual(ips(diff.toRemove), remove, `${name}: toRemove`);
    assert.deepEqual(ips(diff.duplicates), duplicates, `${name}: duplicates`);
    assert.deepEqual(diff.toUpdate.map((p) => p.key), update, `${name}: toUpdate`);
    assert.deepEqual(diff.unchanged.map((p) => p.key), unchanged, `${name}: unchanged`);
    assert.equal(inSync(diff), add.length + remove.length + duplicates.length + update.length === 0, `${name}: inSync`);
  }
});

test('one key function for both sides; without `same` presence is all that matters', () => {
  const diff = diffByKey([{ id: 1, v: 'x' }], [{ id: 1, v: 'y' }, { id: 2, v: 'z' }], { key: (item) => String(item.id) });
  assert.deepEqual(diff.unchanged, [{ key: '1', desired: { id: 1, v: 'x' }, actual: { id: 1, v: 'y' } }]);
  assert.deepEqual(diff.toRemove, [{ id: 2, v: 'z' }]);
});
