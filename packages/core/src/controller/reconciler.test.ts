import assert from 'node:assert/strict';
import { beforeEach, describe, test } from 'node:test';
import type * as k8s from '@kubernetes/client-node';
import type { LoadBalancerIngress, Logger } from '../provider.ts';
import { RetryableError } from '../errors.ts';
import { FakeClock } from '../testing/fake-clock.ts';
import { GATE, pod, service, slice } from '../testing/fixtures.ts';
import { RecordingProvider } from '../testing/recording-provider.ts';
import type { Caches, ReadCache } from './caches.ts';
import type { ClusterWriter } from './cluster.ts';
import { EventRecorder } from './events.ts';
import { FINALIZER, Reconciler, type ReconcilerOptions } from './reconciler.ts';

class MapCache<T extends { metadata?: { name?: string; namespace?: string } }> implements ReadCache<T> {
  readonly items = new Map<string, T>();
  put(obj: T): void {
    this.items.set(`${obj.metadata?.namespace}/${obj.metadata?.name}`, obj);
  }
  remove(namespace: string, name: string): void {
    this.items.delete(`${namespace}/${name}`);
  }
  get(name: string, namespace?: string): T | undefined {
    return this.items.get(`${namespace}/${name}`);
  }
  list(namespace?: string): T[] {
    return [...this.items.values()].filter((o) => namespace === undefined || o.metadata?.namespace === namespace);
  }
}

/** Applies writes to the caches the way the API server + informers would. */
class FakeCluster implements ClusterWriter {
  readonly writes: string[] = [];
  readonly events: { reason: string; type: string; message: string; object: string }[] = [];
  readonly caches: { services: MapCache<k8s.V1Service>; endpointSlices: MapCache<k8s.V1EndpointSlice>; pods: MapCache<k8s.V1Pod> };
  constructor(caches: FakeCluster['caches']) {
    this.caches = caches;
  }
  async patchPodStatus(namespace: string, name: string, body: { status: { conditions: k8s.V1PodCondition[] } }): Promise<void> {
    this.writes.push(`pod-status ${name} ${body.status.conditions.map((c) => `${c.type}=${c.status}`).join(',')}`);
    const p = this.caches.pods.get(name, namespace)!;
    const others = (p.status?.conditions ?? []).filter((c) => !body.status.conditions.some((n) => n.type === c.type));
    this.caches.pods.put({ ...p, status: { ...p.status, conditions: [...others, ...body.status.conditions] } });
  }
  async patchServiceIngress(namespace: string, name: string, ingress: readonly LoadBalancerIngress[]): Promise<void> {
    this.writes.push(`service-status ${name}`);
    const s = this.caches.services.get(name, namespace)!;
    this.caches.services.put({ ...s, status: { loadBalancer: { ingress: ingress as k8s.V1LoadBalancerIngress[] } } });
  }
  async setServiceFinalizers(namespace: string, name: string, finalizers: readonly string[]): Promise<void> {
    this.writes.push(`finalizers ${name} [${finalizers.join(',')}]`);
    const s = this.caches.services.get(name, namespace)!;
    if (s.metadata?.deletionTimestamp && finalizers.length === 0) this.caches.services.remove(namespace, name);
    else this.caches.services.put({ ...s, metadata: { ...s.metadata, finalizers: [...finalizers] } });
  }
  async setServiceAnnotation(namespace: string, name: string, key: string, value: string): Promise<void> {
    this.writes.push(`annotate ${name} ${key}`);
    const s = this.caches.services.get(name, namespace)!;
    this.caches.services.put({ ...s, metadata: { ...s.metadata, annotations: { ...s.metadata?.annotations, [key]: value } } });
  }
  async createEvent(event: k8s.CoreV1Event): Promise<void> {
    this.events.push({ reason: event.reason ?? '', type: event.type ?? '', message: event.message ?? '', object: `${event.involvedObject.kind}/${event.involvedObject.name}` });
  }
  async patchEvent(): Promise<void> {}
}

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };

describe('Reconciler', () => {
  let caches: { services: MapCache<k8s.V1Service>; endpointSlices: MapCache<k8s.V1EndpointSlice>; pods: MapCache<k8s.V1Pod> };
  let cluster: FakeCluster;
  let provider: RecordingProvider;
  let clock: FakeClock;
  let reconciler: Reconciler;
  const signal = new AbortController().signal;
  const key = 'default/web';

  function setPods(pods: ReturnType<typeof pod>[]): void {
    for (const k of [...caches.pods.items.keys()]) caches.pods.items.delete(k);
    for (const p of pods) caches.pods.put(p as k8s.V1Pod);
    caches.endpointSlices.put(slice(pods) as k8s.V1EndpointSlice);
  }

  function makeReconciler(options: Partial<ReconcilerOptions> = {}): Reconciler {
    return new Reconciler({
      provider,
      writer: cluster,
      caches: caches as Caches,
      events: new EventRecorder({ writer: cluster, clock, log: quiet }),
      clock,
      log: quiet,
      clusterName: 'test',
      gateConditionType: GATE,
      healthPollMs: 250,
      ...options,
    });
  }

  beforeEach(() => {
    caches = { services: new MapCache(), endpointSlices: new MapCache(), pods: new MapCache() };
    cluster = new FakeCluster(caches);
    provider = new RecordingProvider();
    clock = new FakeClock(1_000_000);
    reconciler = makeReconciler();
    caches.services.put(service() as k8s.V1Service);
  });

  test('first sync: finalizer, LB created with the ready pods, status written, gates False until healthy, then True', async () => {
    setPods([pod({ name: 'a', ip: '10.0.0.1' }), pod({ name: 'b', ip: '10.0.0.2', state: 'starting' })]);
    const r1 = await reconciler.reconcile(key, signal);
    assert.deepEqual(r1, { kind: 'requeue', afterMs: 250 });
    assert.deepEqual(caches.services.get('web', 'default')?.metadata?.finalizers, [FINALIZER]);
    assert.deepEqual(provider.backends(key).map((b) => b.podName), ['a']);
    assert.equal(caches.services.get('web', 'default')?.status?.loadBalancer?.ingress?.[0]?.ip, '192.0.2.10');
    assert.equal(caches.pods.get('a', 'default')?.status?.conditions?.find((c) => c.type === GATE)?.status, 'False');
    assert.ok(cluster.events.some((e) => e.reason === 'EnsuredLoadBalancer'));
    assert.ok(cluster.events.some((e) => e.reason === 'WaitingForLoadBalancer' && e.object === 'Pod/a'));

    provider.setHealth(key, 'healthy');
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

  test('a pod without the gate is registered but never patched', async () => {
    setPods([pod({ name: 'a', ip: '10.0.0.1', gated: false })]);
    assert.deepEqual(await reconciler.reconcile(key, signal), { kind: 'done' });
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
});

