import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeProxyHeader, PROXY_V2_SIGNATURE, parseProxyHeader } from './proxy-protocol.ts';

const v4 = { sourceAddress: '192.0.2.10', sourcePort: 51234, destinationAddress: '198.51.100.1', destinationPort: 443 };
const v6 = { sourceAddress: '2001:db8::10', sourcePort: 51234, destinationAddress: '2001:db8::1', destinationPort: 443 };

test('v1 writes the TCP4 and TCP6 lines of the spec', () => {
  assert.equal(encodeProxyHeader('v1', v4).toString('latin1'), 'PROXY TCP4 192.0.2.10 198.51.100.1 51234 443\r\n');
  assert.equal(encodeProxyHeader('v1', v6).toString('latin1'), 'PROXY TCP6 2001:db8::10 2001:db8::1 51234 443\r\n');
  assert.equal(
    encodeProxyHeader('v1', { ...v4, sourceAddress: '::ffff:192.0.2.10', destinationAddress: '::ffff:198.51.100.1' }).toString('latin1'),
    'PROXY TCP4 192.0.2.10 198.51.100.1 51234 443\r\n',
    'IPv4-mapped addresses from a dual-stack listener are written as IPv4',
  );
  assert.equal(encodeProxyHeader('v1', { ...v4, sourceAddress: undefined }).toString('latin1'), 'PROXY UNKNOWN\r\n');
});

test('v2 writes the signature, 0x21, the family and the addresses in network byte order', () => {
  const header = encodeProxyHeader('v2', v4);
  const expected = Buffer.concat([
    Buffer.from('0d0a0d0a000d0a515549540a', 'hex'),
    Buffer.from([0x21, 0x11, 0x00, 0x0c]),
    Buffer.from([192, 0, 2, 10, 198, 51, 100, 1]),
    Buffer.from([0xc8, 0x22, 0x01, 0xbb]),
  ]);
  assert.deepEqual(header, expected);
  const six = encodeProxyHeader('v2', v6);
  assert.equal(six.length, 16 + 36);
  assert.deepEqual(six.subarray(12, 16), Buffer.from([0x21, 0x21, 0x00, 0x24]));
  assert.deepEqual(six.subarray(16, 32), Buffer.from('20010db8000000000000000000000010', 'hex'));
  assert.deepEqual(six.subarray(32, 48), Buffer.from('20010db8000000000000000000000001', 'hex'));
  assert.deepEqual(encodeProxyHeader('v2', { ...v4, destinationPort: undefined }), Buffer.concat([PROXY_V2_SIGNATURE, Buffer.from([0x21, 0, 0, 0])]));
});

test('mixed families are written as IPv6 with the IPv4 address mapped', () => {
  const header = encodeProxyHeader('v1', { ...v4, destinationAddress: '2001:db8::1' });
  assert.equal(header.toString('latin1'), 'PROXY TCP6 ::ffff:c000:20a 2001:db8::1 51234 443\r\n');
});

test('the parser reads back what the encoder writes, with the header length', () => {
  for (const version of ['v1', 'v2'] as const) {
    for (const ends of [v4, v6]) {
      const header = encodeProxyHeader(version, ends);
      const parsed = parseProxyHeader(Buffer.concat([header, Buffer.from('GET / HTTP/1.1\r\n')]));
      assert.equal(parsed.status, 'complete');
      if (parsed.status !== 'complete') return;
      assert.equal(parsed.length, header.length);
      assert.deepEqual(parsed.header, {
        version: version === 'v1' ? 1 : 2,
        command: 'PROXY',
        family: ends === v4 ? 'TCP4' : 'TCP6',
        ...ends,
      });
    }
  }
});

test('the parser says incomplete for a prefix and invalid for other data', () => {
  const header = encodeProxyHeader('v2', v4);
  assert.deepEqual(parseProxyHeader(header.subarray(0, 5)), { status: 'incomplete' });
  assert.deepEqual(parseProxyHeader(header.subarray(0, 20)), { status: 'incomplete' });
  assert.deepEqual(parseProxyHeader(Buffer.from('PROXY TCP4 1.2')), { status: 'incomplete' });
  assert.equal(parseProxyHeader(Buffer.from('GET / HTTP/1.1\r\n')).status, 'invalid');
  assert.equal(parseProxyHeader(Buffer.from('PROXY TCP4 1.2.3 4.5.6.7 1 2\r\n')).status, 'invalid');
});
