import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AddressPool } from './address-pool.ts';

test('next() hands out x.x.1.1 upwards, skipping .0, .255, reserved and held addresses, and reuses only after wrapping', () => {
  const pool = new AddressPool('10.9.0.0/16', { reserved: ['10.9.1.2'] });
  assert.equal(pool.next(), '10.9.1.1');
  assert.equal(pool.take('10.9.1.3').first, true, 'a chosen free address');
  assert.equal(pool.next(), '10.9.1.4', 'skips the reserved .2 and the chosen .3');
  assert.equal(pool.give('10.9.1.1'), true);
  assert.equal(pool.next(), '10.9.1.5', 'a released address is not reused before the range wraps');
  const small = new AddressPool('10.9.0.0/23', { firstOffset: 254 });
  const got = Array.from({ length: 3 }, () => small.next());
  assert.deepEqual(got, ['10.9.0.254', '10.9.1.1', '10.9.1.2'], '.255 and .0 are skipped');
});

test('a chosen address may be held by several pods; it is free again only when the last one gives it back', () => {
  const pool = new AddressPool('10.9.0.0/16');
  const first = pool.next();
  assert.deepEqual(pool.take(first), { address: first, first: false }, 'the second holder shares it');
  assert.equal(pool.holders(first), 2);
  assert.equal(pool.give(first), false, 'one holder is left: the address must stay');
  assert.equal(pool.holders(first), 1);
  assert.equal(pool.give(first), true, 'the last holder frees it');
  assert.equal(pool.holders(first), 0);
  assert.equal(pool.give(first), false, 'giving back an address nobody holds is ignored');
  assert.equal(pool.give('not an ip'), false);
});

test('next() never hands out an address that a chosen pod holds, and throws when nothing is free', () => {
  const pool = new AddressPool('10.9.0.0/29', { firstOffset: 1 });
  pool.take('10.9.0.2');
  assert.deepEqual([pool.next(), pool.next(), pool.next(), pool.next(), pool.next()], ['10.9.0.1', '10.9.0.3', '10.9.0.4', '10.9.0.5', '10.9.0.6']);
  assert.throws(() => pool.next(), /pod range 10\.9\.0\.0\/29 has no free address left/);
});

test('take() refuses addresses outside the range, reserved ones and non-addresses, naming them', () => {
  const pool = new AddressPool('10.9.0.0/16', { reserved: ['10.9.0.1'] });
  assert.throws(() => pool.take('10.10.0.5'), /pod IP 10\.10\.0\.5 is outside the pod range 10\.9\.0\.0\/16/);
  assert.throws(() => pool.take('10.9.0.1'), /pod IP 10\.9\.0\.1 is reserved/);
  assert.throws(() => pool.take('10.9.0.0'), /reserved/, 'the network address');
  assert.throws(() => pool.take('10.9.255.255'), /reserved/, 'the broadcast address');
  assert.throws(() => pool.take('10.9.1'), /pod IP "10\.9\.1" is not an IPv4 address/);
  assert.equal(pool.holders('10.10.0.5'), 0, 'a refused address holds nothing');
});

test('an IPv6 pool hands out <prefix>::1:1 upwards in canonical form, and takes chosen addresses however written', () => {
  const pool = new AddressPool('fd12:3456:789a::/64', { reserved: ['fd12:3456:789a::1:2'] });
  assert.equal(pool.family, 'IPv6');
  assert.equal(pool.next(), 'fd12:3456:789a::1:1');
  assert.equal(pool.next(), 'fd12:3456:789a::1:3', 'skips the reserved ::1:2');
  assert.deepEqual(pool.take('FD12:3456:789A:0:0:0:1:3'), { address: 'fd12:3456:789a::1:3', first: false }, 'the same address in another spelling');
  assert.equal(pool.holders('fd12:3456:789a::1:3'), 2);
  assert.equal(pool.give('fd12:3456:789a:0::1:3'), false);
  assert.equal(pool.give('fd12:3456:789a::1:3'), true);
  const small = new AddressPool('fd12::/126', { firstOffset: 1 });
  assert.deepEqual([small.next(), small.next()], ['fd12::1', 'fd12::2']);
  assert.throws(() => small.next(), /pod range fd12::\/126 has no free address left/);
});

test('a pool refuses addresses of the other family, naming its own', () => {
  const v6 = new AddressPool('fd12::/64');
  assert.throws(() => v6.take('10.9.1.1'), /pod IP "10\.9\.1\.1" is not an IPv6 address/);
  assert.throws(() => v6.take('fd13::1'), /pod IP fd13::1 is outside the pod range fd12::\/64/);
  assert.throws(() => v6.take('fd12::'), /reserved/, 'the first address of the range');
  const v4 = new AddressPool('10.9.0.0/16');
  assert.throws(() => v4.take('fd12::1'), /pod IP "fd12::1" is not an IPv4 address/);
  assert.equal(v4.holders('fd12::1'), 0);
  assert.equal(v4.give('fd12::1'), false);
});

test('a range too small for its first offset is refused, naming the offset', () => {
  assert.throws(() => new AddressPool('fd12::/112'), /firstOffset 65537 lies outside pod range fd12::\/112/);
  assert.deepEqual(new AddressPool('fd12::/112', { firstOffset: 16 }).next(), 'fd12::10');
});
