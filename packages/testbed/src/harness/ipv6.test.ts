import assert from 'node:assert/strict';
import { test } from 'node:test';
import { familyOf } from './ip-family.ts';
import { formatIpv6, parseCidr6, parseIpv6, ranges6Overlap } from './ipv6.ts';

test('IPv6 addresses parse to numbers and print in canonical form (RFC 5952)', () => {
  const cases: [text: string, canonical: string][] = [
    ['::', '::'],
    ['::1', '::1'],
    ['FD12:3456:789A:0:0:0:1:5', 'fd12:3456:789a::1:5'],
    ['fd12:0:0:1:0:0:0:1', 'fd12:0:0:1::1'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['fd00::1:0:0:0:1', 'fd00:0:0:1::1'],
    ['::ffff:10.0.0.1', '::ffff:a00:1'],
  ];
  for (const [text, canonical] of cases) {
    assert.equal(formatIpv6(parseIpv6(text)), canonical, text);
    assert.equal(parseIpv6(canonical), parseIpv6(text), `${canonical} round-trips`);
  }
  assert.equal(parseIpv6('::1:1'), 0x10001n);
  for (const bad of ['10.0.0.1', 'fd12::1::2', 'fe80::1%eth0', 'fd12:g::1', '']) assert.throws(() => parseIpv6(bad), /is not an IPv6 address/, bad);
});

test('IPv6 CIDRs give their first address and size; overlaps are found', () => {
  const a = parseCidr6('fd12:3456:789a::5/64');
  assert.equal(formatIpv6(a.start), 'fd12:3456:789a::');
  assert.equal(a.size, 1n << 64n);
  assert.equal(parseCidr6('fd12::1').size, 1n);
  assert.ok(ranges6Overlap(a, parseCidr6('fd12:3456:789a:0:ffff::/80')));
  assert.ok(ranges6Overlap(parseCidr6('fd00::/8'), a));
  assert.ok(!ranges6Overlap(a, parseCidr6('fd12:3456:789b::/64')));
  assert.throws(() => parseCidr6('fd12::/129'), /is not an IPv6 CIDR/);
});

test('familyOf names the family of an address literal', () => {
  assert.equal(familyOf('10.1.2.3'), 'IPv4');
  assert.equal(familyOf('fd12::1'), 'IPv6');
  assert.equal(familyOf('fe80::1%eth0'), undefined, 'a zone is not part of a pod address');
  assert.equal(familyOf('pod-a'), undefined);
});
