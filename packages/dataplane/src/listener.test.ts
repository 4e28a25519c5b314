import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { createEngine } from './engine.ts';
import { isConflictError, isListenError, isNotFoundError } from './errors.ts';
import { fixture } from './test-support/fixtures.ts';
import { LineClient, startBackend, waitFor, whoAnswers } from './testing/sockets.ts';

const a = await startBackend('a');
after(() => a.close());

test('a port in use is a ListenError with the code, and nothing changes', async (t) => {
  const { engine, listener } = await fixture({ healthCheck: null });
  t.after(() => engine.close());
  await assert.rejects(engine.putListener({ name: 'other', port: listener.bound.port, targetGroup: 'tg' }), (error: unknown) => {
    assert.ok(isListenError(error));
    assert.equal(error.code, 'EADDRINUSE');
    assert.match(error.message, /^Listener other cannot listen on 127\.0\.0\.1:\d+: the port is in use/);
    return true;
  });
  assert.deepEqual((await engine.state()).listeners.map((l) => l.name), ['l']);
});

test('a listener needs its target group, and a group in use cannot be deleted', async (t) => {
  const engine = createEngine();
  t.after(() => engine.close());
  await assert.rejects(engine.putListener({ name: 'l', port: 0, targetGroup: 'missing' }), isNotFoundError);
  await engine.putTargetGroup({ name: 'tg' });
  await engine.putListener({ name: 'l', port: 0, targetGroup: 'tg' });
  await assert.rejects(engine.deleteTargetGroup('tg'), (error: unknown) => isConflictError(error) && /listeners forward to it \(l\)/.test((error as Error).message));
  await assert.rejects(engine.registerTargets('missing', []), isNotFoundError);
  await engine.deleteListener('l');
  await engine.deleteTargetGroup('tg');
  await engine.deleteTargetGroup('tg');
  assert.deepEqual((await engine.state()).targetGroups, []);
});

test('a new port opens a new socket and closes the old one with its connections; delete closes too', async (t) => {
  const { engine, address } = await fixture({ healthCheck: null });
  t.after(() => engine.close());
  await engine.registerTargets('tg', [{ ip: '127.0.0.1', port: a.port }]);
  const client = await LineClient.connect(address);
  assert.equal(await client.nextLine(), 'a');
  const moved = await engine.putListener({ name: 'l', address: '::1', port: 0, targetGroup: 'tg' });
  await waitFor('old connection closed', () => (client.ended ? true : undefined));
  assert.equal(await whoAnswers(address), undefined, 'the old port is closed');
  const next = { address: '::1', port: moved.bound.port };
  const second = await LineClient.connect(next);
  assert.equal(await second.nextLine(), 'a');
  await engine.deleteListener('l');
  await waitFor('connection closed by delete', () => (second.ended ? true : undefined));
});

test('a closed engine closes its listeners and refuses further calls', async () => {
  const { engine, address } = await fixture({ healthCheck: null });
  await engine.registerTargets('tg', [{ ip: '127.0.0.1', port: a.port }]);
  const client = await LineClient.connect(address);
  assert.equal(await client.nextLine(), 'a');
  await Promise.all([engine.close(), engine.close()]);
  await waitFor('closed', () => (client.ended ? true : undefined));
  await engine.close();
  await assert.rejects(engine.putTargetGroup({ name: 'x' }), /engine is closed/);
});
