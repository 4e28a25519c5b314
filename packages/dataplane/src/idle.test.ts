/**
 * Idle timeouts (TargetGroupSpec.idleTimeoutMs, at the fixture's time scale 0.01: 30 s is
 * 300 ms): a connection that carries bytes keeps its flow; one idle for the timeout loses it,
 * reset on both sides with `idleAction: 'reset'` (Azure's TCP reset), or forgotten with
 * `drop`: no byte and no FIN or RST reaches either side, and what the client sends then goes
 * unanswered.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fixture } from './test-support/fixtures.ts';
import { LineClient, startBackend, waitFor } from './testing/sockets.ts';

const a = await startBackend('a');
after(() => a.close());

test('reset: an idle connection is reset on both sides; one that keeps talking is not', async (t) => {
  // Real timers: the busy flow talks every 50 ms against a 300 ms timeout, so a loaded machine has
  // 250 ms of slack before the busy flow would look idle.
  const { engine, address } = await fixture({ healthCheck: null, group: { idleTimeoutMs: 30_000, idleAction: 'reset' } });
  t.after(() => engine.close());
  await engine.registerTargets('tg', [{ ip: '127.0.0.1', port: a.port }]);
  const busy = await LineClient.connect(address);
  const idle = await LineClient.connect(address);
  t.after(() => {
    busy.close();
    idle.close();
  });
  assert.equal(await busy.nextLine(), 'a');
  assert.equal(await idle.nextLine(), 'a');
  for (let i = 0; i < 12; i++) {
    assert.equal(await busy.roundTrip(`ping${i}`), `a:ping${i}`, 'a line every 50 ms keeps the flow');
    await sleep(50);
  }
  assert.equal(idle.closed, true, 'the idle one was reset');
  assert.equal(busy.closed, false);
  await waitFor('the backend side closed too', async () => (a.open === 1 ? true : undefined), 2000);
  assert.equal((await engine.stats()).listeners[0]?.idleTimedOut, 1);
});

test('drop: an idle flow is forgotten silently; the client hears nothing more and nothing closes it', async (t) => {
  const { engine, address } = await fixture({ healthCheck: null, group: { idleTimeoutMs: 10_000 } });
  t.after(() => engine.close());
  await engine.registerTargets('tg', [{ ip: '127.0.0.1', port: a.port }]);
  const client = await LineClient.connect(address);
  t.after(() => client.close());
  assert.equal(await client.nextLine(), 'a');
  assert.equal(await client.roundTrip('hello'), 'a:hello');
  const openBefore = a.open;
  await waitFor('the flow timed out', async () => ((await engine.stats()).listeners[0]?.idleTimedOut === 1 ? true : undefined), 2000);
  client.socket.write('late\n');
  await assert.rejects(client.nextLine(500), /no line within/, 'sent into a forgotten flow: no answer');
  assert.equal(client.ended, false, 'no FIN or RST reached the client');
  assert.equal(a.open, openBefore, 'nor the backend');
});

test('the idle settings are validated with the field named', async (t) => {
  const { engine } = await fixture({ healthCheck: null });
  t.after(() => engine.close());
  await assert.rejects(engine.putTargetGroup({ name: 'tg', idleTimeoutMs: 0 }), /idleTimeoutMs/);
  await assert.rejects(engine.putTargetGroup({ name: 'tg', idleAction: 'close' as 'reset' }), /idleAction/);
});
