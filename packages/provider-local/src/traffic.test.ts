/**
 * The provider's behaviour through real sockets on the data plane it programs:
 * distribution, drain, dead backends, retries and half-close. Backends answer with their
 * id, so every assertion names who served; the engine's counters say what it did.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { BackendHealthState } from '@sluice/core';
import { createEngine, type DataPlaneEngine, type ListenerStats } from '@sluice/dataplane';
import { countAnswers, freePort, LineClient, startBackend, type TestBackend, waitFor, whoAnswers } from '@sluice/dataplane/testing';
import { createLocalProvider, type ListenAddress, type LocalLoadBalancer, type LocalProviderOptions } from './index.ts';
import { backend, cluster, service, signal } from './test-support/fixtures.ts';

const fast: LocalProviderOptions = { intervalMs: 20, timeoutMs: 500, healthyThreshold: 2, unhealthyThreshold: 2 };

/** The provider on an engine the test holds, so it can read the engine's counters. */
async function provider(t: { after(fn: () => Promise<void>): void }, options: LocalProviderOptions = fast): Promise<LocalLoadBalancer & { readonly engine: DataPlaneEngine }> {
  const engine = createEngine();
  const lb = createLocalProvider({ ...options, dataplane: engine });
  t.after(async () => {
    await lb.close();
    await engine.close();
  });
  return Object.assign(lb, { engine });
}

/** The counters of the Service's only listener. */
async function listenerStats(engine: DataPlaneEngine): Promise<ListenerStats> {
  const { listeners } = await engine.stats();
  assert.equal(listeners.length, 1);
  return listeners[0]!;
}

/** Waits until every registration of the Service reports the health given by its port. */
async function waitForHealth(lb: LocalLoadBalancer, expected: Map<number, BackendHealthState>): Promise<void> {
  await waitFor(`health ${JSON.stringify([...expected])}`, async () => {
    const all = await lb.getBackendHealth(cluster, service(), signal);
    return all.length === expected.size && all.every((b) => expected.get(b.port) === b.health) ? true : undefined;
  });
}

async function address(lb: LocalLoadBalancer): Promise<ListenAddress> {
  const found = await lb.listenerAddress(service(), 'http');
  assert.ok(found, 'the listener exists');
  return found;
}

describe('traffic through the local load balancer', () => {
  let a: TestBackend;
  let b: TestBackend;
  let c: TestBackend;
  before(async () => {
    [a, b, c] = await Promise.all([startBackend('a'), startBackend('b'), startBackend('c')]);
  });
  after(async () => {
    await Promise.all([a.close(), b.close(), c.close()]);
  });

  test('connections follow the weights (300 connections, weights 3:2:1, tolerance ±3)', async (t) => {
    const lb = await provider(t);
    await lb.ensureLoadBalancer(
      cluster,
      service(),
      [backend(a.port, 'pod-a', 3), backend(b.port, 'pod-b', 2), backend(c.port, 'pod-c', 1)],
      signal,
    );
    await waitForHealth(lb, new Map([[a.port, 'healthy'], [b.port, 'healthy'], [c.port, 'healthy']]));
    const counts = await countAnswers(await address(lb), 300);
    // Smooth WRR meets the weights exactly over each cycle of 6 picks; the tolerance only
    // covers a health flap on this busy machine.
    for (const [id, expected] of [['a', 150], ['b', 100], ['c', 50]] as const) {
      const got = counts.get(id) ?? 0;
      assert.ok(Math.abs(got - expected) <= 3, `backend ${id} served ${got}, expected ${expected} ±3 (${JSON.stringify([...counts])})`);
    }
    assert.equal(counts.get('none'), undefined);
  });

  test('weight 0 drains: the open connection flows both ways, new ones go elsewhere', async (t) => {
    const lb = await provider(t);
    await lb.ensureLoadBalancer(cluster, service(), [backend(a.port, 'pod-a'), backend(b.port, 'pod-b')], signal);
    await waitForHealth(lb, new Map([[a.port, 'healthy'], [b.port, 'healthy']]));

    let longLived: LineClient | undefined;
    for (let i = 0; i < 4 && longLived === undefined; i++) {
      const client = await LineClient.connect(await address(lb));
      if ((await client.nextLine()) === 'a') longLived = client;
      else client.close();
    }
    assert.ok(longLived, 'a connection reached backend a');
    t.after(() => longLived.close());
    assert.equal(await longLived.roundTrip('before'), 'a:before');

    await lb.updateLoadBalancer(cluster, service(), [backend(a.port, 'pod-a', 0), backend(b.port, 'pod-b')], signal);
    const health = await lb.getBackendHealth(cluster, service(), signal);
    assert.equal(health.find((s) => s.port === a.port)?.health, 'draining');

    assert.equal(await longLived.roundTrip('during'), 'a:during');
    const counts = await countAnswers(await address(lb), 10, 2);
    assert.deepEqual([...counts], [['b', 10]]);
    assert.equal(await longLived.roundTrip('still'), 'a:still');

    // Removing the drained backend does not cut its open connection either.
    await lb.updateLoadBalancer(cluster, service(), [backend(b.port, 'pod-b')], signal);
    assert.equal(await longLived.roundTrip('removed'), 'a:removed');
    longLived.socket.end();
    assert.equal(await longLived.nextLine(), 'a:bye');
  });

  test('a dead backend is marked unhealthy and skipped', async (t) => {
    const doomed = await startBackend('doomed');
    t.after(() => doomed.close());
    const lb = await provider(t);
    await lb.ensureLoadBalancer(cluster, service(), [backend(doomed.port, 'pod-d'), backend(b.port, 'pod-b')], signal);
    await waitForHealth(lb, new Map([[doomed.port, 'healthy'], [b.port, 'healthy']]));
    assert.equal((await countAnswers(await address(lb), 4, 1)).get('doomed'), 2);

    await doomed.close();
    await waitForHealth(lb, new Map([[doomed.port, 'unhealthy'], [b.port, 'healthy']]));
    const reason = (await lb.getBackendHealth(cluster, service(), signal)).find((s) => s.port === doomed.port)?.reason;
    assert.equal(reason, 'ECONNREFUSED');
    assert.deepEqual([...(await countAnswers(await address(lb), 10, 2))], [['b', 10]]);
  });

  test('a refused connect is retried on another backend, invisibly to the client', async (t) => {
    // Checks effectively off and a huge threshold: the dead backend stays eligible.
    const lb = await provider(t, { intervalMs: 600_000, unhealthyThreshold: 100, connectRetries: 2 });
    const dead = await freePort();
    await lb.ensureLoadBalancer(cluster, service(), [backend(dead, 'pod-dead'), backend(a.port, 'pod-a')], signal);
    const counts = await countAnswers(await address(lb), 20, 1);
    assert.deepEqual([...counts], [['a', 20]]);
    // Round-robin over two equal weights puts the dead backend first every other time.
    const stats = await listenerStats(lb.engine);
    assert.deepEqual([stats.retried, stats.connectFailed, stats.proxied, stats.backendFailed], [10, 10, 20, 0]);
    const deadStatus = (await lb.getBackendHealth(cluster, service(), signal)).find((s) => s.port === dead);
    assert.equal(deadStatus?.health, 'initial');
    assert.equal(deadStatus?.reason, 'ECONNREFUSED');
  });

  test('client bytes sent before the backend accepts are not lost; half-close is forwarded', async (t) => {
    const lb = await provider(t, { ...fast, intervalMs: 600_000 });
    const dead = await freePort();
    await lb.ensureLoadBalancer(cluster, service(), [backend(dead, 'pod-dead'), backend(c.port, 'pod-c')], signal);
    const client = await LineClient.connect(await address(lb));
    t.after(() => client.close());
    // Written and half-closed at once: this reaches the LB before any backend accepted,
    // and the first backend tried refuses.
    client.socket.end('early\n');
    assert.equal(await client.nextLine(), 'c');
    assert.equal(await client.nextLine(), 'c:early');
    assert.equal(await client.nextLine(), 'c:bye');
    assert.equal(await client.nextLine(), undefined);
  });

  test('when every backend refuses, the client is reset after connectRetries extra attempts', async (t) => {
    const lb = await provider(t, { intervalMs: 600_000, unhealthyThreshold: 100, connectRetries: 1 });
    const deadPorts = [await freePort(), await freePort(), await freePort()];
    await lb.ensureLoadBalancer(cluster, service(), deadPorts.map((p, i) => backend(p, `pod-${i}`)), signal);
    assert.equal(await whoAnswers(await address(lb)), undefined);
    const stats = await waitFor('the reset', async () => {
      const current = await listenerStats(lb.engine);
      return current.backendFailed === 1 ? current : undefined;
    });
    assert.deepEqual([stats.connectFailed, stats.retried, stats.proxied], [2, 1, 0], 'two attempts (one retry), then the reset');
  });

  test('with no backends the client is reset', async (t) => {
    const lb = await provider(t);
    await lb.ensureLoadBalancer(cluster, service(), [], signal);
    assert.equal(await whoAnswers(await address(lb)), undefined);
    assert.equal((await listenerStats(lb.engine)).refusedNoTarget, 1);
  });
});
