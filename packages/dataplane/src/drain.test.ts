import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import type { DataPlaneEngine } from './engine.ts';
import type { DrainSpec } from './spec.ts';
import { fixture, waitForState } from './test-support/fixtures.ts';
import { ManualTimers } from './testing/manual-timers.ts';
import { countAnswers, LineClient, startBackend, waitFor } from './testing/sockets.ts';

const a = await startBackend('a');
const b = await startBackend('b');
after(() => Promise.all([a.close(), b.close()]));

/** An engine on manual timers (checks pass at registration, drain timers fire when told) with a and b healthy. */
async function setup(t: { after(fn: () => unknown): void }, drain: DrainSpec) {
  const timers = new ManualTimers();
  const f = await fixture({ timers, timeScale: 0.01, group: { drain } });
  t.after(() => f.engine.close());
  await f.engine.registerTargets('tg', [{ ip: '127.0.0.1', port: a.port }]);
  await waitForState(f.engine, a.port, 'healthy');
  const client = await LineClient.connect(f.address);
  t.after(() => client.close());
  assert.equal(await client.nextLine(), 'a');
  await f.engine.registerTargets('tg', [{ ip: '127.0.0.1', port: b.port }]);
  await waitForState(f.engine, b.port, 'healthy');
  return { ...f, timers, client };
}

async function targetStats(engine: DataPlaneEngine, port: number) {
  const stats = (await engine.stats()).targets.find((s) => s.port === port);
  assert.ok(stats);
  return stats;
}

test('weight0: the target stays, gets no new connections, and its open connection continues; deregistering removes it at once', async (t) => {
  const { engine, address, client } = await setup(t, { mode: 'weight0' });
  await engine.registerTargets('tg', [{ ip: '127.0.0.1', port: a.port, weight: 0 }]);
  assert.deepEqual(
    (await engine.targetHealth('tg')).map((h) => [h.port, h.state, h.reason]),
    [
      [a.port, 'draining', 'WeightZero'],
      [b.port, 'healthy', undefined],
    ],
  );
  assert.deepEqual(await countAnswers(address, 4), new Map([['b', 4]]));
  assert.equal(await client.roundTrip('still'), 'a:still');
  await engine.deregisterTargets('tg', [{ ip: '127.0.0.1', port: a.port }]);
  assert.deepEqual((await engine.targetHealth('tg')).map((h) => h.port), [b.port]);
  assert.equal(await client.roundTrip('after'), 'a:after', 'open connections outlive the registration');
});

test('deregister with terminateOnExpiry: draining for the delay, then removed and its connections closed', async (t) => {
  const { engine, address, client, timers } = await setup(t, { mode: 'deregister', delayMs: 20_000, terminateOnExpiry: true });
  await engine.deregisterTargets('tg', [{ ip: '127.0.0.1', port: a.port }]);
  assert.deepEqual(
    (await engine.targetHealth('tg')).map((h) => [h.port, h.state, h.reason]),
    [
      [b.port, 'healthy', undefined],
      [a.port, 'draining', 'DeregistrationInProgress'],
    ],
  );
  assert.deepEqual(await countAnswers(address, 3), new Map([['b', 3]]));
  assert.equal(await client.roundTrip('during'), 'a:during');
  assert.equal(timers.fire(200), 1, 'the 20 s delay runs as 200 ms');
  await waitFor('the connection closed', () => (client.closed ? true : undefined));
  assert.deepEqual((await engine.targetHealth('tg')).map((h) => h.port), [b.port]);
  assert.equal((await targetStats(engine, a.port)).closedByDrain, 1);
  assert.equal((await engine.stats()).listeners[0]?.closedByDrain, 1);
});

test('deregister without terminateOnExpiry: removed at the delay, its connections left to finish', async (t) => {
  const { engine, client, timers } = await setup(t, { mode: 'deregister', delayMs: 20_000, terminateOnExpiry: false });
  await engine.deregisterTargets('tg', [{ ip: '127.0.0.1', port: a.port }]);
  assert.equal(timers.fire(200), 1);
  assert.deepEqual((await engine.targetHealth('tg')).map((h) => h.port), [b.port]);
  assert.equal(await client.roundTrip('after expiry'), 'a:after expiry');
  assert.equal((await targetStats(engine, a.port)).closedByDrain, 0);
  assert.equal((await targetStats(engine, a.port)).active, 1);
});

test('detach: no new connections, open ones closed at the draining timeout', async (t) => {
  const { engine, address, client, timers } = await setup(t, { mode: 'detach', drainingTimeoutMs: 30_000 });
  await engine.deregisterTargets('tg', [{ ip: '127.0.0.1', port: a.port }]);
  assert.equal((await engine.targetHealth('tg')).find((h) => h.port === a.port)?.state, 'draining');
  assert.deepEqual(await countAnswers(address, 2), new Map([['b', 2]]));
  assert.equal(await client.roundTrip('during'), 'a:during');
  assert.equal(timers.fire(300), 1, 'the 30 s timeout runs as 300 ms');
  await waitFor('the connection closed', () => (client.closed ? true : undefined));
  assert.equal((await targetStats(engine, a.port)).closedByDrain, 1);
  assert.deepEqual((await engine.targetHealth('tg')).map((h) => h.port), [b.port]);
});

test('detach: a target whose last connection closes is removed before the timeout', async (t) => {
  const { engine, client, timers } = await setup(t, { mode: 'detach', drainingTimeoutMs: 30_000 });
  await engine.deregisterTargets('tg', [{ ip: '127.0.0.1', port: a.port }]);
  assert.equal(timers.pending(300), 1);
  client.close();
  await waitFor('removed', async () => ((await engine.targetHealth('tg')).length === 1 ? true : undefined));
  assert.equal(timers.pending(300), 0, 'the timeout was cancelled');
  assert.equal((await targetStats(engine, a.port)).closedByDrain, 0);
});

test('adminState down: established connections stay, new flows go elsewhere (none left: refused); up again takes flows', async (t) => {
  const { engine, address, client } = await setup(t, { mode: 'weight0' });
  await engine.registerTargets('tg', [{ ip: '127.0.0.1', port: a.port, adminState: 'down' }]);
  assert.deepEqual(
    (await engine.targetHealth('tg')).find((h) => h.port === a.port),
    { ip: '127.0.0.1', port: a.port, weight: 1, adminState: 'down', tags: [], registration: '', state: 'draining', reason: 'AdminStateDown' },
  );
  assert.deepEqual(await countAnswers(address, 3), new Map([['b', 3]]));
  assert.equal(await client.roundTrip('kept'), 'a:kept');
  await engine.registerTargets('tg', [{ ip: '127.0.0.1', port: b.port, adminState: 'down' }]);
  assert.deepEqual(await countAnswers(address, 2), new Map([['none', 2]]));
  assert.equal((await engine.stats()).listeners[0]?.refusedNoTarget, 2);
  await engine.registerTargets('tg', [{ ip: '127.0.0.1', port: a.port, adminState: 'none' }]);
  assert.deepEqual(await countAnswers(address, 2), new Map([['a', 2]]));
});

test('a new registration value at the same address is a new registration: the old one drains, health starts over', async (t) => {
  const { engine, timers } = await setup(t, { mode: 'deregister', delayMs: 20_000, terminateOnExpiry: true });
  await engine.registerTargets('tg', [{ ip: '127.0.0.1', port: a.port, registration: 'pod-2' }]);
  const states = (await engine.targetHealth('tg')).filter((h) => h.port === a.port).map((h) => [h.registration, h.state]);
  assert.deepEqual(states[1], ['', 'draining']);
  assert.equal(states[0]?.[0], 'pod-2');
  timers.fire(200);
  assert.deepEqual((await engine.targetHealth('tg')).filter((h) => h.port === a.port).map((h) => h.registration), ['pod-2']);
});
