import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type * as k8s from '@kubernetes/client-node';
import { RetryableError } from '../errors.ts';
import { ReconcilerSuite } from '../test-support/reconciler-world.ts';
import { GATE, pod, service } from '../testing/fixtures.ts';
import type { ClusterWriter } from './cluster.ts';
import { FINALIZER } from './reconciler.ts';

describe('Reconciler: lifecycle and classes', () => {
  const t = new ReconcilerSuite();

  test('first sync: finalizer, LB created with the ready pods, status written, gates False until healthy, then True', async () => {
    t.setPods([pod({ name: 'a', ip: '10.0.0.1' }), pod({ name: 'b', ip: '10.0.0.2', state: 'starting' })]);
    const r1 = await t.reconciler.reconcile(t.key, t.signal);
    assert.deepEqual(r1, { kind: 'requeue', afterMs: 250 }, 'the configured poll');
    assert.deepEqual(t.caches.services.get('web', 'default')?.metadata?.finalizers, [FINALIZER]);
    assert.deepEqual(t.provider.backends(t.key).map((b) => b.podName), ['a']);
    assert.equal(t.caches.services.get('web', 'default')?.status?.loadBalancer?.ingress?.[0]?.ip, '192.0.2.10');
    assert.equal(t.caches.pods.get('a', 'default')?.status?.conditions?.find((c) => c.type === GATE)?.status, 'False');
    assert.ok(t.cluster.events.some((e) => e.reason === 'EnsuredLoadBalancer'));
    assert.ok(t.cluster.events.some((e) => e.reason === 'WaitingForLoadBalancer' && e.object === 'Pod/a'));

    t.provider.setHealth(t.key, 'healthy');

    t.clock.advance(1_000); // the next health read is due
    const r2 = await t.reconciler.reconcile(t.key, t.signal);
    assert.deepEqual(r2, { kind: 'done' });
    const gate = t.caches.pods.get('a', 'default')?.status?.conditions?.find((c) => c.type === GATE);
    assert.deepEqual([gate?.status, gate?.reason, gate?.message], ['True', 'LBHealthy', 'LB synced successfully']);
    assert.equal(t.caches.pods.get('a', 'default')?.status?.conditions?.find((c) => c.type === 'ContainersReady')?.status, 'True', 'kubelet conditions kept');
  });

  test('an idle resync makes no write at all', async () => {
    t.setPods([pod({ name: 'a', ip: '10.0.0.1' })]);
    await t.reconciler.reconcile(t.key, t.signal);
    t.provider.setHealth(t.key, 'healthy');
    t.clock.advance(1_000); // the next health read is due
    await t.reconciler.reconcile(t.key, t.signal);
    const providerWrites = t.provider.writes.length;
    const clusterWrites = t.cluster.writes.length;
    for (let i = 0; i < 3; i++) assert.deepEqual(await t.reconciler.reconcile(t.key, t.signal), { kind: 'done' });
    assert.equal(t.provider.writes.length, providerWrites);
    assert.equal(t.cluster.writes.length, clusterWrites);
  });

  test('gate patches of one Service go out side by side, at most podWriteConcurrency at once; one failure is retried, the rest land', async () => {
    const names = Array.from({ length: 12 }, (_, i) => `p${i}`);
    t.setPods(names.map((name, i) => pod({ name, ip: `10.0.0.${i + 1}` })));
    let inFlight = 0;
    let peak = 0;
    let failOnce = '';
    const slow: ClusterWriter = {
      ...t.cluster,
      patchServiceIngress: t.cluster.patchServiceIngress.bind(t.cluster),
      setServiceFinalizers: t.cluster.setServiceFinalizers.bind(t.cluster),
      setServiceAnnotation: t.cluster.setServiceAnnotation.bind(t.cluster),
      createEvent: t.cluster.createEvent.bind(t.cluster),
      patchEvent: t.cluster.patchEvent.bind(t.cluster),
      async patchPodStatus(namespace, name, body, sig) {
        inFlight++;
        peak = Math.max(peak, inFlight);
        await new Promise((resolve) => setTimeout(resolve, 5));
        inFlight--;
        if (name === failOnce) {
          failOnce = '';
          throw new RetryableError('the API server is busy');
        }
        await t.cluster.patchPodStatus(namespace, name, body as { status: { conditions: k8s.V1PodCondition[] } });
        void sig;
      },
    };
    const concurrent = t.makeReconciler({ writer: slow, podWriteConcurrency: 3 });
    await concurrent.reconcile(t.key, t.signal);
    t.provider.setHealth(t.key, 'healthy');
    t.clock.advance(1_000); // the next health read is due
    failOnce = 'p5';
    peak = 0;
    const r = await concurrent.reconcile(t.key, t.signal);
    assert.equal(r.kind, 'retry');
    const gate = (name: string) => t.caches.pods.get(name, 'default')?.status?.conditions?.find((c) => c.type === GATE)?.status;
    assert.deepEqual(names.filter((n) => gate(n) === 'True'), names.filter((n) => n !== 'p5'), 'every pod but the failed one passed');
    assert.equal(peak, 3);
    assert.deepEqual(await concurrent.reconcile(t.key, t.signal), { kind: 'done' });
    assert.equal(gate('p5'), 'True');
  });

  test('terminating pod is drained at once and removed only when gone', async () => {
    t.setPods([pod({ name: 'a', ip: '10.0.0.1' }), pod({ name: 'b', ip: '10.0.0.2' })]);
    await t.reconciler.reconcile(t.key, t.signal);
    t.provider.setHealth(t.key, 'healthy');
    t.clock.advance(1_000); // the next health read is due
    await t.reconciler.reconcile(t.key, t.signal);
    t.setPods([pod({ name: 'a', ip: '10.0.0.1' }), pod({ name: 'b', ip: '10.0.0.2', state: 'terminating' })]);
    await t.reconciler.reconcile(t.key, t.signal);
    assert.deepEqual(t.provider.backends(t.key).map((b) => `${b.podName}=${b.weight}`), ['a=1', 'b=0']);
    t.setPods([pod({ name: 'a', ip: '10.0.0.1' })]);
    await t.reconciler.reconcile(t.key, t.signal);
    assert.deepEqual(t.provider.backends(t.key).map((b) => b.podName), ['a']);
  });

  test('an invalid annotation: one Warning naming field, value and range; nothing applied', async () => {
    t.caches.services.put(service(undefined, { annotations: { 'sluice.dev/readiness-gate-timeout': 'soon' } }) as k8s.V1Service);
    t.setPods([pod({ name: 'a', ip: '10.0.0.1' })]);
    const r = await t.reconciler.reconcile(t.key, t.signal);
    assert.equal(r.kind, 'terminal');
    assert.equal(t.provider.writes.length, 0);
    assert.deepEqual(t.cluster.writes, ['pod-status a sluice.dev/load-balancer-ready=False'], 'no finalizer, no status: only the pod is told why it waits');
    const warning = t.cluster.events.find((e) => e.type === 'Warning');
    assert.equal(warning?.reason, 'InvalidConfiguration');
    assert.equal(
      warning?.message,
      'Service default/web annotation sluice.dev/readiness-gate-timeout="soon" is invalid: allowed is a whole number from 1 to 86400.',
    );
  });

  test('a provider failure is retried and reported', async () => {
    t.setPods([pod({ name: 'a', ip: '10.0.0.1' })]);
    t.provider.failNextWrites.push(new RetryableError('throttled', { retryAfterMs: 1500 }));
    const r = await t.reconciler.reconcile(t.key, t.signal);
    assert.equal(r.kind, 'retry');
    assert.equal(r.kind === 'retry' ? r.retryAfterMs : 0, 1500);
    assert.ok(t.cluster.events.some((e) => e.reason === 'SyncLoadBalancerFailed' && e.message.includes('throttled')));
    assert.equal((await t.reconciler.reconcile(t.key, t.signal)).kind, 'requeue');
  });

  test('Service deleted: LB deleted first, then the finalizer removed', async () => {
    t.setPods([pod({ name: 'a', ip: '10.0.0.1' })]);
    await t.reconciler.reconcile(t.key, t.signal);
    const s = t.caches.services.get('web', 'default')!;
    t.caches.services.put({ ...s, metadata: { ...s.metadata, deletionTimestamp: new Date() } });
    assert.deepEqual(await t.reconciler.reconcile(t.key, t.signal), { kind: 'done' });
    const order = t.provider.writes.map((w) => w.method);
    assert.equal(order.at(-1), 'ensureLoadBalancerDeleted');
    assert.equal(t.caches.services.get('web', 'default'), undefined, 'finalizer gone, object released');
    assert.deepEqual(
      t.cluster.events.filter((e) => e.reason.endsWith('LoadBalancer')).map((e) => e.reason).slice(-2),
      ['DeletingLoadBalancer', 'DeletedLoadBalancer'],
    );
  });

  test('type leaves LoadBalancer: LB deleted, status cleared, finalizer removed', async () => {
    t.setPods([pod({ name: 'a', ip: '10.0.0.1' })]);
    await t.reconciler.reconcile(t.key, t.signal);
    const s = t.caches.services.get('web', 'default')!;
    t.caches.services.put({ ...s, spec: { ...s.spec, type: 'ClusterIP' } });
    await t.reconciler.reconcile(t.key, t.signal);
    assert.deepEqual(t.provider.backends(t.key), []);
    assert.deepEqual(t.caches.services.get('web', 'default')?.metadata?.finalizers, []);
    assert.deepEqual(t.caches.services.get('web', 'default')?.status?.loadBalancer?.ingress, []);
  });

  test('another loadBalancerClass is not handled', async () => {
    t.caches.services.put(service(undefined, { loadBalancerClass: 'example.com/other' }) as k8s.V1Service);
    t.setPods([pod({ name: 'a', ip: '10.0.0.1' })]);
    assert.deepEqual(await t.reconciler.reconcile(t.key, t.signal), { kind: 'done' });
    assert.equal(t.provider.calls.length, 0);
  });

  test("by default only Sluice's own class is handled: an unclassed Service is the cloud controller's", async () => {
    const byDefault = t.makeReconciler({ handleUnclassed: false });
    t.setPods([pod({ name: 'a', ip: '10.0.0.1' })]);
    assert.deepEqual(await byDefault.reconcile(t.key, t.signal), { kind: 'done' });
    assert.deepEqual([t.provider.calls.length, t.cluster.writes.length], [0, 0]);
    t.caches.services.put(service(undefined, { loadBalancerClass: 'sluice.dev/load-balancer' }) as k8s.V1Service);
    await byDefault.reconcile(t.key, t.signal);
    assert.deepEqual(t.provider.backends(t.key).map((b) => b.podName), ['a']);
  });

  test('an unclassed Service whose LB Sluice made keeps it when unclassed Services stop being handled: one Warning, no delete', async () => {
    t.setPods([pod({ name: 'a', ip: '10.0.0.1' })]);
    await t.converge();
    const upgraded = t.makeReconciler({ handleUnclassed: false });
    t.setPods([pod({ name: 'a', ip: '10.0.0.1', gate: 'True' }), pod({ name: 'b', ip: '10.0.0.2' })]);
    await upgraded.reconcile(t.key, t.signal);
    await upgraded.reconcile(t.key, t.signal);
    assert.ok(!t.provider.writes.some((w) => w.method === 'ensureLoadBalancerDeleted'), 'never deleted by a configuration change');
    assert.deepEqual(t.held(), ['a@10.0.0.1:8080=1', 'b@10.0.0.2:8080=1'], 'still served, new pods registered');
    assert.deepEqual(t.cluster.events.filter((e) => e.reason === 'UnclassedService').map((e) => e.object), ['Service/web']);
  });
  test('every scenario above held its writes against its plan', () => {
    assert.ok(t.planChecks >= 24, `plan checks: ${t.planChecks}`);
  });
});
