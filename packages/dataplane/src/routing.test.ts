import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { createEngine } from './engine.ts';
import { fixture, waitForState } from './test-support/fixtures.ts';
import { bytesBeforeClose, countAnswers, freePort, LineClient, startBackend, waitFor, whoAnswers } from './testing/sockets.ts';

const a = await startBackend('a');
const b = await startBackend('b');
after(() => Promise.all([a.close(), b.close()]));

test('smooth weighted round-robin over healthy targets', async (t) => {
  const { engine, address } = await fixture();
  t.after(() => engine.close());
  await engine.setTargets('tg', [
    { ip: '127.0.0.1', port: a.port, weight: 3 },
    { ip: '127.0.0.1', port: b.port, weight: 1 },
  ]);
  await waitForState(engine, a.port, 'healthy');
  await waitForState(engine, b.port, 'healthy');
  assert.deepEqual(await countAnswers(address, 8), new Map([['a', 6], ['b', 2]]));
  const stats = await engine.stats();
  assert.equal(stats.listeners[0]?.proxied, 8);
  assert.deepEqual(stats.targets.map((s) => s.proxied), [6, 2]);
});

test('fail-closed refuses when no target is healthy; fail-open routes to every registered target', async (t) => {
  const dead = await freePort();
  const { engine, address } = await fixture({ healthCheck: { port: dead } });
  t.after(() => engine.close());
  await engine.registerTargets('tg', [{ ip: '127.0.0.1', port: a.port }]);
  await waitForState(engine, a.port, 'unhealthy');
  assert.equal(await whoAnswers(address), undefined);
  assert.equal((await engine.stats()).listeners[0]?.refusedNoTarget, 1);
  await engine.putTargetGroup({ name: 'tg', failOpen: true });
  assert.equal(await whoAnswers(address), 'a');
  await engine.registerTargets('tg', [{ ip: '127.0.0.1', port: a.port, weight: 0 }]);
  assert.equal(await whoAnswers(address), undefined, 'fail-open never routes to a draining target');
});

test('source ranges: a client outside them is reset before any target is contacted; a change applies to the next client', async (t) => {
  const { engine, address } = await fixture({ healthCheck: null, listener: { sourceRanges: ['10.0.0.0/8', '::1/128'] } });
  t.after(() => engine.close());
  await engine.registerTargets('tg', [{ ip: '127.0.0.1', port: a.port }]);
  const before = a.accepted;
  assert.equal(await whoAnswers(address), undefined);
  assert.equal(a.accepted, before, 'no target connection was opened');
  assert.equal((await engine.stats()).listeners[0]?.refusedSourceRange, 1);
  const updated = await engine.putListener({ name: 'l', port: 0, targetGroup: 'tg', sourceRanges: ['127.0.0.0/8'] });
  assert.equal(updated.bound.port, address.port, 'updated in place');
  assert.equal(await whoAnswers(address), 'a');
});

test('source ranges on an IPv6 listener: families stay apart', async (t) => {
  const { engine, listener } = await fixture({ healthCheck: null, listener: { address: '::1', sourceRanges: ['::1/128'] } });
  t.after(() => engine.close());
  await engine.registerTargets('tg', [{ ip: '127.0.0.1', port: a.port }]);
  const address = { address: '::1', port: listener.bound.port };
  assert.equal(await whoAnswers(address), 'a');
  await engine.putListener({ name: 'l', address: '::1', port: 0, targetGroup: 'tg', sourceRanges: ['0.0.0.0/0', '2001:db8::/32'] });
  assert.equal(await whoAnswers(address), undefined);
});

test('firewall client -> listener: a deny resets the client with no data; a lower priority number allow wins', async (t) => {
  const { engine, address } = await fixture({ healthCheck: null, listener: { tags: ['public'] } });
  t.after(() => engine.close());
  await engine.registerTargets('tg', [{ ip: '127.0.0.1', port: a.port }]);
  await engine.putFirewallRule({ name: 'deny-loopback', priority: 200, direction: 'to-listener', action: 'deny', source: { cidrs: ['127.0.0.0/8'] } });
  assert.equal(await bytesBeforeClose(address), 0, 'no data, then closed');
  assert.equal((await engine.stats()).listeners[0]?.refusedFirewall, 1);
  await engine.putFirewallRule({ name: 'allow-public', priority: 100, direction: 'to-listener', action: 'allow', destination: { tags: ['public'] } });
  assert.equal(await whoAnswers(address), 'a');
});

test('firewall LB -> target: a dropped connect fails at the connect timeout; a retry reaches another target', async (t) => {
  const { engine, address } = await fixture({ healthCheck: null, group: { connectTimeoutMs: 10_000 } });
  t.after(() => engine.close());
  await engine.registerTargets('tg', [{ ip: '127.0.0.1', port: a.port }]);
  await engine.putFirewallRule({ name: 'deny-a', priority: 1, direction: 'to-target', action: 'deny', ports: [a.port] });
  const before = a.accepted;
  assert.equal(await whoAnswers(address), undefined);
  assert.equal(a.accepted, before);
  let stats = await engine.stats();
  assert.equal(stats.listeners[0]?.backendFailed, 1);
  assert.equal(stats.targets[0]?.blockedByFirewall, 1);

  await engine.putTargetGroup({ name: 'tg', connectRetries: 1, connectTimeoutMs: 10_000 });
  await engine.registerTargets('tg', [{ ip: '127.0.0.1', port: b.port }]);
  assert.deepEqual(await countAnswers(address, 4), new Map([['b', 4]]));
  stats = await engine.stats();
  assert.equal(stats.listeners[0]?.retried, 2, 'the two connections that picked a first were retried on b');
});

test('preserveClientIp: the firewall judges LB -> target by the client instead of the LB source', async (t) => {
  const { engine, address } = await fixture({ healthCheck: null, group: { proxySource: { tags: ['lb'] } } });
  t.after(() => engine.close());
  await engine.registerTargets('tg', [{ ip: '127.0.0.1', port: a.port }]);
  await engine.putFirewallRule({ name: 'deny-lb', priority: 1, direction: 'to-target', action: 'deny', source: { tags: ['lb'] } });
  assert.equal(await whoAnswers(address), undefined, 'traffic from the LB (tag lb) is denied');
  await engine.putTargetGroup({ name: 'tg', proxySource: { tags: ['lb'] }, preserveClientIp: true });
  assert.equal(await whoAnswers(address), 'a', 'traffic judged as from the client passes');
});

test('connect retries recover from a refused target and, when configured, count against its health', async (t) => {
  const dead = await freePort();
  const engine = createEngine({ timeScale: 0.01 });
  t.after(() => engine.close());
  await engine.putTargetGroup({ name: 'tg', connectRetries: 2, countConnectFailures: true });
  await engine.putHealthCheck('tg', { intervalMs: 1_000_000, healthyThreshold: 1, unhealthyThreshold: 2 });
  const listener = await engine.putListener({ name: 'l', port: 0, targetGroup: 'tg' });
  await engine.registerTargets('tg', [
    { ip: '127.0.0.1', port: a.port },
    { ip: '127.0.0.1', port: dead, adminState: 'up' },
  ]);
  await waitForState(engine, a.port, 'healthy');
  const address = { address: '127.0.0.1', port: listener.bound.port };
  assert.deepEqual(await countAnswers(address, 4), new Map([['a', 4]]));
  const stats = await engine.stats();
  assert.equal(stats.listeners[0]?.retried, 2);
  assert.equal(stats.targets.find((s) => s.port === dead)?.connectFailed, 2);
});

test('bytes in and out are counted per listener and target, also while the connection is open', async (t) => {
  const { engine, address } = await fixture({ healthCheck: null });
  t.after(() => engine.close());
  await engine.registerTargets('tg', [{ ip: '127.0.0.1', port: a.port }]);
  const client = await LineClient.connect(address);
  assert.equal(await client.nextLine(), 'a');
  assert.equal(await client.roundTrip('hello'), 'a:hello');
  const open = await engine.stats();
  assert.deepEqual([open.listeners[0]?.bytesIn, open.listeners[0]?.bytesOut, open.listeners[0]?.active], [6, 10, 1]);
  client.socket.end();
  assert.equal(await client.nextLine(), 'a:bye', 'a half-close is forwarded; the target answers it');
  await waitFor('closed', async () => ((await engine.stats()).listeners[0]?.active === 0 ? true : undefined));
  const closed = await engine.stats();
  assert.deepEqual([closed.targets[0]?.bytesIn, closed.targets[0]?.bytesOut, closed.targets[0]?.active], [6, 16, 0]);
});
