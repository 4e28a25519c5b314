/**
 * The harness end to end: a real API server and controller manager, the pod network and one
 * simulated kubelet running a Deployment whose pods carry a readiness gate.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, test } from 'node:test';
import { AppsV1Api, CoreV1Api, DiscoveryV1Api, PatchStrategy, setHeaderOptions, type V1Pod } from '@kubernetes/client-node';
import { apiStatus } from './api-errors.ts';
import { type ControlPlane, startControlPlane } from './control-plane.ts';
import { type KubeletSimulator, startKubeletSimulator } from './kubelet-sim.ts';
import { consoleLogger } from './logger.ts';
import { familyOf } from './ip-family.ts';
import { POD_IP_ANNOTATION, POD_IP_FAMILIES_ANNOTATION } from './pod-annotations.ts';
import { createPodNetwork, type PodNetwork } from './pod-network.ts';
import { waitFor } from './wait.ts';

const GATE = 'example.com/gate';
const ns = `harness-${process.pid}`;
let controlPlane: ControlPlane | undefined;
let network: PodNetwork | undefined;
let simulator: KubeletSimulator | undefined;
let core: CoreV1Api;

function condition(pod: V1Pod, type: string): string | undefined {
  return pod.status?.conditions?.find((c) => c.type === type)?.status;
}

function httpGet(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path: '/', agent: false, timeout: 3000 }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve(body));
    });
    req.on('timeout', () => req.destroy(new Error(`GET http://${host}:${port}/ timed out`)));
    req.on('error', reject);
    req.end();
  });
}

before(async () => {
  const log = consoleLogger('harness');
  const started = performance.now();
  controlPlane = await startControlPlane({ log });
  log.info(`control plane start took ${Math.round(performance.now() - started)} ms`);
  network = await createPodNetwork({ log });
  simulator = await startKubeletSimulator({ kubeConfig: controlPlane.kubeConfig, network, zone: 'zone-a', log });
  core = controlPlane.kubeConfig.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: ns } } });
  await waitFor('the default ServiceAccount in the test namespace', () =>
    core.readNamespacedServiceAccount({ name: 'default', namespace: ns }).then(() => true),
  );
});

after(async () => {
  // Matters on a borrowed cluster (SLUICE_E2E_KUBECONFIG); a throwaway one just goes away.
  await core?.deleteNamespace({ name: ns }).catch(() => {});
  await simulator?.stop();
  await network?.destroy();
  await controlPlane?.stop();
});

test('pods follow readiness gates, serve on their IPs, and drain for their grace period', { timeout: 120_000 }, async () => {
  const kc = controlPlane!.kubeConfig;
  const apps = kc.makeApiClient(AppsV1Api);
  const discovery = kc.makeApiClient(DiscoveryV1Api);
  const labels = { app: 'web' };

  await core.createNamespacedService({
    namespace: ns,
    body: { metadata: { name: 'web' }, spec: { selector: labels, ports: [{ port: 80, targetPort: 'http' }] } },
  });
  await apps.createNamespacedDeployment({
    namespace: ns,
    body: {
      metadata: { name: 'web' },
      spec: {
        replicas: 2,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels, annotations: { 'sim.sluice.dev/sigterm': 'keep-serving' } },
          spec: {
            readinessGates: [{ conditionType: GATE }],
            terminationGracePeriodSeconds: 30,
            containers: [
              {
                name: 'web',
                image: 'sim/web',
                ports: [{ name: 'http', containerPort: 8080 }],
                readinessProbe: { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 1 },
              },
            ],
          },
        },
      },
    },
  });

  // Both pods run and pass their probe, but stay unready: the gate condition does not exist yet.
  const pods = await waitFor(
    'two pods with ContainersReady=True and Ready=False',
    async () => {
      const list = (await core.listNamespacedPod({ namespace: ns, labelSelector: 'app=web' })).items;
      const ok = list.filter((p) => condition(p, 'ContainersReady') === 'True' && condition(p, 'Ready') === 'False');
      return list.length === 2 && ok.length === 2 ? list : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 250 },
  );
  const [a, b] = pods.sort((x, y) => (x.metadata!.name! < y.metadata!.name! ? -1 : 1)) as [V1Pod, V1Pod];
  const readyA = a.status!.conditions!.find((c) => c.type === 'Ready')!;
  assert.equal(readyA.reason, 'ReadinessGatesNotReady');
  assert.match(readyA.message ?? '', /example\.com\/gate/);
  assert.equal(a.spec!.nodeName, simulator!.nodeName);
  assert.ok(a.status!.podIP && b.status!.podIP && a.status!.podIP !== b.status!.podIP);

  // Another actor sets the gate on one pod; the simulator must re-evaluate Ready for it only.
  await core.patchNamespacedPodStatus(
    {
      name: a.metadata!.name!,
      namespace: ns,
      body: { status: { conditions: [{ type: GATE, status: 'True', lastTransitionTime: new Date().toISOString() }] } },
    },
    setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
  );
  const readyPod = await waitFor('pod A to become Ready', async () => {
    const p = await core.readNamespacedPod({ name: a.metadata!.name!, namespace: ns });
    return condition(p, 'Ready') === 'True' ? p : undefined;
  });
  assert.equal(condition(readyPod, GATE), 'True', 'the gate condition survives the simulator status writes');
  assert.equal(condition(readyPod, 'ContainersReady'), 'True');
  const podB = await core.readNamespacedPod({ name: b.metadata!.name!, namespace: ns });
  assert.equal(condition(podB, 'Ready'), 'False');

  // Each pod answers on its own IP, from the root namespace.
  assert.equal(await httpGet(a.status!.podIP!, 8080), `${a.metadata!.name}\n`);
  assert.equal(await httpGet(b.status!.podIP!, 8080), `${b.metadata!.name}\n`);

  // The EndpointSlice controller lists both, ready as the pods are.
  const endpoints = await waitFor('the EndpointSlice to list both pods with A ready and B not', async () => {
    const slices = await discovery.listNamespacedEndpointSlice({ namespace: ns, labelSelector: 'kubernetes.io/service-name=web' });
    const eps = slices.items.flatMap((s) => s.endpoints ?? []);
    const byIp = new Map(eps.map((e) => [e.addresses[0], e.conditions?.ready]));
    return byIp.size === 2 && byIp.get(a.status!.podIP!) === true && byIp.get(b.status!.podIP!) === false ? byIp : undefined;
  });
  assert.deepEqual([...endpoints.keys()].sort(), [a.status!.podIP!, b.status!.podIP!].sort());

  // A pod that ignores SIGTERM is removed only once its 2 s grace period has run out, and serves until then.
  const deleteStart = performance.now();
  await core.deleteNamespacedPod({ name: b.metadata!.name!, namespace: ns, gracePeriodSeconds: 2 });
  await new Promise((r) => setTimeout(r, 1000));
  assert.equal(await httpGet(b.status!.podIP!, 8080), `${b.metadata!.name}\n`, 'still serving during the grace period');
  await waitFor(
    'pod B to be removed',
    async () => {
      try {
        await core.readNamespacedPod({ name: b.metadata!.name!, namespace: ns });
        return false;
      } catch (error) {
        return apiStatus(error) === 404;
      }
    },
    { timeoutMs: 15_000, intervalMs: 50 },
  );
  const elapsed = performance.now() - deleteStart;
  assert.ok(elapsed >= 1900, `pod removed after ${Math.round(elapsed)} ms, before its 2 s grace period`);
  assert.ok(elapsed < 5000, `pod removed after ${Math.round(elapsed)} ms, long after its 2 s grace period`);
  await assert.rejects(httpGet(b.status!.podIP!, 8080), 'the killed container no longer answers');
});

test('a second simulated node in another zone takes its share of the pods', { timeout: 60_000 }, async () => {
  const kc = controlPlane!.kubeConfig;
  const apps = kc.makeApiClient(AppsV1Api);
  const second = await startKubeletSimulator({ kubeConfig: kc, network: network!, zone: 'zone-b', log: consoleLogger('sim-b') });
  try {
    for (const [name, zone] of [
      ['sim-zone-a', 'zone-a'],
      ['sim-zone-b', 'zone-b'],
    ]) {
      const n = await core.readNode({ name: name! });
      assert.equal(n.metadata!.labels!['topology.kubernetes.io/zone'], zone);
      assert.equal(n.status!.conditions!.find((c) => c.type === 'Ready')?.status, 'True');
    }
    await apps.createNamespacedDeployment({
      namespace: ns,
      body: {
        metadata: { name: 'spread' },
        spec: {
          replicas: 2,
          selector: { matchLabels: { app: 'spread' } },
          template: {
            metadata: { labels: { app: 'spread' } },
            spec: { containers: [{ name: 'app', image: 'sim/app', ports: [{ containerPort: 9000 }] }] },
          },
        },
      },
    });
    const pods = await waitFor('two Ready pods of the spread Deployment', async () => {
      const list = (await core.listNamespacedPod({ namespace: ns, labelSelector: 'app=spread' })).items;
      return list.length === 2 && list.every((p) => condition(p, 'Ready') === 'True') ? list : undefined;
    });
    assert.deepEqual(pods.map((p) => p.spec!.nodeName).sort(), ['sim-zone-a', 'sim-zone-b'], `one replica per node: ${pods.map((p) => `${p.metadata!.name}@${p.spec!.nodeName}`).join(', ')}`);
    for (const p of pods) assert.equal(await httpGet(p.status!.podIP!, 9000), `${p.metadata!.name}\n`);
  } finally {
    await second.stop();
  }
  await assert.rejects(core.readNode({ name: 'sim-zone-b' }), (e) => apiStatus(e) === 404, 'a stopped simulator removes its node');
});

test('two pods may be given the same IP; the API server takes both, and the one left keeps the address', { timeout: 60_000 }, async () => {
  const shared = network!.cidr.replace(/\.0\.0\/16$/, '.77.7');
  const pod = (name: string, port: number): V1Pod => ({
    metadata: { name, annotations: { [POD_IP_ANNOTATION]: shared, 'sim.sluice.dev/sigterm': 'close' } },
    spec: { nodeName: simulator!.nodeName, terminationGracePeriodSeconds: 5, containers: [{ name: 'app', image: 'sim/app', ports: [{ containerPort: port }] }] },
  });
  await core.createNamespacedPod({ namespace: ns, body: pod('same-ip-old', 8080) });
  await core.createNamespacedPod({ namespace: ns, body: pod('same-ip-new', 8081) });
  const pods = await waitFor('both same-IP pods Ready', async () => {
    const list = await Promise.all(['same-ip-old', 'same-ip-new'].map((name) => core.readNamespacedPod({ name, namespace: ns })));
    return list.every((p) => condition(p, 'Ready') === 'True') ? list : undefined;
  });
  assert.deepEqual(
    pods.map((p) => p.status?.podIP),
    [shared, shared],
    'the API server accepts two pods with the same status.podIP',
  );
  assert.equal(network!.holders(shared), 2);
  assert.equal(await httpGet(shared, 8080), 'same-ip-old\n');
  assert.equal(await httpGet(shared, 8081), 'same-ip-new\n');

  await core.deleteNamespacedPod({ name: 'same-ip-old', namespace: ns });
  await waitFor('the old same-IP pod to be removed', async () => {
    try {
      await core.readNamespacedPod({ name: 'same-ip-old', namespace: ns });
      return false;
    } catch (error) {
      return apiStatus(error) === 404;
    }
  });
  await waitFor('the simulator to release the old pod\'s hold', () => network!.holders(shared) === 1, { timeoutMs: 5000 });
  assert.equal(await httpGet(shared, 8081), 'same-ip-new\n', 'the pod still holding the address keeps serving');
  await core.deleteNamespacedPod({ name: 'same-ip-new', namespace: ns, gracePeriodSeconds: 0 });
  await waitFor('the last hold of the shared address to be released', () => network!.holders(shared) === 0, { timeoutMs: 10_000 });
});

test('the cluster is dual-stack: IPv6-only and dual-stack Services get one EndpointSlice per family from the pods\' podIPs', { timeout: 60_000 }, async () => {
  const discovery = controlPlane!.kubeConfig.makeApiClient(DiscoveryV1Api);
  const labels = { app: 'families' };
  const pod = (name: string, families: string): V1Pod => ({
    metadata: { name, labels, annotations: { [POD_IP_FAMILIES_ANNOTATION]: families, 'sim.sluice.dev/sigterm': 'close' } },
    spec: { nodeName: simulator!.nodeName, terminationGracePeriodSeconds: 2, containers: [{ name: 'app', image: 'sim/app', ports: [{ name: 'http', containerPort: 8080 }] }] },
  });
  await core.createNamespacedPod({ namespace: ns, body: pod('dual', 'IPv4,IPv6') });
  await core.createNamespacedPod({ namespace: ns, body: pod('six', 'IPv6') });
  const service = (name: string, ipFamilyPolicy: string, ipFamilies: string[]) =>
    core.createNamespacedService({
      namespace: ns,
      body: { metadata: { name }, spec: { selector: labels, ipFamilyPolicy, ipFamilies, ports: [{ name: 'http', port: 80, targetPort: 'http' }] } },
    });
  const v6 = await service('families-v6', 'SingleStack', ['IPv6']);
  const dual = await service('families-dual', 'RequireDualStack', ['IPv4', 'IPv6']);
  assert.deepEqual(v6.spec?.clusterIPs?.map(familyOf), ['IPv6'], `IPv6-only Service cluster IPs ${v6.spec?.clusterIPs}`);
  assert.deepEqual(dual.spec?.clusterIPs?.map(familyOf), ['IPv4', 'IPv6'], `dual-stack Service cluster IPs ${dual.spec?.clusterIPs}`);
  const plain = await core.createNamespacedService({ namespace: ns, body: { metadata: { name: 'families-plain' }, spec: { selector: labels, ports: [{ port: 80 }] } } });
  assert.deepEqual([plain.spec?.ipFamilyPolicy, plain.spec?.ipFamilies], ['SingleStack', ['IPv4']], 'a Service naming no family stays IPv4');

  const [dualPod, sixPod] = await waitFor('both pods Ready with their addresses', async () => {
    const list = await Promise.all(['dual', 'six'].map((name) => core.readNamespacedPod({ name, namespace: ns })));
    return list.every((p) => condition(p, 'Ready') === 'True' && p.status?.podIP) ? list : undefined;
  });
  const ips = (p: V1Pod) => (p.status?.podIPs ?? []).map((a) => a.ip);
  assert.deepEqual(ips(dualPod!).map(familyOf), ['IPv4', 'IPv6'], 'podIPs lists one address per family, primary first');
  assert.equal(dualPod!.status?.podIP, ips(dualPod!)[0]);
  assert.deepEqual(ips(sixPod!).map(familyOf), ['IPv6']);
  assert.equal(sixPod!.status?.podIP, ips(sixPod!)[0], 'an IPv6-only pod has an IPv6 podIP');
  for (const address of [...ips(dualPod!), ...ips(sixPod!)]) {
    const name = ips(dualPod!).includes(address) ? 'dual' : 'six';
    assert.equal(await httpGet(address, 8080), `${name}\n`, `the pod answers on ${address}`);
  }

  const slicesOf = (svc: string) =>
    waitFor(`the EndpointSlices of ${svc}`, async () => {
      const list = await discovery.listNamespacedEndpointSlice({ namespace: ns, labelSelector: `kubernetes.io/service-name=${svc}` });
      const byType = new Map(list.items.map((s) => [s.addressType, (s.endpoints ?? []).filter((e) => e.conditions?.ready).map((e) => e.addresses[0]).sort()]));
      return [...byType.values()].reduce((n, a) => n + a.length, 0) === (svc === 'families-v6' ? 2 : 3) ? byType : undefined;
    });
  const v6Slices = await slicesOf('families-v6');
  assert.deepEqual([...v6Slices.keys()], ['IPv6']);
  assert.deepEqual(v6Slices.get('IPv6'), [ips(dualPod!)[1], ips(sixPod!)[0]].sort());
  const dualSlices = await slicesOf('families-dual');
  assert.deepEqual([...dualSlices.keys()].sort(), ['IPv4', 'IPv6'], 'one slice per family');
  assert.deepEqual(dualSlices.get('IPv4'), [ips(dualPod!)[0]], 'the IPv6-only pod is in the IPv6 slice only');
  assert.deepEqual(dualSlices.get('IPv6'), [ips(dualPod!)[1], ips(sixPod!)[0]].sort());

  for (const name of ['dual', 'six']) await core.deleteNamespacedPod({ name, namespace: ns });
  await waitFor('both pods\' addresses released', () => [...ips(dualPod!), ...ips(sixPod!)].every((a) => network!.holders(a) === 0), { timeoutMs: 15_000 });
});
