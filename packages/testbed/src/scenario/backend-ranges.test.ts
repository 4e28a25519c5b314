import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cidrContains, cidrsExcluding } from './backend-ranges.ts';

test('cidrsExcluding covers the outer range except the hole, with the fewest CIDRs', () => {
  const ranges = cidrsExcluding('10.213.0.0/16', '10.213.200.0/24');
  assert.deepEqual(ranges, [
    '10.213.0.0/17',
    '10.213.128.0/18',
    '10.213.192.0/21',
    '10.213.201.0/24',
    '10.213.202.0/23',
    '10.213.204.0/22',
    '10.213.208.0/20',
    '10.213.224.0/19',
  ]);
  for (const address of ['10.213.0.1', '10.213.1.1', '10.213.199.255', '10.213.201.0', '10.213.255.254']) {
    assert.equal(ranges.filter((r) => cidrContains(r, address)).length, 1, `${address} is covered exactly once`);
  }
  for (const address of ['10.213.200.0', '10.213.200.10', '10.213.200.255', '10.214.0.1']) {
    assert.ok(!ranges.some((r) => cidrContains(r, address)), `${address} is left out`);
  }
});

test('a hole outside the range changes nothing; a hole over all of it leaves nothing', () => {
  assert.deepEqual(cidrsExcluding('10.1.0.0/16', '10.2.0.0/24'), ['10.1.0.0/16']);
  assert.deepEqual(cidrsExcluding('10.1.0.0/16', '10.0.0.0/8'), []);
  assert.deepEqual(cidrsExcluding('10.1.0.0/30', '10.1.0.1'), ['10.1.0.0/32', '10.1.0.2/31']);
});
