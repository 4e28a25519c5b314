import assert from 'node:assert/strict';
import { beforeEach, describe, test } from 'node:test';
import type * as k8s from '@kubernetes/client-node';
import type { ServicePlan } from '../decide/types.ts';
import { RetryableError } from '../errors.ts';
import type { Logger } from '../provider.ts';
import { FakeClock } from '../testing/fake-clock.ts';
import { type FakeCaches, FakeCluster, fakeCaches } from '../testing/fake-cluster.ts';
import { GATE, pod, service, slice } from '../testing/fixtures.ts';
import { providerWriteRows, writesMatchPlan } from '../testing/plan-writes.ts';
import { RecordingProvider } from '../testing/recording-provider.ts';
import type { Caches } from './caches.ts';
import type { ClusterWriter } from './cluster.ts';
import { EventRecorder } from './events.ts';
import { FINALIZER, Reconciler, type ReconcilerOptions } from './reconciler.ts';

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };

describe('Reconciler', () => {
  let caches: FakeCaches;
  let cluster: FakeCluster;
  let provider: RecordingProvider;
  let clock: FakeClock;
  let reconciler: Pick<Reconciler, 'reconcile' | 'observePod'>;
  let planChecks = 0;
  const signal = new AbortController().signal;
  const key = 'default/web';

  function setPods(pods: ReturnType<typeof pod>[]): void {
    for (const k of [...caches.pods.items.keys()]) caches.pods.items.delete(k);
    for (const p of pods) caches.pods.put(p as k8s.V1Pod);
    caches.endpointSlices.put(slice(pods) as k8s.V1EndpointSlice);
  }

  /**
   * A Reconciler whose every reconcile is held against its own plan: the writes the provider
   * and the cluster received must be exactly the plan's rows (what `sluice plan` prints).
   */
  function makeReconciler(options: Partial<ReconcilerOptions> = {}, check = true): Pick<Reconciler, 'reconcile' | 'observePod'> {
    let last: ServicePlan | undefined;
    const inner = new Reconciler({
      observer: { planned: (p) => (last = p) },
      provider,
      writer: cluster,
      caches: caches as Caches,
      events: new EventRecorder({ writer: cluster, clock, log: quiet }),
      clock,
      log: quiet,
      clusterName: 'test',
      gateConditionType: GATE,
      healthPollMs: 250,
      handleUnclassed: true,
      ...options,
    });
    return {
      observePod: (pod, verb) => inner.observePod(pod, verb),
      async reconcile(k, sig) {
        last = undefined;
        const [ns = '', name = ''] = k.split('/');
        const held = provider.exists(k) ? provider.backends(k) : undefined;
        const calls = provider.calls.length;
        const logged = cluster.log.length;
        const result = await inner.reconcile(k, sig);
        if (check && last && result.kind !== 'retry') {
          const made = providerWriteRows(ns, provider.getLoadBalancerName('test', { namespace: ns, name } as never), held, provider.calls.slice(calls));
          const { planned, made: done } = writesMatchPlan(last, made, cluster.log.slice(logged));
          assert.deepEqual(done, planned, 'the writes made are the plan printed');
          planChecks++;
        }
        return result;
      },
    };
  }

  beforeEach(() => {
    caches = fakeCaches();
    cluster = new FakeCluster(caches);
    provider = new RecordingProvider();
    clock = new FakeClock(1_000_000);
    reconciler = makeReconciler();
    caches.services.put(service() as k8s.V1Service);
  });

  test('first sync: finalizer, LB created with the ready pods, status written, gates False until healthy, then True', async () => {
    setPods([pod({ name: 'a', ip: '10.0.0.1' }), pod({ name: 'b', ip: '10.0.0.2', state: 'starting' })]);
    const r1 = await reconciler.reconcile(key, signal);
    assert.deepEqual(r1, { kind: 'requeue', afterMs: 250 }, 'the configured poll');
    assert.deepEqual(caches.services.get('web', 'default')?.metadata?.finalizers, [FINALIZER]);
    assert.deepEqual(provider.backends(key).map((b) => b.podName), ['a']);
    assert.equal(caches.services.get('web', 'default')?.status?.loadBalancer?.ingress?.[0]?.ip, '192.0.2.10');
    assert.equal(caches.pods.get('a', 'default')?.status?.conditions?.find((c) => c.type === GATE)?.status, 'False');
    assert.ok(cluster.events.some((e) => e.reason === 'EnsuredLoadBalancer'));
    assert.ok(cluster.events.some((e) => e.reason === 'WaitingForLoadBalancer' && e.object === 'Pod/a'));

    provider.setHealth(key, 'healthy');

    clock.advance(1_000); // the next health read is due
    const r2 = await reconciler.reconcile(key, signal);
    assert.deepEqual(r2, { kind: 'done' });
    const gate = caches.pods.get('a', 'default')?.status?.conditions?.find((c) => c.type === GATE);
    assert.deepEqual([gate?.status, gate?.reason, gate?.message], ['True', 'LBHealthy', 'LB synced successfully']);
    assert.equal(caches.pods.get('a', 'default')?.status?.conditions?.find((c) => c.type === 'ContainersReady')?.status, 'True', 'kubelet conditions kept');
  });

  test('an idle resync makes no write at all', async () => {
    setPods([pod({ name: 'a', ip: '10.0.0.1' })]);
    await reconciler.reconcile(key, signal);
    provider.setHealth(key, 'healthy');
    clock.advance(1_000); // the next health read is due
    await reconciler.reconcile(key, signal);
    const providerWrites = provider.writes.length;
    const clusterWrites = cluster.writes.length;
    for (let i = 0; i < 3; i++) assert.deepEqual(await reconciler.reconcile(key, signal), { kind: 'done' });
    assert.equal(provider.writes.length, providerWrites);
    assert.equal(cluster.writes.length, clusterWrites);
  });

  test('gate patches of one Service go out side by side, at most podWriteConcurrency at once; one failure is retried, the rest land', async () => {
    const names = Array.from({ length: 12 }, (_, i) => `p${i}`);
    setPods(names.map((name, i) => pod({ name, ip: `10.0.0.${i + 1}` })));
    let inFlight = 0;
    let peak = 0;
    let failOnce = '';
    const slow: ClusterWriter = {
      ...cluster,
      patchServiceIngress: cluster.patchServiceIngress.bind(cluster),
      setServiceFinalizers: cluster.setServiceFinalizers.bind(cluster),
      setServiceAnnotation: cluster.setServiceAnnotation.bind(cluster),
      createEvent: cluster.createEvent.bind(cluster),
      patchEvent: cluster.patchEvent.bind(cluster),
      async patchPodStatus(namespace, name, body, sig) {
        inFlight++;
        peak = Math.max(peak, inFlight);
        await new Promise((resolve) => setTimeout(resolve, 5));
        inFlight--;
        if (name === failOnce) {
          failOnce = '';
          throw new RetryableError('the API server is busy');
        }
        await cluster.patchPodStatus(namespace, name, body as { status: { conditions: k8s.V1PodCondition[] } });
        void sig;
      },
    };
    const concurrent = makeReconciler({ writer: slow, podWriteConcurrency: 3 });
    await concurrent.reconcile(key, signal);
    provider.setHealth(key, 'healthy');
    clock.advance(1_000); // the next health read is due
    failOnce = 'p5';
    peak = 0;
    const r = await concurrent.reconcile(key, signal);
    assert.equal(r.kind, 'retry');
    const gate = (name: string) => caches.pods.get(name, 'default')?.status?.conditions?.find((c) => c.type === GATE)?.status;
    assert.deepEqual(names.filter((n) => gate(n) === 'True'), names.filter((n) => n !== 'p5'), 'every pod but the failed one passed');
    assert.equal(peak, 3);
    assert.deepEqual(await concurrent.reconcile(key, signal), { kind: 'done' });
    assert.equal(gate('p5'), 'True');
  });

  test('terminating pod is drained at once and removed only when gone', async () => {
    setPods([pod({ name: 'a', ip: '10.0.0.1' }), pod({ name: 'b', ip: '10.0.0.2' })]);
    await reconciler.reconcile(key, signal);
    provider.setHealth(key, 'healthy');
    clock.advance(1_000); // the next health read is due
    await reconciler.reconcile(key, signal);
    setPods([pod({ name: 'a', ip: '10.0.0.1' }), pod({ name: 'b', ip: '10.0.0.2', state: 'terminating' })]);
    await reconciler.reconcile(key, signal);
    assert.deepEqual(provider.backends(key).map((b) => `${b.podName}=${b.weight}`), ['a=1', 'b=0']);
    setPods([pod({ name: 'a', ip: '10.0.0.1' })]);
    await reconciler.reconcile(key, signal);
    assert.deepEqual(provider.backends(key).map((b) => b.podName), ['a']);
  });

  test('an invalid annotation: one Warning naming field, value and range; nothing applied', async () => {
    caches.services.put(service(undefined, { annotations: { 'sluice.dev/readiness-gate-timeout': 'soon' } }) as k8s.V1Service);
    setPods([pod({ name: 'a', ip: '10.0.0.1' })]);
    const r = await reconciler.reconcile(key, signal);
    assert.equal(r.kind, 'terminal');
    assert.equal(provider.writes.length, 0);
    assert.deepEqual(cluster.writes, []);
    const warning = cluster.events.find((e) => e.type === 'Warning');
    assert.equal(warning?.reason, 'InvalidConfiguration');
    assert.equal(
      warning?.message,
      'Service default/web annotation sluice.dev/readiness-gate-timeout="soon" is invalid: allowed is a whole number from 1 to 86400.',
    );
  });

  test('a provider failure is retried and reported', async () => {
    setPods([pod({ name: 'a', ip: '10.0.0.1' })]);
    provider.failNextWrites.push(new RetryableError('throttled', { retryAfterMs: 1500 }));
    const r = await reconciler.reconcile(key, signal);
    assert.equal(r.kind, 'retry');
    assert.equal(r.kind === 'retry' ? r.retryAfterMs : 0, 1500);
    assert.ok(cluster.events.some((e) => e.reason === 'SyncLoadBalancerFailed' && e.message.includes('throttled')));
    assert.equal((await reconciler.reconcile(key, signal)).kind, 'requeue');
  });

  test('Service deleted: LB deleted first, then the finalizer removed', async () => {
    setPods([pod({ name: 'a', ip: '10.0.0.1' })]);
    await reconciler.reconcile(key, signal);
    const s = caches.services.get('web', 'default')!;
    caches.services.put({ ...s, metadata: { ...s.metadata, deletionTimestamp: new Date() } });
    assert.deepEqual(await reconciler.reconcile(key, signal), { kind: 'done' });
    const order = provider.writes.map((w) => w.method);
    assert.equal(order.at(-1), 'ensureLoadBalancerDeleted');
    assert.equal(caches.services.get('web', 'default'), undefined, 'finalizer gone, object released');
    assert.deepEqual(
      cluster.events.filter((e) => e.reason.endsWith('LoadBalancer')).map((e) => e.reason).slice(-2),
      ['DeletingLoadBalancer', 'DeletedLoadBalancer'],
    );
  });

  test('type leaves LoadBalancer: LB deleted, status cleared, finalizer removed', async () => {
    setPods([pod({ name: 'a', ip: '10.0.0.1' })]);
    await reconciler.reconcile(key, signal);
    const s = caches.services.get('web', 'default')!;
    caches.services.put({ ...s, spec: { ...s.spec, type: 'ClusterIP' } });
    await reconciler.reconcile(key, signal);
    assert.deepEqual(provider.backends(key), []);
    assert.deepEqual(caches.services.get('web', 'default')?.metadata?.finalizers, []);
    assert.deepEqual(caches.services.get('web', 'default')?.status?.loadBalancer?.ingress, []);
  });

  test('another loadBalancerClass is not handled', async () => {
    caches.services.put(service(undefined, { loadBalancerClass: 'example.com/other' }) as k8s.V1Service);
    setPods([pod({ name: 'a', ip: '10.0.0.1' })]);
    assert.deepEqual(await reconciler.reconcile(key, signal), { kind: 'done' });
    assert.equal(provider.calls.length, 0);
  });

  test("by default only Sluice's own class is handled: an unclassed Service is the cloud controller's", async () => {
    const byDefault = makeReconciler({ handleUnclassed: false });
    setPods([pod({ name: 'a', ip: '10.0.0.1' })]);
    assert.deepEqual(await byDefault.reconcile(key, signal), { kind: 'done' });
    assert.deepEqual([provider.calls.length, cluster.writes.length], [0, 0]);
    caches.services.put(service(undefined, { loadBalancerClass: 'sluice.dev/load-balancer' }) as k8s.V1Service);
    await byDefault.reconcile(key, signal);
    assert.deepEqual(provider.backends(key).map((b) => b.podName), ['a']);
  });

  test('an unclassed Service whose LB Sluice made keeps it when unclassed Services stop being handled: one Warning, no delete', async () => {
    setPods([pod({ name: 'a', ip: '10.0.0.1' })]);
    await converge();
    const upgraded = makeReconciler({ handleUnclassed: false });
    setPods([pod({ name: 'a', ip: '10.0.0.1', gate: 'True' }), pod({ name: 'b', ip: '10.0.0.2' })]);
    await upgraded.reconcile(key, signal);
    await upgraded.reconcile(key, signal);
    assert.ok(!provider.writes.some((w) => w.method === 'ensureLoadBalancerDeleted'), 'never deleted by a configuration change');
    assert.deepEqual(held(), ['a@10.0.0.1:8080=1', 'b@10.0.0.2:8080=1'], 'still served, new pods registered');
    assert.deepEqual(cluster.events.filter((e) => e.reason === 'UnclassedService').map((e) => e.object), ['Service/web']);
  });

  test('a pod without the gate is registered but never patched', async () => {
    setPods([pod({ name: 'a', ip: '10.0.0.1', gated: false })]);
    assert.deepEqual(await reconciler.reconcile(key, signal), { kind: 'requeue', afterMs: 250 }, 'looked at again until the LB judges it');
    clock.advance(250);
    assert.equal((await reconciler.reconcile(key, signal)).kind, 'requeue', 'still initial');
    provider.setHealth(key, 'healthy');
    clock.advance(1_000);
    assert.deepEqual(await reconciler.reconcile(key, signal), { kind: 'done' }, 'judged: nothing more to look at');
    assert.deepEqual(provider.backends(key).map((b) => b.podName), ['a']);
    assert.ok(!cluster.writes.some((w) => w.startsWith('pod-status')));
  });

  test('a gate waiting past the timeout is reported once, on the pod and the Service', async () => {
    caches.services.put(service(undefined, { annotations: { 'sluice.dev/readiness-gate-timeout': '5' } }) as k8s.V1Service);
    const p = pod({ name: 'a', ip: '10.0.0.1' });
    setPods([p]);
    reconciler.observePod(p as k8s.V1Pod, 'add');
    await reconciler.reconcile(key, signal);
    clock.advance(6000);
    await reconciler.reconcile(key, signal);
    await reconciler.reconcile(key, signal);
    const stuck = cluster.events.filter((e) => e.reason === 'ReadinessGateStuck');
    assert.deepEqual(stuck.map((e) => e.object), ['Pod/a', 'Service/web']);
  });

  test('drift made by hand on the LB is corrected by the next (resync) reconcile', async () => {
    setPods([pod({ name: 'a', ip: '10.0.0.1' }), pod({ name: 'b', ip: '10.0.0.2' })]);
    await reconciler.reconcile(key, signal);
    // Someone removes b and adds a stranger directly on the load balancer.
    await provider.updateLoadBalancer('test', { namespace: 'default', name: 'web', uid: 'svc-uid', ports: [], annotations: {} }, [
      { ...provider.backends(key)[0]!, weight: 7 },
      { servicePort: 'http', ip: '10.9.9.9', port: 8080, podUid: 'stranger', podName: '', weight: 1 },
    ], signal);
    clock.advance(300_000); // the resync comes long after the last health read
    await reconciler.reconcile(key, signal);
    assert.deepEqual(provider.backends(key).map((b) => `${b.podName}@${b.ip}=${b.weight}`), ['a@10.0.0.1=1', 'b@10.0.0.2=1']);
  });

  test('a provider-specific problem is reported before any write, even the finalizer', async () => {
    const validating = Object.assign(provider, {
      validate: () => [{ field: 'metadata.annotations[sluice.dev/test-scheme]', message: 'Service default/web annotation sluice.dev/test-scheme="public" is invalid: allowed are internal, internet-facing.' }],
    });
    assert.equal(validating, provider);
    setPods([pod({ name: 'a', ip: '10.0.0.1' })]);
    const r = await reconciler.reconcile(key, signal);
    assert.equal(r.kind, 'terminal');
    assert.deepEqual(cluster.writes, []);
    assert.equal(provider.writes.length, 0);
    assert.equal(cluster.events.find((e) => e.type === 'Warning')?.message, 'Service default/web annotation sluice.dev/test-scheme="public" is invalid: allowed are internal, internet-facing.');
  });

  test('the hot path trusts a recently verified LB: health reads only, until the verify period ends', async () => {
    setPods([pod({ name: 'a', ip: '10.0.0.1' })]);
    await reconciler.reconcile(key, signal);
    provider.setHealth(key, 'healthy');
    clock.advance(1_000); // the next health read is due
    const lookups = () => provider.calls.filter((c) => c.method === 'getLoadBalancer').length;
    const before = lookups();
    await reconciler.reconcile(key, signal);
    await reconciler.reconcile(key, signal);
    assert.equal(lookups(), before, 'no getLoadBalancer within the verify period');
    clock.advance(60_001);
    await reconciler.reconcile(key, signal);
    assert.equal(lookups(), before + 1, 're-verified after the period');
  });

  test('an LB deleted by hand is re-created once the verify period has passed', async () => {
    setPods([pod({ name: 'a', ip: '10.0.0.1' })]);
    await reconciler.reconcile(key, signal);
    await provider.ensureLoadBalancerDeleted('test', { namespace: 'default', name: 'web', uid: 'svc-uid', ports: [], annotations: {} }, signal);
    clock.advance(60_001);
    await reconciler.reconcile(key, signal);
    assert.deepEqual(provider.backends(key).map((b) => b.podName), ['a']);
  });

  test('an unchanged Service is re-ensured after the re-ensure period (LB drift check), silently', async () => {
    setPods([pod({ name: 'a', ip: '10.0.0.1' })]);
    await reconciler.reconcile(key, signal);
    const ensures = () => provider.calls.filter((c) => c.method === 'ensureLoadBalancer').length;
    const events = cluster.events.length;
    clock.advance(61_000);
    await reconciler.reconcile(key, signal);
    assert.equal(ensures(), 1, 'not within the period');
    clock.advance(300_000);
    await reconciler.reconcile(key, signal);
    assert.equal(ensures(), 2, 're-ensured after the period');
    assert.equal(cluster.events.length, events, 'no event for a drift check');
  });

  const gateOf = (name: string) => caches.pods.get(name, 'default')?.status?.conditions?.find((c) => c.type === GATE);
  const held = () => provider.backends(key).map((b) => `${b.podName}@${b.ip}:${b.port}=${b.weight}`);
  async function converge(r = reconciler): Promise<void> {
    await r.reconcile(key, signal);
    provider.setHealth(key, 'healthy');
    clock.advance(1_000); // the next health read is due
    await r.reconcile(key, signal);
  }

  describe('two pods with one IP', () => {
    const old = pod({ name: 'old', ip: '10.0.0.5', state: 'terminating', created: '2026-01-01T00:00:00Z' });
    const fresh = pod({ name: 'new', ip: '10.0.0.5', created: '2026-01-02T00:00:00Z' });
    const other = pod({ name: 'a', ip: '10.0.0.1' });
    const orders: [string, k8s.V1EndpointSlice[]][] = [
      ['old last in one slice', [slice([other, fresh, old]) as k8s.V1EndpointSlice]],
      ['old first in one slice', [slice([old, other, fresh]) as k8s.V1EndpointSlice]],
      ['across two slices, old in the second', [slice([other, fresh], undefined, 's1') as k8s.V1EndpointSlice, slice([old], undefined, 's2') as k8s.V1EndpointSlice]],
      ['across two slices, old in the first', [slice([old], undefined, 's1') as k8s.V1EndpointSlice, slice([other, fresh], undefined, 's2') as k8s.V1EndpointSlice]],
    ];
    for (const [name, slices] of orders) {
      test(`same IP and port: the live pod holds the address, never drained (${name}), and a restart writes nothing`, async () => {
        for (const p of [old, fresh, other]) caches.pods.put(p as k8s.V1Pod);
        for (const s of slices) caches.endpointSlices.put(s);
        await converge();
        assert.deepEqual(held(), ['a@10.0.0.1:8080=1', 'new@10.0.0.5:8080=1']);
        assert.equal(gateOf('new')?.status, 'True');
        const writes = [provider.writes.length, cluster.writes.length];
        const restarted = makeReconciler();
        assert.deepEqual(await restarted.reconcile(key, signal), { kind: 'done' });
        assert.deepEqual([provider.writes.length, cluster.writes.length], writes, 'a new reconciler (restart or new term) writes nothing');
      });
    }

    test('same IP, other port: two backends; the old one is drained until it exits, the new one registered and gated', async () => {
      const newer = pod({ name: 'new', ip: '10.0.0.5', containerPorts: [{ name: 'http', containerPort: 9090 }] });
      const older = pod({ name: 'old', ip: '10.0.0.5' });
      caches.pods.put(older as k8s.V1Pod);
      caches.endpointSlices.put(slice([older]) as k8s.V1EndpointSlice);
      await converge();
      const terminating = pod({ name: 'old', ip: '10.0.0.5', state: 'terminating' });
      caches.pods.put(terminating as k8s.V1Pod);
      caches.pods.put(newer as k8s.V1Pod);
      caches.endpointSlices.put(slice([terminating], undefined, 'web-abc') as k8s.V1EndpointSlice);
      caches.endpointSlices.put(slice([newer], [{ name: 'http', port: 9090 }], 'web-def') as k8s.V1EndpointSlice);
      await converge();
      assert.deepEqual(held(), ['old@10.0.0.5:8080=0', 'new@10.0.0.5:9090=1']);
      assert.equal(gateOf('new')?.status, 'True');
      caches.pods.remove('default', 'old');
      caches.endpointSlices.remove('default', 'web-abc');
      await reconciler.reconcile(key, signal);
      assert.deepEqual(held(), ['new@10.0.0.5:9090=1']);
    });
  });

  test('a restart or a new leadership term reaches the same plan and writes nothing, also for providers that cannot record pod UIDs', async () => {
    provider = new RecordingProvider({ capabilities: { tracksPodUid: false, weights: false } });
    reconciler = makeReconciler();
    setPods([pod({ name: 'a', ip: '10.0.0.1' }), pod({ name: 'b', ip: '10.0.0.2' }), pod({ name: 'c', ip: '10.0.0.3', state: 'terminating' })]);
    await converge();
    const writes = [provider.writes.length, cluster.writes.length];
    clock.advance(10 * 60_000);
    const next = makeReconciler();
    assert.deepEqual(await next.reconcile(key, signal), { kind: 'done' });
    assert.deepEqual(await next.reconcile(key, signal), { kind: 'done' });
    assert.deepEqual([provider.writes.length, cluster.writes.length], writes);
    assert.ok(caches.services.get('web', 'default')?.metadata?.annotations?.['sluice.dev/applied-spec']?.startsWith('v1-'));
  });

  test('a changed Service spec is ensured again after a restart (the digest on the Service says so)', async () => {
    setPods([pod({ name: 'a', ip: '10.0.0.1' })]);
    await converge();
    const s = caches.services.get('web', 'default')!;
    caches.services.put({ ...s, metadata: { ...s.metadata, annotations: { ...s.metadata?.annotations, 'sluice.dev/readiness-gate-timeout': '60' } } });
    const ensures = () => provider.calls.filter((c) => c.method === 'ensureLoadBalancer').length;
    const before = ensures();
    await makeReconciler().reconcile(key, signal);
    assert.equal(ensures(), before + 1);
  });

  test('one pod with an invalid weight: kept off the LB with its own Warning; the others register, pass, drain', async () => {
    const bad = pod({ name: 'bad', ip: '10.0.0.9', weight: 'abc' });
    setPods([pod({ name: 'a', ip: '10.0.0.1' }), bad, pod({ name: 'b', ip: '10.0.0.2' })]);
    await converge();
    assert.deepEqual(held(), ['a@10.0.0.1:8080=1', 'b@10.0.0.2:8080=1']);
    assert.deepEqual([gateOf('a')?.status, gateOf('b')?.status], ['True', 'True']);
    assert.deepEqual([gateOf('bad')?.status, gateOf('bad')?.reason], ['False', 'InvalidWeight']);
    assert.deepEqual(cluster.events.filter((e) => e.type === 'Warning').map((e) => `${e.reason} ${e.object}`), ['InvalidWeight Pod/bad', 'InvalidPodWeight Service/web']);
    setPods([pod({ name: 'a', ip: '10.0.0.1', state: 'terminating' }), bad, pod({ name: 'b', ip: '10.0.0.2' }), pod({ name: 'c', ip: '10.0.0.3' })]);
    await converge();
    assert.deepEqual(held(), ['a@10.0.0.1:8080=0', 'b@10.0.0.2:8080=1', 'c@10.0.0.3:8080=1']);
    assert.equal(gateOf('c')?.status, 'True');
    assert.equal(cluster.events.filter((e) => e.reason === 'InvalidWeight').length, 1, 'reported once');
  });

  test('a pod whose weight turns invalid keeps its registration exactly as it is, and is drained on deletion', async () => {
    setPods([pod({ name: 'a', ip: '10.0.0.1', weight: '5' })]);
    await converge();
    setPods([pod({ name: 'a', ip: '10.0.0.1', weight: 'lots', gate: 'True' })]);
    await reconciler.reconcile(key, signal);
    assert.deepEqual(held(), ['a@10.0.0.1:8080=5']);
    setPods([pod({ name: 'a', ip: '10.0.0.1', weight: 'lots', state: 'terminating' })]);
    await reconciler.reconcile(key, signal);
    assert.deepEqual(held(), ['a@10.0.0.1:8080=0']);
  });

  test('a backend the provider refuses is reported on its pod; the others register and a drain lands in the same reconcile', async () => {
    provider = new RecordingProvider({ rejectIps: ['10.0.0.66'] });
    reconciler = makeReconciler({ rejectedRetryMs: 30_000 }, false);
    setPods([pod({ name: 'a', ip: '10.0.0.1' }), pod({ name: 'b', ip: '10.0.0.2' })]);
    await converge();
    setPods([pod({ name: 'a', ip: '10.0.0.1', state: 'terminating' }), pod({ name: 'b', ip: '10.0.0.2' }), pod({ name: 'c', ip: '10.0.0.3' }), pod({ name: 'x', ip: '10.0.0.66' })]);
    const r = await reconciler.reconcile(key, signal);
    assert.deepEqual(held(), ['a@10.0.0.1:8080=0', 'b@10.0.0.2:8080=1', 'c@10.0.0.3:8080=1'], 'drained and registered in the one reconcile; x refused');
    assert.deepEqual(r, { kind: 'requeue', afterMs: 0 });
    await reconciler.reconcile(key, signal);
    assert.deepEqual([gateOf('x')?.status, gateOf('x')?.reason], ['False', 'LBRegistrationFailed']);
    assert.match(gateOf('x')?.message ?? '', /10\.0\.0\.66:8080/);
    assert.deepEqual(cluster.events.filter((e) => e.reason === 'BackendRejected').map((e) => e.object), ['Pod/x']);
    provider.setHealth(key, 'healthy');
    clock.advance(1_000); // the next health read is due
    await reconciler.reconcile(key, signal);
    assert.equal(gateOf('c')?.status, 'True');
    const attempts = () => provider.calls.filter((c) => c.backends?.some((b) => b.ip === '10.0.0.66')).length;
    const before = attempts();
    await reconciler.reconcile(key, signal);
    assert.equal(attempts(), before, 'not offered again within the retry period');
    clock.advance(30_001);
    await reconciler.reconcile(key, signal);
    assert.equal(attempts(), before + 1, 'offered again after it');
  });

  test('a terminal error on a batch of registrations is pinned on the backend at fault, one at a time', async () => {
    reconciler = makeReconciler({}, false);
    setPods([pod({ name: 'a', ip: '10.0.0.1' })]);
    await converge();
    setPods([pod({ name: 'a', ip: '10.0.0.1' }), pod({ name: 'b', ip: '10.0.0.2' }), pod({ name: 'c', ip: '10.0.0.3' })]);
    const { TerminalError } = await import('../errors.ts');
    provider.failNextWrites.push(new TerminalError('quota exceeded'), new TerminalError('address in use elsewhere'));
    await reconciler.reconcile(key, signal);
    assert.equal(held().length, 2, 'one of b and c registered, the other refused');
  });

  describe('Service problems are found before any write, on the very first reconcile', () => {
    const cases: [string, () => void, RegExp][] = [
      ['a targetPort no selected pod defines (no EndpointSlice yet)', () => {
        caches.services.put(service([{ name: 'http', port: 80, targetPort: 'nope' }]) as k8s.V1Service);
        caches.pods.put(pod({ name: 'a', ip: '10.0.0.1' }) as k8s.V1Pod);
      }, /spec\.ports\[0\]\.targetPort="nope" names no TCP container port of the 1 pod it selects: allowed is a port number or one of http\./],
      ['another provider\'s key', () => {
        caches.services.put(service(undefined, { annotations: { 'sluice.dev/aws-scheme': 'internal' } }) as k8s.V1Service);
      }, /annotation sluice\.dev\/aws-scheme is for the aws provider, but this controller runs the recording provider/],
      ['an unknown core key', () => {
        caches.services.put(service(undefined, { annotations: { 'sluice.dev/bogus': 'x' } }) as k8s.V1Service);
      }, /sluice\.dev\/bogus is not a Sluice annotation/],
    ];
    for (const [name, arrange, message] of cases) {
      test(name, async () => {
        arrange();
        const r = await reconciler.reconcile(key, signal);
        assert.equal(r.kind, 'terminal');
        assert.deepEqual([provider.writes.length, cluster.writes.length], [0, 0], 'no finalizer, no LB');
        const warnings = cluster.events.filter((e) => e.type === 'Warning');
        assert.equal(warnings.length, 1);
        assert.equal(warnings[0]?.reason, 'InvalidConfiguration');
        assert.match(warnings[0]?.message ?? '', message);
      });
    }
  });

  test('an LB whose Service turns invalid changes nothing but still drains', async () => {
    setPods([pod({ name: 'a', ip: '10.0.0.1' }), pod({ name: 'b', ip: '10.0.0.2' })]);
    await converge();
    const s = caches.services.get('web', 'default')!;
    caches.services.put({ ...s, metadata: { ...s.metadata, annotations: { ...s.metadata?.annotations, 'sluice.dev/readiness-gate-timeout': 'never' } } });
    setPods([pod({ name: 'a', ip: '10.0.0.1', state: 'terminating' }), pod({ name: 'b', ip: '10.0.0.2' }), pod({ name: 'c', ip: '10.0.0.3' })]);
    const r = await reconciler.reconcile(key, signal);
    assert.equal(r.kind, 'terminal');
    assert.deepEqual(held(), ['a@10.0.0.1:8080=0', 'b@10.0.0.2:8080=1'], 'a drained; c not registered while the Service is invalid');
  });

  test('a pod selected by two Services passes only when both LBs call it healthy, also right after a restart', async () => {
    const other = service(undefined, { name: 'web2' }) as k8s.V1Service;
    caches.services.put(other);
    const p = pod({ name: 'a', ip: '10.0.0.1' });
    caches.pods.put(p as k8s.V1Pod);
    caches.endpointSlices.put(slice([p]) as k8s.V1EndpointSlice);
    caches.endpointSlices.put({ ...slice([p], undefined, 'web2-abc'), metadata: { name: 'web2-abc', namespace: 'default', labels: { 'kubernetes.io/service-name': 'web2' } } } as k8s.V1EndpointSlice);
    await reconciler.reconcile(key, signal);
    provider.setHealth(key, 'healthy');
    clock.advance(1_000); // the next health read is due
    await reconciler.reconcile(key, signal);
    assert.equal(gateOf('a')?.status, 'False', 'web2 has not said yes');
    await reconciler.reconcile('default/web2', signal);
    provider.setHealth('default/web2', 'healthy');
    clock.advance(1_000); // the next health read is due
    await reconciler.reconcile('default/web2', signal);
    assert.equal(gateOf('a')?.status, 'True');
  });

  test('a gated pod no Sluice Service selects is told; once one does, its reconcile gates the pod on its LB', async () => {
    caches.services.remove('default', 'web');
    const p = pod({ name: 'lonely', ip: '10.0.0.7' });
    caches.pods.put(p as k8s.V1Pod);
    assert.deepEqual(await reconciler.reconcile('pod:default/lonely', signal), { kind: 'done' });
    assert.deepEqual([gateOf('lonely')?.status, gateOf('lonely')?.reason], ['False', 'NoLoadBalancer']);
    assert.deepEqual(cluster.events.map((e) => `${e.reason} ${e.object}`), ['NoLoadBalancer Pod/lonely']);
    await reconciler.reconcile('pod:default/lonely', signal);
    assert.equal(cluster.events.length, 1, 'told once');
    caches.services.put(service() as k8s.V1Service);
    caches.endpointSlices.put(slice([caches.pods.get('lonely', 'default')!]) as k8s.V1EndpointSlice);
    await reconciler.reconcile('pod:default/lonely', signal);
    assert.equal(gateOf('lonely')?.reason, 'NoLoadBalancer', 'the Service owns it now; the pod check writes nothing');
    await reconciler.reconcile(key, signal);
    assert.deepEqual([gateOf('lonely')?.status, gateOf('lonely')?.reason], ['False', 'LBRegistering']);
    provider.setHealth(key, 'healthy');
    clock.advance(1_000); // the next health read is due
    await reconciler.reconcile(key, signal);
    assert.equal(gateOf('lonely')?.status, 'True');
  });

  test('a health read is shared by every reconcile within one poll; our writes keep it current; a poll that finds nothing new stretches', async () => {
    reconciler = makeReconciler({ healthPollMs: undefined }); // the poll follows the provider's 1 s health-check interval
    setPods([pod({ name: 'a', ip: '10.0.0.1' })]);
    const reads = () => provider.calls.filter((c) => c.method === 'getBackendHealth').length;
    await reconciler.reconcile(key, signal);
    const first = reads();
    setPods([pod({ name: 'a', ip: '10.0.0.1' }), pod({ name: 'b', ip: '10.0.0.2' })]);
    await reconciler.reconcile(key, signal);
    await reconciler.reconcile(key, signal);
    assert.equal(reads(), first, 'no new read within the poll');
    assert.deepEqual(held(), ['a@10.0.0.1:8080=1', 'b@10.0.0.2:8080=1'], 'b registered from the shared read, once');
    assert.equal(provider.writes.filter((w) => w.method === 'updateLoadBalancer').length, 1, 'our own write was remembered: not repeated');
    const polls: number[] = [];
    for (let i = 0; i < 4; i++) {
      clock.advance(2_000);
      const r = await reconciler.reconcile(key, signal);
      if (r.kind === 'requeue') polls.push(r.afterMs);
    }
    assert.equal(reads(), first + 4);
    assert.deepEqual(polls, [1500, 2000, 2000, 2000], 'unchanged reads stretch the poll by half, up to twice the interval');
    provider.setHealth(key, 'healthy');
    clock.advance(2_000);
    assert.deepEqual(await reconciler.reconcile(key, signal), { kind: 'done' });
    assert.equal(gateOf('b')?.status, 'True');
  });

  test('a backend removed while still taking connections, its pod already gone, is a missed drain; a drained one is not', async () => {
    const missed: string[] = [];
    reconciler = makeReconciler({ observer: { drainMissed: (_s, uid) => missed.push(uid) } }, false);
    setPods([pod({ name: 'a', ip: '10.0.0.1' }), pod({ name: 'b', ip: '10.0.0.2' })]);
    await converge();
    setPods([pod({ name: 'a', ip: '10.0.0.1', state: 'terminating' })]);
    await reconciler.reconcile(key, signal);
    setPods([]);
    await reconciler.reconcile(key, signal);
    assert.deepEqual(missed, ['uid-b'], 'b vanished at full weight (force-deleted); a was drained first');
  });

  test('every scenario above held its writes against its plan', () => {
    assert.ok(planChecks >= 40, `plan checks: ${planChecks}`);
  });
});
