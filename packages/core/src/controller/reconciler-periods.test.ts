import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type * as k8s from '@kubernetes/client-node';
import { ReconcilerSuite } from '../test-support/reconciler-world.ts';
import { pod, service } from '../testing/fixtures.ts';

describe('Reconciler: gates, verify periods, health reads', () => {
  const t = new ReconcilerSuite();

  test('a pod without the gate is registered but never patched', async () => {
    t.setPods([pod({ name: 'a', ip: '10.0.0.1', gated: false })]);
    assert.deepEqual(await t.reconciler.reconcile(t.key, t.signal), { kind: 'requeue', afterMs: 250 }, 'looked at again until the LB judges it');
    t.clock.advance(250);
    assert.equal((await t.reconciler.reconcile(t.key, t.signal)).kind, 'requeue', 'still initial');
    t.provider.setHealth(t.key, 'healthy');
    t.clock.advance(1_000);
    assert.deepEqual(await t.reconciler.reconcile(t.key, t.signal), { kind: 'done' }, 'judged: nothing more to look at');
    assert.deepEqual(t.provider.backends(t.key).map((b) => b.podName), ['a']);
    assert.ok(!t.cluster.writes.some((w) => w.startsWith('pod-status')));
  });

  test('a gate waiting past the timeout is reported once, on the pod and the Service', async () => {
    t.caches.services.put(service(undefined, { annotations: { 'sluice.dev/readiness-gate-timeout': '5' } }) as k8s.V1Service);
    const p = pod({ name: 'a', ip: '10.0.0.1' });
    t.setPods([p]);
    t.reconciler.observePod(p as k8s.V1Pod, 'add');
    await t.reconciler.reconcile(t.key, t.signal);
    t.clock.advance(6000);
    await t.reconciler.reconcile(t.key, t.signal);
    await t.reconciler.reconcile(t.key, t.signal);
    const stuck = t.cluster.events.filter((e) => e.reason === 'ReadinessGateStuck');
    assert.deepEqual(stuck.map((e) => e.object), ['Pod/a', 'Service/web']);
  });

  test('drift made by hand on the LB is corrected by the next (resync) reconcile', async () => {
    t.setPods([pod({ name: 'a', ip: '10.0.0.1' }), pod({ name: 'b', ip: '10.0.0.2' })]);
    await t.reconciler.reconcile(t.key, t.signal);
    // Someone removes b and adds a stranger directly on the load balancer.
    await t.provider.updateLoadBalancer('test', { namespace: 'default', name: 'web', uid: 'svc-uid', ports: [], annotations: {} }, [
      { ...t.provider.backends(t.key)[0]!, weight: 7 },
      { servicePort: 'http', ip: '10.9.9.9', port: 8080, podUid: 'stranger', podName: '', weight: 1 },
    ], t.signal);
    t.clock.advance(300_000); // the resync comes long after the last health read
    await t.reconciler.reconcile(t.key, t.signal);
    assert.deepEqual(t.provider.backends(t.key).map((b) => `${b.podName}@${b.ip}=${b.weight}`), ['a@10.0.0.1=1', 'b@10.0.0.2=1']);
  });

  test('a provider-specific problem is reported before any write, even the finalizer', async () => {
    const validating = Object.assign(t.provider, {
      validate: () => [{ field: 'metadata.annotations[sluice.dev/test-scheme]', message: 'Service default/web annotation sluice.dev/test-scheme="public" is invalid: allowed are internal, internet-facing.' }],
    });
    assert.equal(validating, t.provider);
    t.setPods([pod({ name: 'a', ip: '10.0.0.1' })]);
    const r = await t.reconciler.reconcile(t.key, t.signal);
    assert.equal(r.kind, 'terminal');
    assert.deepEqual(t.cluster.writes, ['pod-status a sluice.dev/load-balancer-ready=False'], 'no finalizer: only the pod is told why it waits');
    assert.equal(t.provider.writes.length, 0);
    assert.equal(t.cluster.events.find((e) => e.type === 'Warning')?.message, 'Service default/web annotation sluice.dev/test-scheme="public" is invalid: allowed are internal, internet-facing.');
  });

  test('the hot path trusts a recently verified LB: health reads only, until the verify period ends', async () => {
    t.setPods([pod({ name: 'a', ip: '10.0.0.1' })]);
    await t.reconciler.reconcile(t.key, t.signal);
    t.provider.setHealth(t.key, 'healthy');
    t.clock.advance(1_000); // the next health read is due
    const lookups = () => t.provider.calls.filter((c) => c.method === 'getLoadBalancer').length;
    const before = lookups();
    await t.reconciler.reconcile(t.key, t.signal);
    await t.reconciler.reconcile(t.key, t.signal);
    assert.equal(lookups(), before, 'no getLoadBalancer within the verify period');
    t.clock.advance(60_001);
    await t.reconciler.reconcile(t.key, t.signal);
    assert.equal(lookups(), before + 1, 're-verified after the period');
  });

  test('settled health stands for the verify period: drains and removals read none; a new registration polls again', async () => {
    const a = pod({ name: 'a', ip: '10.0.0.1' });
    t.setPods([a]);
    await t.reconciler.reconcile(t.key, t.signal);
    t.provider.setHealth(t.key, 'healthy');
    t.clock.advance(1_000);
    await t.reconciler.reconcile(t.key, t.signal); // reads: healthy, the gate opens
    const reads = () => t.provider.calls.filter((c) => c.method === 'getBackendHealth').length;
    const settledAt = reads();
    t.clock.advance(5_000);
    t.setPods([a, pod({ name: 'b', ip: '10.0.0.2' })]);
    await t.reconciler.reconcile(t.key, t.signal);
    assert.equal(reads(), settledAt, 'b is registered from the settled read, without a new one');
    t.provider.setHealth(t.key, 'healthy');
    t.clock.advance(1_000);
    await t.reconciler.reconcile(t.key, t.signal);
    assert.equal(reads(), settledAt + 1, 'b registered is initial: the poll resumes');
    t.setPods([pod({ name: 'b', ip: '10.0.0.2' })]);
    t.clock.advance(1_000);
    await t.reconciler.reconcile(t.key, t.signal);
    assert.equal(reads(), settledAt + 1, 'removing a, with everything healthy, reads nothing');
    assert.deepEqual(t.provider.backends(t.key).map((b) => b.podName), ['b']);
    t.clock.advance(60_001);
    await t.reconciler.reconcile(t.key, t.signal);
    assert.equal(reads(), settledAt + 2, 'read again once the verify period has passed');
  });

  test('an LB deleted by hand is re-created once the verify period has passed', async () => {
    t.setPods([pod({ name: 'a', ip: '10.0.0.1' })]);
    await t.reconciler.reconcile(t.key, t.signal);
    await t.provider.ensureLoadBalancerDeleted('test', { namespace: 'default', name: 'web', uid: 'svc-uid', ports: [], annotations: {} }, t.signal);
    t.clock.advance(60_001);
    await t.reconciler.reconcile(t.key, t.signal);
    assert.deepEqual(t.provider.backends(t.key).map((b) => b.podName), ['a']);
  });

  test('an unchanged Service is re-ensured after the re-ensure period (LB drift check), silently', async () => {
    t.setPods([pod({ name: 'a', ip: '10.0.0.1' })]);
    await t.reconciler.reconcile(t.key, t.signal);
    const ensures = () => t.provider.calls.filter((c) => c.method === 'ensureLoadBalancer').length;
    const events = t.cluster.events.length;
    t.clock.advance(61_000);
    await t.reconciler.reconcile(t.key, t.signal);
    assert.equal(ensures(), 1, 'not within the period');
    t.clock.advance(300_000);
    await t.reconciler.reconcile(t.key, t.signal);
    assert.equal(ensures(), 2, 're-ensured after the period');
    assert.equal(t.cluster.events.length, events, 'no event for a drift check');
  });


  test('a health read is shared by every reconcile within one poll; our writes keep it current; a poll that finds nothing new stretches', async () => {
    t.reconciler = t.makeReconciler({ healthPollMs: undefined }); // the poll follows the provider's 1 s health-check interval
    t.setPods([pod({ name: 'a', ip: '10.0.0.1' })]);
    const reads = () => t.provider.calls.filter((c) => c.method === 'getBackendHealth').length;
    await t.reconciler.reconcile(t.key, t.signal);
    const first = reads();
    t.setPods([pod({ name: 'a', ip: '10.0.0.1' }), pod({ name: 'b', ip: '10.0.0.2' })]);
    await t.reconciler.reconcile(t.key, t.signal);
    await t.reconciler.reconcile(t.key, t.signal);
    assert.equal(reads(), first, 'no new read within the poll');
    assert.deepEqual(t.held(), ['a@10.0.0.1:8080=1', 'b@10.0.0.2:8080=1'], 'b registered from the shared read, once');
    assert.equal(t.provider.writes.filter((w) => w.method === 'updateLoadBalancer').length, 1, 'our own write was remembered: not repeated');
    const polls: number[] = [];
    for (let i = 0; i < 4; i++) {
      t.clock.advance(2_000);
      const r = await t.reconciler.reconcile(t.key, t.signal);
      if (r.kind === 'requeue') polls.push(r.afterMs);
    }
    assert.equal(reads(), first + 4);
    assert.deepEqual(polls, [1500, 2000, 2000, 2000], 'unchanged reads stretch the poll by half, up to twice the interval');
    t.provider.setHealth(t.key, 'healthy');
    t.clock.advance(2_000);
    assert.deepEqual(await t.reconciler.reconcile(t.key, t.signal), { kind: 'done' });
    assert.equal(t.gateOf('b')?.status, 'True');
  });

  test('a backend removed while still taking connections, its pod already gone, is a missed drain; a drained one is not', async () => {
    const missed: string[] = [];
    t.reconciler = t.makeReconciler({ observer: { drainMissed: (_s, uid) => missed.push(uid) } });
    t.setPods([pod({ name: 'a', ip: '10.0.0.1' }), pod({ name: 'b', ip: '10.0.0.2' })]);
    await t.converge();
    t.setPods([pod({ name: 'a', ip: '10.0.0.1', state: 'terminating' })]);
    await t.reconciler.reconcile(t.key, t.signal);
    t.setPods([]);
    await t.reconciler.reconcile(t.key, t.signal);
    assert.deepEqual(missed, ['uid-b'], 'b vanished at full weight (force-deleted); a was drained first');
  });

  test('every scenario above held its writes against its plan', () => {
    assert.ok(t.planChecks >= 24, `plan checks: ${t.planChecks}`);
  });
});
