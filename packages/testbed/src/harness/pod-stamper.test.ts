/**
 * The pod stamper against a real API server: pods bound to its node get IPs from its range,
 * Running and ready containers without any process; Ready follows the readiness gates; a
 * deleted pod is reported terminated and removed. Also the keep-alive REST client it writes with.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { CoreV1Api, PatchStrategy, setHeaderOptions, type V1Pod } from '@kubernetes/client-node';
import { apiStatus, describeApiError } from './api-errors.ts';
import { type ControlPlane, startControlPlane } from './control-plane.ts';
import { parseCidr } from './ipv4.ts';
import { POD_IP_ANNOTATION, POD_IP_FAMILIES_ANNOTATION } from './pod-annotations.ts';
import { createKubeRest, type KubeRest } from './kube-rest.ts';
import { consoleLogger } from './logger.ts';
import { type PodStamper, startPodStamper } from './pod-stamper.ts';
import { waitFor } from './wait.ts';

const GATE = 'example.com/gate';
const CIDR = '10.77.0.0/16';
const ns = `stamper-${process.pid}`;
let controlPlane: ControlPlane | undefined;
let stamper: PodStamper | undefined;
let rest: KubeRest | undefined;
let core: CoreV1Api;
const readyReported: string[] = [];
const finalized: string[] = [];

function condition(pod: V1Pod, type: string) {
  return pod.status?.conditions?.find((c) => c.type === type);
}

function podBody(name: string, preStopSeconds: number): V1Pod {
  return {
    metadata: { name, labels: { app: 'stamped' } },
    spec: {
      nodeName: 'stamper-test',
      readinessGates: [{ conditionType: GATE }],
      containers: [
        {
          name: 'app',
          image: 'sim/app',
          ...(preStopSeconds > 0 ? { lifecycle: { preStop: { sleep: { seconds: preStopSeconds } } } } : {}),
        },
      ],
    },
  };
}

before(async () => {
  const log = consoleLogger('stamper');
  controlPlane = await startControlPlane({ log });
  core = controlPlane.kubeConfig.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: ns } } });
  await waitFor('the default ServiceAccount', () => core.readNamespacedServiceAccount({ name: 'default', namespace: ns }).then(() => true));
  // One pod exists before the stamper starts: the initial list must pick it up.
  await core.createNamespacedPod({ namespace: ns, body: podBody('early', 0) });
  stamper = await startPodStamper({
    kubeConfig: controlPlane.kubeConfig,
    nodeName: 'stamper-test',
    podCidr: CIDR,
    log,
    observer: {
      containersReady: (pod) => readyReported.push(pod.metadata!.name!),
      finalized: (pod) => finalized.push(pod.metadata!.name!),
    },
  });
  rest = await createKubeRest(controlPlane.kubeConfig);
});

after(async () => {
  rest?.close();
  await stamper?.stop();
  await controlPlane?.stop();
});

test('bound pods get IPs, Running and ready containers; Ready waits for the gates; deletion ends in removal', { timeout: 90_000 }, async () => {
  await core.createNamespacedPod({ namespace: ns, body: podBody('late', 0) });
  await core.createNamespacedPod({ namespace: ns, body: podBody('slow-exit', 1) });

  const pods = await waitFor(
    'three stamped pods with ContainersReady=True and Ready=False',
    async () => {
      const list = (await core.listNamespacedPod({ namespace: ns })).items;
      const stamped = list.filter((p) => condition(p, 'ContainersReady')?.status === 'True' && condition(p, 'Ready')?.status === 'False');
      return stamped.length === 3 ? stamped : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 100 },
  );
  const range = parseCidr(CIDR);
  const ips = new Set<string>();
  for (const pod of pods) {
    assert.equal(pod.status?.phase, 'Running');
    assert.equal(condition(pod, 'Ready')?.reason, 'ReadinessGatesNotReady');
    assert.equal(pod.status?.containerStatuses?.[0]?.ready, true);
    assert.ok(pod.status?.containerStatuses?.[0]?.state?.running, 'container reported running');
    const ip = pod.status!.podIP!;
    assert.ok(rangeHas(range, ip), `pod IP ${ip} is in ${CIDR}`);
    ips.add(ip);
  }
  assert.equal(ips.size, 3, 'every pod has its own IP');
  // The stamper reports a pod once its PATCH has returned, which can be just after a LIST
  // already shows the write.
  await waitFor('the stamper to report three pods ready', async () => readyReported.length >= 3, { timeoutMs: 10_000, intervalMs: 20 });
  assert.deepEqual([...readyReported].sort(), ['early', 'late', 'slow-exit']);

  // Another actor passes the gate of one pod: Ready follows for that pod only.
  await core.patchNamespacedPodStatus(
    { name: 'late', namespace: ns, body: { status: { conditions: [{ type: GATE, status: 'True', lastTransitionTime: new Date().toISOString() }] } } },
    setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
  );
  await waitFor('Ready=True on the gated pod', async () => condition(await core.readNamespacedPod({ name: 'late', namespace: ns }), 'Ready')?.status === 'True', {
    timeoutMs: 20_000,
  });
  assert.equal(condition(await core.readNamespacedPod({ name: 'early', namespace: ns }), 'Ready')?.status, 'False');

  // A graceful delete: the pod waits out its preStop sleep, then is reported terminated and removed.
  const deleted = await core.deleteNamespacedPod({ name: 'slow-exit', namespace: ns });
  assert.ok(deleted.metadata?.deletionTimestamp, 'the delete is graceful (the pod has a deletionTimestamp)');
  await waitFor(
    'the deleted pod to be removed',
    async () => {
      try {
        await core.readNamespacedPod({ name: 'slow-exit', namespace: ns });
        return false;
      } catch (error) {
        return apiStatus(error) === 404;
      }
    },
    { timeoutMs: 30_000, intervalMs: 100 },
  );
  await waitFor('the stamper to report the removal', async () => finalized.length >= 1, { timeoutMs: 10_000, intervalMs: 20 });
  assert.deepEqual(finalized, ['slow-exit']);
  await stamper!.idle();
  const stats = stamper!.stats();
  assert.equal(stats.pods, 2);
  assert.equal(stats.deletes, 1);
  assert.equal(stats.errors, 0);
});

test('a pod annotated with a pod IP gets it, even when another pod holds it', { timeout: 30_000 }, async () => {
  const chosen = '10.77.50.5';
  for (const name of ['chosen-a', 'chosen-b']) {
    const body = podBody(name, 0);
    body.metadata!.annotations = { [POD_IP_ANNOTATION]: chosen };
    await core.createNamespacedPod({ namespace: ns, body });
  }
  const ips = await waitFor(
    'both annotated pods stamped',
    async () => {
      const pods = await Promise.all(['chosen-a', 'chosen-b'].map((name) => core.readNamespacedPod({ name, namespace: ns })));
      return pods.every((p) => condition(p, 'ContainersReady')?.status === 'True') ? pods.map((p) => p.status?.podIP) : undefined;
    },
    { timeoutMs: 20_000, intervalMs: 100 },
  );
  assert.deepEqual(ips, [chosen, chosen]);
  for (const name of ['chosen-a', 'chosen-b']) await core.deleteNamespacedPod({ name, namespace: ns, gracePeriodSeconds: 0 });
});

test('a stamper with an IPv6 range gives every pod both families, primary first, or the families the pod names', { timeout: 30_000 }, async () => {
  const warnings: string[] = [];
  const log = { info: () => {}, debug: () => {}, warn: (m: string) => warnings.push(m) };
  const dual = await startPodStamper({ kubeConfig: controlPlane!.kubeConfig, nodeName: 'stamper-dual', podCidr: '10.78.0.0/16', ipv6PodCidr: 'fd00:10:78::/64', log });
  try {
    const body = (name: string, annotations: Record<string, string>) => {
      const pod = podBody(name, 0);
      pod.spec!.nodeName = 'stamper-dual';
      pod.metadata!.annotations = annotations;
      return pod;
    };
    await core.createNamespacedPod({ namespace: ns, body: body('dual-default', {}) });
    await core.createNamespacedPod({ namespace: ns, body: body('dual-v6-first', { [POD_IP_FAMILIES_ANNOTATION]: 'IPv6,IPv4', [POD_IP_ANNOTATION]: 'fd00:10:78::50:5' }) });
    await core.createNamespacedPod({ namespace: ns, body: body('dual-bad', { [POD_IP_FAMILIES_ANNOTATION]: 'IPv5' }) });
    const names = ['dual-default', 'dual-v6-first'];
    const pods = await waitFor(
      'both dual-stack pods stamped',
      async () => {
        const list = await Promise.all(names.map((name) => core.readNamespacedPod({ name, namespace: ns })));
        return list.every((p) => condition(p, 'ContainersReady')?.status === 'True') ? list : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 100 },
    );
    assert.deepEqual(
      pods.map((p) => [p.status?.podIP, (p.status?.podIPs ?? []).map((a) => a.ip)]),
      [
        ['10.78.1.1', ['10.78.1.1', 'fd00:10:78::1:1']],
        ['fd00:10:78::50:5', ['fd00:10:78::50:5', '10.78.1.2']],
      ],
    );
    const refusal = await waitFor('the refusal of dual-bad', async () => warnings.find((w) => w.includes('dual-bad')), { timeoutMs: 10_000, intervalMs: 20 });
    assert.match(refusal, /cannot stamp pod .*\/dual-bad: annotation sim\.sluice\.dev\/ip-families="IPv5" is invalid/);
    const bad = await core.readNamespacedPod({ name: 'dual-bad', namespace: ns });
    assert.equal(bad.status?.podIP, undefined, 'a pod asking for a family nobody has gets no address');
    for (const name of [...names, 'dual-bad']) await core.deleteNamespacedPod({ name, namespace: ns, gracePeriodSeconds: 0 });
  } finally {
    await dual.stop();
  }
});

test('the keep-alive REST client answers JSON and reports API errors with their status', { timeout: 30_000 }, async () => {
  const pod = await rest!.request<V1Pod>('GET', `/api/v1/namespaces/${ns}/pods/early`);
  assert.equal(pod.metadata?.name, 'early');
  const missing = await rest!.request('GET', `/api/v1/namespaces/${ns}/pods/nope`).then(
    () => undefined,
    (error: unknown) => error,
  );
  assert.equal(apiStatus(missing), 404);
  assert.match(describeApiError(missing), /HTTP 404: pods "nope" not found/);
});

function rangeHas(range: { start: number; size: number }, ip: string): boolean {
  const value = parseCidr(ip).start;
  return value >= range.start && value < range.start + range.size;
}
