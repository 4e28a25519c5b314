import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { test } from 'node:test';
import type { ProxyProtocolVersion } from './spec.ts';
import { fixture } from './test-support/fixtures.ts';
import { startCaptureBackend } from './testing/sockets.ts';

/** Sends `hello\n` through a listener whose group writes `version`, and returns what the target received and the client socket. */
async function capture(t: { after(fn: () => unknown): void }, version: ProxyProtocolVersion, host: string) {
  const backend = await startCaptureBackend(host);
  t.after(() => backend.close());
  const { engine, listener } = await fixture({ healthCheck: null, group: { proxyProtocol: version }, listener: { address: host } });
  t.after(() => engine.close());
  await engine.registerTargets('tg', [{ ip: host, port: backend.port }]);
  const client: Socket = connect({ host, port: listener.bound.port });
  t.after(() => client.destroy());
  await once(client, 'connect');
  const received = backend.nextCapture((data) => data.toString('latin1').endsWith('hello\n'));
  client.write('hello\n');
  return { data: await received, client, listenerPort: listener.bound.port };
}

const port16 = (port: number) => Buffer.from([port >> 8, port & 0xff]);

test('PROXY v1 over IPv4: the target receives the text line, then the client bytes', async (t) => {
  const { data, client, listenerPort } = await capture(t, 'v1', '127.0.0.1');
  assert.equal(data.toString('latin1'), `PROXY TCP4 127.0.0.1 127.0.0.1 ${client.localPort} ${listenerPort}\r\nhello\n`);
});

test('PROXY v1 over IPv6', async (t) => {
  const { data, client, listenerPort } = await capture(t, 'v1', '::1');
  assert.equal(data.toString('latin1'), `PROXY TCP6 ::1 ::1 ${client.localPort} ${listenerPort}\r\nhello\n`);
});

test('PROXY v2 over IPv4: signature, 0x21, TCP4, length 12, addresses and ports in network order', async (t) => {
  const { data, client, listenerPort } = await capture(t, 'v2', '127.0.0.1');
  const expected = Buffer.concat([
    Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]),
    Buffer.from([0x21, 0x11, 0x00, 0x0c]),
    Buffer.from([127, 0, 0, 1, 127, 0, 0, 1]),
    port16(client.localPort ?? 0),
    port16(listenerPort),
    Buffer.from('hello\n'),
  ]);
  assert.deepEqual(data, expected);
});

test('PROXY v2 over IPv6: TCP6, length 36', async (t) => {
  const { data, client, listenerPort } = await capture(t, 'v2', '::1');
  const loopback = Buffer.alloc(16);
  loopback[15] = 1;
  const expected = Buffer.concat([
    Buffer.from('0d0a0d0a000d0a515549540a', 'hex'),
    Buffer.from([0x21, 0x21, 0x00, 0x24]),
    loopback,
    loopback,
    port16(client.localPort ?? 0),
    port16(listenerPort),
    Buffer.from('hello\n'),
  ]);
  assert.deepEqual(data, expected);
});

test('without PROXY protocol the target receives only the client bytes', async (t) => {
  const { data } = await capture(t, 'none', '127.0.0.1');
  assert.equal(data.toString('latin1'), 'hello\n');
});
