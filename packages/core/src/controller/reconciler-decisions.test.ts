import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type * as k8s from '@kubernetes/client-node';
import { ReconcilerSuite } from '../test-support/reconciler-world.ts';
import { MapCache } from '../testing/fake-cluster.ts';
import { pod, service, slice } from '../testing/fixtures.ts';
import { RecordingProvider } from '../testing/recording-provider.ts';

describe('Reconciler: shared addresses, restarts, bad input', () => {
  const t = new ReconcilerSuite();

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
        for (const p of [old, fresh, other]) t.caches.pods.put(p as k8s.V1Pod);
        for (const s of slices) t.caches.endpointSlices.put(s);
        await t.converge();
        assert.deepEqual(t.held(), ['a@10.0.0.1:8080=1', 'new@10.0.0.5:8080=1']);
        assert.equal(t.gateOf('new')?.status, 'True');
        const writes = [t.provider.writes.length, t.cluster.writes.length];
        const restarted = t.makeReconciler();
        assert.deepEqual(await restarted.reconcile(t.key, t.signal), { kind: 'done' });
        assert.deepEqual([t.provider.writes.length, t.cluster.writes.length], writes, 'a new reconciler (restart or new term) writes nothing');
      });
    }

    test('same IP, other port: two backends; the old one is drained until it exits, the new one registered and gated', async () => {
      const newer = pod({ name: 'new', ip: '10.0.0.5', containerPorts: [{ name: 'http', containerPort: 9090 }] });
      const older = pod({ name: 'old', ip: '10.0.0.5' });
      t.caches.pods.put(older as k8s.V1Pod);
      t.caches.endpointSlices.put(slice([older]) as k8s.V1EndpointSlice);
      await t.converge();
      const terminating = pod({ name: 'old', ip: '10.0.0.5', state: 'terminating' });
      t.caches.pods.put(terminating as k8s.V1Pod);
      t.caches.pods.put(newer as k8s.V1Pod);
      t.caches.endpointSlices.put(slice([terminating], undefined, 'web-abc') as k8s.V1EndpointSlice);
      t.caches.endpointSlices.put(slice([newer], [{ name: 'http', port: 9090 }], 'web-def') as k8s.V1EndpointSlice);
      await t.converge();
      assert.deepEqual(t.held(), ['old@10.0.0.5:8080=0', 'new@10.0.0.5:9090=1']);
      assert.equal(t.gateOf('new')?.status, 'True');
      t.caches.pods.remove('default', 'old');
      t.caches.endpointSlices.remove('default', 'web-abc');
      await t.reconciler.reconcile(t.key, t.signal);
      assert.deepEqual(t.held(), ['new@10.0.0.5:9090=1']);
    });
  });

  test('a restart or a new leadership term reaches the same plan and writes nothing, also for providers that cannot record pod UIDs', async () => {
    t.provider = new RecordingProvider({ capabilities: { tracksPodUid: false, weights: false } });
    t.reconciler = t.makeReconciler();
    t.setPods([pod({ name: 'a', ip: '10.0.0.1' }), pod({ name: 'b', ip: '10.0.0.2' }), pod({ name: 'c', ip: '10.0.0.3', state: 'terminating' })]);
    await t.converge();
    const writes = [t.provider.writes.length, t.cluster.writes.length];
    t.clock.advance(10 * 60_000);
    const next = t.makeReconciler();
    assert.deepEqual(await next.reconcile(t.key, t.signal), { kind: 'done' });
    assert.deepEqual(await next.reconcile(t.key, t.signal), { kind: 'done' });
    assert.deepEqual([t.provider.writes.length, t.cluster.writes.length], writes);
    assert.ok(t.caches.services.get('web', 'default')?.metadata?.annotations?.['sluice.dev/applied-spec']?.startsWith('v1-'));
  });

  test('a changed Service spec is ensured again after a restart (the digest on the Service says so)', async () => {
    t.setPods([pod({ name: 'a', ip: '10.0.0.1' })]);
    await t.converge();
    const s = t.caches.services.get('web', 'default')!;
    t.caches.services.put({ ...s, metadata: { ...s.metadata, annotations: { ...s.metadata?.annotations, 'sluice.dev/readiness-gate-timeout': '60' } } });
    const ensures = () => t.provider.calls.filter((c) => c.method === 'ensureLoadBalancer').length;
    const before = ensures();
    await t.makeReconciler().reconcile(t.key, t.signal);
    assert.equal(ensures(), before + 1);
  });

  test('one pod with an invalid weight: kept off the LB with its own Warning; the others register, pass, drain', async () => {
    const bad = pod({ name: 'bad', ip: '10.0.0.9', weight: 'abc' });
    t.setPods([pod({ name: 'a', ip: '10.0.0.1' }), bad, pod({ name: 'b', ip: '10.0.0.2' })]);
    await t.converge();
    assert.deepEqual(t.held(), ['a@10.0.0.1:8080=1', 'b@10.0.0.2:8080=1']);
    assert.deepEqual([t.gateOf('a')?.status, t.gateOf('b')?.status], ['True', 'True']);
    assert.deepEqual([t.gateOf('bad')?.status, t.gateOf('bad')?.reason], ['False', 'InvalidWeight']);
    assert.deepEqual(t.cluster.events.filter((e) => e.type === 'Warning').map((e) => `${e.reason} ${e.object}`), ['InvalidWeight Pod/bad', 'InvalidPodWeight Service/web']);
    t.setPods([pod({ name: 'a', ip: '10.0.0.1', state: 'terminating' }), bad, pod({ name: 'b', ip: '10.0.0.2' }), pod({ name: 'c', ip: '10.0.0.3' })]);
    await t.converge();
    assert.deepEqual(t.held(), ['a@10.0.0.1:8080=0', 'b@10.0.0.2:8080=1', 'c@10.0.0.3:8080=1']);
    assert.equal(t.gateOf('c')?.status, 'True');
    assert.equal(t.cluster.events.filter((e) => e.reason === 'InvalidWeight').length, 1, 'reported once');
  });

  test('a pod whose weight turns invalid keeps its registration exactly as it is, and is drained on deletion', async () => {
    t.setPods([pod({ name: 'a', ip: '10.0.0.1', weight: '5' })]);
    await t.converge();
    t.setPods([pod({ name: 'a', ip: '10.0.0.1', weight: 'lots', gate: 'True' })]);
    await t.reconciler.reconcile(t.key, t.signal);
    assert.deepEqual(t.held(), ['a@10.0.0.1:8080=5']);
    t.setPods([pod({ name: 'a', ip: '10.0.0.1', weight: 'lots', state: 'terminating' })]);
    await t.reconciler.reconcile(t.key, t.signal);
    assert.deepEqual(t.held(), ['a@10.0.0.1:8080=0']);
  });

  describe('Service problems are found before any write, on the very first reconcile', () => {
    const cases: [string, () => void, RegExp][] = [
      ['a targetPort no selected pod defines (no EndpointSlice yet)', () => {
        t.caches.services.put(service([{ name: 'http', port: 80, targetPort: 'nope' }]) as k8s.V1Service);
        t.caches.pods.put(pod({ name: 'a', ip: '10.0.0.1' }) as k8s.V1Pod);
      }, /spec\.ports\[0\]\.targetPort="nope" names no TCP container port of the 1 pod it selects: allowed is a port number or one of http\./],
      ['another provider\'s key', () => {
        t.caches.services.put(service(undefined, { annotations: { 'sluice.dev/aws-scheme': 'internal' } }) as k8s.V1Service);
      }, /annotation sluice\.dev\/aws-scheme is for the aws provider, but this controller runs the recording provider/],
      ['an unknown core key', () => {
        t.caches.services.put(service(undefined, { annotations: { 'sluice.dev/bogus': 'x' } }) as k8s.V1Service);
      }, /sluice\.dev\/bogus is not a Sluice annotation/],
    ];
    for (const [name, arrange, message] of cases) {
      test(name, async () => {
        arrange();
        const r = await t.reconciler.reconcile(t.key, t.signal);
        assert.equal(r.kind, 'terminal');
        assert.equal(t.provider.writes.length, 0, 'no LB');
        assert.deepEqual(t.cluster.writes.filter((w) => !w.startsWith('pod-status ')), [], 'no finalizer, no status, no annotation');
        const warnings = t.cluster.events.filter((e) => e.type === 'Warning');
        assert.equal(warnings.length, 1);
        assert.equal(warnings[0]?.reason, 'InvalidConfiguration');
        assert.match(warnings[0]?.message ?? '', message);
      });
    }
  });

  test('weights on a provider without weights: one Warning per Service, not one per rollout', async () => {
    t.provider = new RecordingProvider({ capabilities: { weights: false } });
    t.reconciler = t.makeReconciler();
    t.setPods([pod({ name: 'a1', ip: '10.0.0.1', weight: '5' }), pod({ name: 'b1', ip: '10.0.0.2', weight: '5' })]);
    await t.converge();
    // A rollout: new pods, new names, same annotation.
    t.setPods([pod({ name: 'a2', ip: '10.0.0.3', weight: '5' }), pod({ name: 'b2', ip: '10.0.0.4', weight: '5' })]);
    await t.converge();
    const warnings = t.cluster.events.filter((e) => e.reason === 'NotHonoured');
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]?.message ?? '', /pods a1, b1 ask for a sluice\.dev\/weight above 1, but the recording provider has no weights/);
  });

  test('a gated pod whose Sluice Service is refused is told why it waits, and passes once the Service is fixed', async () => {
    t.caches.services.put(service(undefined, { annotations: { 'sluice.dev/bogus': 'x' } }) as k8s.V1Service);
    t.setPods([pod({ name: 'a', ip: '10.0.0.1' }), pod({ name: 'old', ip: '10.0.0.2', state: 'terminating' })]);
    assert.equal((await t.reconciler.reconcile(t.key, t.signal)).kind, 'terminal');
    assert.deepEqual([t.gateOf('a')?.status, t.gateOf('a')?.reason], ['False', 'ServiceRefused']);
    assert.match(t.gateOf('a')?.message ?? '', /^Service default\/web gets no load balancer until its configuration is fixed: .*sluice\.dev\/bogus is not a Sluice annotation/);
    assert.equal(t.gateOf('old'), undefined, 'a terminating pod is left alone');
    assert.equal(t.provider.writes.length, 0, 'still no LB');
    t.caches.services.put(service() as k8s.V1Service);
    await t.converge();
    assert.deepEqual([t.gateOf('a')?.status, t.gateOf('a')?.reason], ['True', 'LBHealthy']);
  });

  test('an LB whose Service turns invalid changes nothing but still drains', async () => {
    t.setPods([pod({ name: 'a', ip: '10.0.0.1' }), pod({ name: 'b', ip: '10.0.0.2' })]);
    await t.converge();
    const s = t.caches.services.get('web', 'default')!;
    t.caches.services.put({ ...s, metadata: { ...s.metadata, annotations: { ...s.metadata?.annotations, 'sluice.dev/readiness-gate-timeout': 'never' } } });
    t.setPods([pod({ name: 'a', ip: '10.0.0.1', state: 'terminating' }), pod({ name: 'b', ip: '10.0.0.2' }), pod({ name: 'c', ip: '10.0.0.3' })]);
    const r = await t.reconciler.reconcile(t.key, t.signal);
    assert.equal(r.kind, 'terminal');
    assert.deepEqual(t.held(), ['a@10.0.0.1:8080=0', 'b@10.0.0.2:8080=1'], 'a drained; c not registered while the Service is invalid');
  });

  test('a pod selected by two Services passes only when both LBs call it healthy, also right after a restart', async () => {
    const other = service(undefined, { name: 'web2' }) as k8s.V1Service;
    t.caches.services.put(other);
    const p = pod({ name: 'a', ip: '10.0.0.1' });
    t.caches.pods.put(p as k8s.V1Pod);
    t.caches.endpointSlices.put(slice([p]) as k8s.V1EndpointSlice);
    t.caches.endpointSlices.put({ ...slice([p], undefined, 'web2-abc'), metadata: { name: 'web2-abc', namespace: 'default', labels: { 'kubernetes.io/service-name': 'web2' } } } as k8s.V1EndpointSlice);
    await t.reconciler.reconcile(t.key, t.signal);
    t.provider.setHealth(t.key, 'healthy');
    t.clock.advance(1_000); // the next health read is due
    await t.reconciler.reconcile(t.key, t.signal);
    assert.equal(t.gateOf('a')?.status, 'False', 'web2 has not said yes');
    await t.reconciler.reconcile('default/web2', t.signal);
    t.provider.setHealth('default/web2', 'healthy');
    t.clock.advance(1_000); // the next health read is due
    await t.reconciler.reconcile('default/web2', t.signal);
    assert.equal(t.gateOf('a')?.status, 'True');
  });

  test('a gated pod no Sluice Service selects is told; once one does, its reconcile gates the pod on its LB', async () => {
    t.caches.services.remove('default', 'web');
    const p = pod({ name: 'lonely', ip: '10.0.0.7' });
    t.caches.pods.put(p as k8s.V1Pod);
    assert.deepEqual(await t.reconciler.reconcile('pod:default/lonely', t.signal), { kind: 'done' });
    assert.deepEqual([t.gateOf('lonely')?.status, t.gateOf('lonely')?.reason], ['False', 'NoLoadBalancer']);
    assert.deepEqual(t.cluster.events.map((e) => `${e.reason} ${e.object}`), ['NoLoadBalancer Pod/lonely']);
    await t.reconciler.reconcile('pod:default/lonely', t.signal);
    assert.equal(t.cluster.events.length, 1, 'told once');
    t.caches.services.put(service() as k8s.V1Service);
    t.caches.endpointSlices.put(slice([t.caches.pods.get('lonely', 'default')!]) as k8s.V1EndpointSlice);
    await t.reconciler.reconcile('pod:default/lonely', t.signal);
    assert.equal(t.gateOf('lonely')?.reason, 'NoLoadBalancer', 'the Service owns it now; the pod check writes nothing');
    await t.reconciler.reconcile(t.key, t.signal);
    assert.deepEqual([t.gateOf('lonely')?.status, t.gateOf('lonely')?.reason], ['False', 'LBRegistering']);
    t.provider.setHealth(t.key, 'healthy');
    t.clock.advance(1_000); // the next health read is due
    await t.reconciler.reconcile(t.key, t.signal);
    assert.equal(t.gateOf('lonely')?.status, 'True');
  });
  test("a provider that asks for nodes' provider IDs gets each backend's, read from the node cache", async () => {
    const nodes = new MapCache<k8s.V1Node>();
    nodes.put({ metadata: { name: 'node-a' }, spec: { providerID: 'gce://p/us-central1-a/vm-a' } });
    t.provider = new RecordingProvider({ capabilities: { nodeProviderIds: true } });
    t.setPods([pod({ name: 'a', ip: '10.0.0.1' })]);
    await t.makeReconciler({ caches: { ...t.caches, nodes } }).reconcile(t.key, t.signal);
    assert.deepEqual(t.provider.backends(t.key).map((b) => [b.nodeName, b.nodeProviderId]), [['node-a', 'gce://p/us-central1-a/vm-a']]);
    nodes.items.clear();
    t.provider = new RecordingProvider({ capabilities: { nodeProviderIds: true } });
    await t.makeReconciler({ caches: { ...t.caches, nodes } }).reconcile(t.key, t.signal);
    assert.deepEqual(t.provider.backends(t.key).map((b) => [b.nodeName, b.nodeProviderId]), [['node-a', undefined]], 'a node without an ID: the provider decides');
  });

  test('every scenario above held its writes against its plan', () => {
    assert.ok(t.planChecks >= 40, `plan checks: ${t.planChecks}`);
  });
});
