/**
 * The data plane is the provider's only record: a provider that starts against an engine
 * already serving (a restarted controller, a new leader) adopts what it finds there, with no
 * re-bind and no dropped connection, and cleans up what belongs to its Services only.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { createEngine, type DataPlaneEngine } from '@sluice/dataplane';
import { LineClient, startBackend, waitFor, whoAnswers } from '@sluice/dataplane/testing';
import { createLocalProvider, type LocalProviderOptions } from './index.ts';
import { backend, cluster, service, signal } from './test-support/fixtures.ts';

const a = await startBackend('a');
const b = await startBackend('b');
after(() => Promise.all([a.close(), b.close()]));

const fast: LocalProviderOptions = { intervalMs: 20, timeoutMs: 500, healthyThreshold: 1 };

function engine(t: { after(fn: () => Promise<void>): void }): DataPlaneEngine {
  const e = createEngine();
  t.after(() => e.close());
  return e;
}

describe('a provider on an engine that already serves', () => {
  test('adopts the load balancer: same status and health, no re-bind, open connections continue, and it drains', async (t) => {
    const plane = engine(t);
    const first = createLocalProvider({ ...fast, dataplane: plane });
    const backends = [backend(a.port, 'pod-a'), backend(b.port, 'pod-b')];
    const status = await first.ensureLoadBalancer(cluster, service(), backends, signal);
    const address = await first.listenerAddress(service(), 'http');
    assert.ok(address);
    const health = await waitFor('both healthy', async () => {
      const all = await first.getBackendHealth(cluster, service(), signal);
      return all.every((s) => s.health === 'healthy') ? all : undefined;
    });
    const open = await LineClient.connect(address);
    t.after(() => open.close());
    const served = await open.nextLine();
    // The controller goes away; its provider lets go of the engine, which keeps serving.
    await first.close();
    assert.match((await open.roundTrip('during')) ?? '', /^[ab]:during$/);

    const second = createLocalProvider({ ...fast, dataplane: plane });
    t.after(() => second.close());
    assert.deepEqual(await second.getLoadBalancer(cluster, service(), signal), { exists: true, status });
    assert.deepEqual(await second.getBackendHealth(cluster, service(), signal), health);
    assert.deepEqual(await second.ensureLoadBalancer(cluster, service(), backends, signal), status);
    assert.deepEqual(await second.listenerAddress(service(), 'http'), address, 'the same listener');
    const { listeners } = await plane.stats();
    assert.equal(listeners.length, 1, 'no second listener');
    assert.equal(await open.roundTrip('after'), `${served}:after`, 'the connection opened before is still served');

    // Drain through the new provider: the open connection continues, new ones avoid the drained pod.
    const drained = served === 'a' ? 'pod-a' : 'pod-b';
    await second.updateLoadBalancer(cluster, service(), backends.map((x) => (x.podUid === drained ? { ...x, weight: 0 } : x)), signal);
    const other = served === 'a' ? 'b' : 'a';
    for (let i = 0; i < 4; i++) assert.equal(await whoAnswers(address), other);
    assert.equal(await open.roundTrip('drained'), `${served}:drained`);
  });

  test('an empty engine (a new one) reports no load balancer, and the next ensure programs it again', async (t) => {
    const old = engine(t);
    const lb = createLocalProvider({ ...fast, dataplane: old });
    await lb.ensureLoadBalancer(cluster, service(), [backend(a.port, 'pod-a')], signal);
    await old.close();
    const fresh = engine(t);
    const next = createLocalProvider({ ...fast, dataplane: fresh });
    assert.deepEqual(await next.getLoadBalancer(cluster, service(), signal), { exists: false });
    assert.deepEqual(await next.getBackendHealth(cluster, service(), signal), []);
    await next.ensureLoadBalancer(cluster, service(), [backend(a.port, 'pod-a')], signal);
    const address = await next.listenerAddress(service(), 'http');
    assert.ok(address);
    assert.equal(await whoAnswers(address), 'a');
  });

  test('changed provider options are applied to the groups an ensure finds', async (t) => {
    const plane = engine(t);
    await createLocalProvider({ ...fast, dataplane: plane }).ensureLoadBalancer(cluster, service(), [], signal);
    const changed = createLocalProvider({ intervalMs: 700, timeoutMs: 300, healthyThreshold: 3, unhealthyThreshold: 4, connectRetries: 1, dataplane: plane });
    await changed.ensureLoadBalancer(cluster, service(), [], signal);
    const [group] = (await plane.state()).targetGroups;
    assert.deepEqual(
      { retries: group?.connectRetries, connectTimeoutMs: group?.connectTimeoutMs, check: group?.healthCheck && { ...group.healthCheck, source: undefined } },
      {
        retries: 1,
        connectTimeoutMs: 300,
        check: { protocol: 'tcp', port: undefined, path: '/', host: undefined, matcher: '200-399', intervalMs: 700, timeoutMs: 300, healthyThreshold: 3, unhealthyThreshold: 4, source: undefined },
      },
    );
  });

  test("what an interrupted call left of a Service is removed by its next ensure; other Services' objects are not touched", async (t) => {
    const plane = engine(t);
    const lb = createLocalProvider({ ...fast, dataplane: plane });
    const other = service({ name: 'other', uid: 'uid-other' });
    await lb.ensureLoadBalancer(cluster, other, [backend(b.port, 'pod-b')], signal);
    await lb.ensureLoadBalancer(cluster, service(), [], signal);
    // A group of a port the Service no longer has and a second listener on the same group.
    const prefix = 'sluice/default/web/uid-web/';
    await plane.putTargetGroup({ name: `${prefix}old` });
    await plane.putListener({ name: `${prefix}http@0~2`, port: 0, targetGroup: `${prefix}http` });
    await lb.ensureLoadBalancer(cluster, service(), [backend(a.port, 'pod-a')], signal);
    const state = await plane.state();
    assert.deepEqual(
      state.listeners.map((l) => `${l.name} -> ${l.targetGroup}`),
      ['sluice/default/other/uid-other/http@0 -> sluice/default/other/uid-other/http', `${prefix}http@0 -> ${prefix}http`],
    );
    assert.deepEqual(
      state.targetGroups.map((g) => g.name),
      ['sluice/default/other/uid-other/http', `${prefix}http`],
    );

    await lb.ensureLoadBalancerDeleted(cluster, service(), signal);
    const left = await plane.state();
    assert.deepEqual(
      [...left.listeners, ...left.targetGroups].map((o) => o.name),
      ['sluice/default/other/uid-other/http@0', 'sluice/default/other/uid-other/http'],
    );
    const address = await lb.listenerAddress(other, 'http');
    assert.ok(address);
    assert.equal(await whoAnswers(address), 'b', 'the other Service still serves');
  });
});
