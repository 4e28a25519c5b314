import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type AddressRange, formatAddress, hostPort, nonUnicastKind, parseAddress, parseRange, rangeContains } from './address-range.ts';

function range(text: string): AddressRange {
  const parsed = parseRange(text);
  if ('problem' in parsed) assert.fail(`${text}: ${parsed.problem}`);
  return parsed.range;
}

describe('parseAddress', () => {
  const cases: [string, { family: 4 | 6; value: bigint } | undefined][] = [
    ['10.1.2.3', { family: 4, value: 0x0a010203n }],
    ['0.0.0.0', { family: 4, value: 0n }],
    ['255.255.255.255', { family: 4, value: 0xffff_ffffn }],
    ['::1', { family: 6, value: 1n }],
    ['fd00::', { family: 6, value: 0xfd00n << 112n }],
    ['2001:db8::8:800:200c:417a', { family: 6, value: 0x2001_0db8_0000_0000_0008_0800_200c_417an }],
    ['1:2:3:4:5:6:7:8', { family: 6, value: 0x0001_0002_0003_0004_0005_0006_0007_0008n }],
    ['::0.0.0.1', { family: 6, value: 1n }],
    // IPv4-mapped IPv6 is the IPv4 address it carries, in both spellings.
    ['::ffff:10.0.0.1', { family: 4, value: 0x0a000001n }],
    ['::FFFF:a00:1', { family: 4, value: 0x0a000001n }],
    ['fe80::1%eth0', undefined],
    ['10.0.0', undefined],
    ['10.0.0.256', undefined],
    ['', undefined],
    ['pod.example', undefined],
  ];
  for (const [text, expected] of cases) {
    test(JSON.stringify(text), () => assert.deepEqual(parseAddress(text), expected));
  }
});

describe('parseRange', () => {
  const cases: [string, string | { problem: string }][] = [
    ['10.244.0.0/16', '10.244.0.0/16'],
    ['0.0.0.0/0', '0.0.0.0/0'],
    ['10.0.0.7/32', '10.0.0.7/32'],
    ['FD00:10:244::/56', 'fd00:10:244::/56'],
    ['::/0', '::/0'],
    ['2001:db8:0:0:1:0:0:1/128', '2001:db8::1:0:0:1/128'],
    ['10.0.0.0', { problem: 'it has no /prefix length' }],
    ['10.0.0/8', { problem: '"10.0.0" is not an IPv4 or IPv6 address' }],
    ['fe80::%eth0/64', { problem: '"fe80::%eth0" is not an IPv4 or IPv6 address' }],
    ['10.0.0.0/33', { problem: 'the prefix length "33" is not a whole number from 0 to 32' }],
    ['fd00::/129', { problem: 'the prefix length "129" is not a whole number from 0 to 128' }],
    ['10.0.0.0/', { problem: 'the prefix length "" is not a whole number from 0 to 32' }],
    ['10.0.0.0/-1', { problem: 'the prefix length "-1" is not a whole number from 0 to 32' }],
    ['10.0.0.0/8/8', { problem: 'the prefix length "8/8" is not a whole number from 0 to 32' }],
    ['10.1.2.3/8', { problem: 'it has address bits set past /8 (did you mean 10.0.0.0/8?)' }],
    ['fd00::1/64', { problem: 'it has address bits set past /64 (did you mean fd00::/64?)' }],
  ];
  for (const [text, expected] of cases) {
    test(JSON.stringify(text), () => {
      const parsed = parseRange(text);
      if (typeof expected === 'string') assert.equal('range' in parsed ? parsed.range.text : parsed, expected);
      else assert.deepEqual(parsed, expected);
    });
  }
});

test('hostBits: clear reads a range with address bits past the prefix as Kubernetes does', () => {
  for (const [text, expected] of [
    ['10.1.2.3/8', '10.0.0.0/8'],
    ['fd00::1/64', 'fd00::/64'],
    ['10.0.0.0/8', '10.0.0.0/8'],
  ] as const) {
    const parsed = parseRange(text, { hostBits: 'clear' });
    assert.equal('range' in parsed ? parsed.range.text : parsed.problem, expected);
  }
  assert.deepEqual(parseRange('10.0.0.0/33', { hostBits: 'clear' }), { problem: 'the prefix length "33" is not a whole number from 0 to 32' });
});

describe('rangeContains', () => {
  const cases: [string, string, boolean][] = [
    ['10.244.0.0/16', '10.244.0.0', true],
    ['10.244.0.0/16', '10.244.255.255', true],
    ['10.244.0.0/16', '10.245.0.0', false],
    ['10.244.0.0/16', '10.243.255.255', false],
    ['10.0.0.7/32', '10.0.0.7', true],
    ['10.0.0.7/32', '10.0.0.8', false],
    ['0.0.0.0/0', '203.0.113.9', true],
    ['0.0.0.0/0', '::1', false],
    ['10.244.0.0/16', '::ffff:10.244.1.1', true],
    ['fd00:10:244::/56', 'fd00:10:244:ff::1', true],
    ['fd00:10:244::/56', 'fd00:10:244:100::1', false],
    ['::/0', '10.0.0.1', false],
  ];
  for (const [cidr, ip, expected] of cases) {
    test(`${cidr} ${expected ? 'contains' : 'does not contain'} ${ip}`, () => {
      const address = parseAddress(ip);
      assert.ok(address);
      assert.equal(rangeContains(range(cidr), address), expected);
    });
  }
});

describe('nonUnicastKind', () => {
  const cases: [string, string | undefined][] = [
    ['0.0.0.0', 'the unspecified address'],
    ['::', 'the unspecified address'],
    ['::ffff:0.0.0.0', 'the unspecified address'],
    ['255.255.255.255', 'the broadcast address'],
    ['224.0.0.1', 'a multicast address'],
    ['239.255.255.255', 'a multicast address'],
    ['::ffff:224.0.0.1', 'a multicast address'],
    ['ff02::1', 'a multicast address'],
    ['223.255.255.255', undefined],
    ['240.0.0.1', undefined],
    ['10.0.0.1', undefined],
    ['127.0.0.1', undefined],
    ['::1', undefined],
    ['fe80::1', undefined],
  ];
  for (const [ip, expected] of cases) {
    test(`${ip}: ${expected ?? 'unicast'}`, () => {
      const address = parseAddress(ip);
      assert.ok(address);
      assert.equal(nonUnicastKind(address), expected);
    });
  }
});

describe('formatAddress and hostPort', () => {
  const cases: [string, string][] = [
    ['10.0.0.1', '10.0.0.1'],
    ['0:0:0:0:0:0:0:1', '::1'],
    ['2001:db8:0:1:0:0:0:1', '2001:db8:0:1::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:db8:1:1:1:1:0:1', '2001:db8:1:1:1:1:0:1'],
    ['fd00:0:0:0:0:0:0:0', 'fd00::'],
  ];
  for (const [text, expected] of cases) {
    test(`${text} -> ${expected}`, () => {
      const address = parseAddress(text);
      assert.ok(address);
      assert.equal(formatAddress(address), expected);
    });
  }
  test('brackets an IPv6 host', () => {
    assert.equal(hostPort('127.0.0.1', 80), '127.0.0.1:80');
    assert.equal(hostPort('::1', 80), '[::1]:80');
  });
});
