/**
 * Bad input against the real controller (`--provider local`) and a real API server.
 *
 * - Service-level bad input is refused before any write, on the first reconcile: one
 *   Warning `InvalidConfiguration` naming the field, the value and what is allowed; no
 *   finalizer, no ingress, no ensureLoadBalancer call. Fixing the input then gets the LB
 *   (which proves the "nothing happened" checks could see something happen).
 * - A pod with a bad weight is kept off the LB and reported on itself and its Service;
 *   the Service's other pods register, pass their gates on a scale-up and are drained.
 * - Two Services on one port: the first keeps the listener; the second gets one Warning
 *   (aggregated by count) and no ingress pointing at the first one's listener.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { consoleLogger, freeLoopbackPorts, sleep, waitFor } from '@sluice/testbed/harness';
import { appDeployment, appPod, clusterJob, condition, formatCounts, GATE_TYPE, getOnce, loadBalancerService, sampleResponders, writeCounts } from '@sluice/testbed/scenario';

const FINALIZER = 'sluice.dev/load-balancer-cleanup';
const log = consoleLogger('e2e/bad-input');
const say = (line: string) => process.stdout.write(`${line}\n`);
const job = clusterJob(log);

interface BadServiceCase {
  readonly namespace: string;
  readonly what: string;
  readonly annotations?: Record<string, string>;
  /** Undefined: a Service without selector, so no EndpointSlice ever exists for it. */
  readonly selector?: Record<string, string>;
  readonly targetPort?: string;
  /** Create a Deployment `web` (no gate, so Running and Ready on its own) before the Service. */
  readonly podsFirst?: boolean;
  /** The message must name these (field and value). */
  readonly names: readonly string[];
  /** What the message must say is allowed instead (the case's own terms, not a wording). */
  readonly allowed: RegExp;
}

test('Service-level bad input: one Warning naming field, value and what is allowed; no finalizer, no LB', { timeout: 120_000 }, async () => {
  const cases: BadServiceCase[] = [
    {
      namespace: 'bad-gate-timeout',
      what: 'core key, bad value (no selector: first reconcile, no EndpointSlice)',
      annotations: { 'sluice.dev/readiness-gate-timeout': 'abc' },
      names: ['sluice.dev/readiness-gate-timeout', '"abc"'],
      allowed: /whole number|integer|seconds/i,
    },
    {
      namespace: 'bad-unknown-key',
      what: 'unknown core key',
      annotations: { 'sluice.dev/bogus': 'yes' },
      selector: { app: 'none' },
      names: ['sluice.dev/bogus'],
      allowed: /sluice\.dev\/readiness-gate-timeout/,
    },
    {
      namespace: 'bad-local-key',
      what: 'local-* key (the local provider reads none)',
      annotations: { 'sluice.dev/local-scheme': 'internal' },
      selector: { app: 'none' },
      names: ['sluice.dev/local-scheme'],
      allowed: /local provider\b.*\b(no|none)\b/i,
    },
    {
      namespace: 'bad-aws-key',
      what: "another provider's key",
      annotations: { 'sluice.dev/aws-scheme': 'internal' },
      selector: { app: 'none' },
      names: ['sluice.dev/aws-scheme'],
      allowed: /\baws\b.*\blocal\b|\blocal\b.*\baws\b/i,
    },
    {
      namespace: 'bad-target-port',
      what: 'named targetPort no selected pod defines',
      selector: { app: 'web' },
      targetPort: 'nope',
      podsFirst: true,
      names: ['"nope"', 'targetPort'],
      // The port names the selected pods do define.
      allowed: /\bhttp\b/,
    },
  ];
  const ports = await freeLoopbackPorts(cases.length);
  for (const c of cases) await job.objects.namespace(c.namespace);
  for (const c of cases.filter((c) => c.podsFirst)) {
    await job.objects.deployment(c.namespace, appDeployment('web', 2, { labels: { app: 'web' }, gate: false }));
    await job.reads.waitForReadyDeployment(c.namespace, 'web', 2);
  }
  const before = await writeCounts(job.controller);
  await Promise.all(
    cases.map((c, i) =>
      job.objects.service(c.namespace, loadBalancerService('svc', { port: ports[i]!, ...(c.selector ? { selector: c.selector } : {}), ...(c.annotations ? { annotations: c.annotations } : {}), ...(c.targetPort ? { targetPort: c.targetPort } : {}) })),
    ),
  );

  const seen = await Promise.all(cases.map((c) => job.reads.waitForEvent('Service', c.namespace, 'svc', 'Warning', 'InvalidConfiguration').catch((e: Error) => e)));
  // Give a wrong controller time to act anyway (slices, pods and retries all re-trigger reconciles).
  await sleep(3000);
  const states = await Promise.all(cases.map((c) => job.reads.serviceState(c.namespace, 'svc')));
  const afterCounts = await writeCounts(job.controller);

  say('\nService-level bad input (Warning InvalidConfiguration | finalizer | ingress):');
  cases.forEach((c, i) => {
    const ev = seen[i]!;
    say(`  ${c.what}: ${ev instanceof Error ? `NO EVENT (${ev.message})` : `"${ev.message}"`} | finalizer ${states[i]!.finalizers.includes(FINALIZER)} | ingress ${JSON.stringify(states[i]!.ingress)}`);
  });
  say(`  provider calls before: ${formatCounts(before)}`);
  say(`  provider calls after:  ${formatCounts(afterCounts)}`);

  const failures: string[] = [];
  cases.forEach((c, i) => {
    const ev = seen[i]!;
    if (ev instanceof Error) failures.push(`${c.namespace}: ${ev.message}`);
    else {
      for (const n of c.names) if (!ev.message.includes(n)) failures.push(`${c.namespace}: message does not name ${n}: ${ev.message}`);
      if (!c.allowed.test(ev.message)) failures.push(`${c.namespace}: message does not say what is allowed: ${ev.message}`);
    }
    if (states[i]!.finalizers.includes(FINALIZER)) failures.push(`${c.namespace}: finalizer ${FINALIZER} was added`);
    if (states[i]!.ingress.length > 0) failures.push(`${c.namespace}: status.loadBalancer.ingress set: ${JSON.stringify(states[i]!.ingress)}`);
  });
  assert.deepEqual(failures, [], 'every bad Service is refused with a clear Warning and left untouched');
  assert.equal(afterCounts.ensure - before.ensure, 0, 'no ensureLoadBalancer call for any bad Service');

  // Fixing the value gets the load balancer: the checks above were able to see one.
  await job.objects.core.patchNamespacedService(
    { namespace: 'bad-gate-timeout', name: 'svc', body: { metadata: { annotations: { 'sluice.dev/readiness-gate-timeout': '30' } } } },
    k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
  );
  const ip = await job.reads.waitForIngressIp('bad-gate-timeout', 'svc');
  const fixed = await job.reads.serviceState('bad-gate-timeout', 'svc');
  const fixedCounts = await writeCounts(job.controller);
  say(`  after fixing readiness-gate-timeout to "30": ingress ${ip}, finalizer ${fixed.finalizers.includes(FINALIZER)}, ${formatCounts(fixedCounts)}`);
  assert.ok(fixed.finalizers.includes(FINALIZER), 'the fixed Service gets the finalizer');
  assert.ok(fixedCounts.ensure > afterCounts.ensure, 'the fixed Service gets ensureLoadBalancer');
  for (const c of cases) await job.objects.deleteNamespace(c.namespace);
});

test('a pod with a bad weight stays off the LB; the other pods register, pass their gates and drain', { timeout: 120_000 }, async () => {
  const ns = 'bad-weight';
  const [port] = await freeLoopbackPorts(1);
  await job.objects.namespace(ns);
  await job.objects.service(ns, loadBalancerService('web', { port: port!, selector: { app: 'web' } }));
  await job.objects.deployment(ns, appDeployment('web', 2, { labels: { app: 'web', tier: 'main' } }));
  await job.reads.waitForReadyDeployment(ns, 'web', 2);
  const host = await job.reads.waitForIngressIp(ns, 'web');

  // Selected by the Service, not by the Deployment (no ReplicaSet adopts it).
  await job.objects.pod(ns, appPod('odd', { labels: { app: 'web', tier: 'odd' }, annotations: { 'sluice.dev/weight': 'abc' } }));
  const gate = await waitFor(
    `pod ${ns}/odd with gate condition False, reason InvalidWeight`,
    async () => {
      const c = condition(await job.reads.pod(ns, 'odd'), GATE_TYPE);
      return c?.status === 'False' && c.reason === 'InvalidWeight' ? c : undefined;
    },
    { timeoutMs: 20_000, intervalMs: 200 },
  ).catch((e: Error) => e);
  const podEvent = await job.reads.waitForEvent('Pod', ns, 'odd', 'Warning', 'InvalidWeight').catch((e: Error) => e);
  const svcEvent = await job.reads.waitForEvent('Service', ns, 'web', 'Warning', 'InvalidPodWeight').catch((e: Error) => e);
  say('\nPod-level bad input (sluice.dev/weight: "abc" on pod odd):');
  say(`  odd's gate: ${gate instanceof Error ? gate.message : `${gate.status} ${gate.reason}: ${gate.message}`}`);
  say(`  Warning on the pod: ${podEvent instanceof Error ? podEvent.message : `${podEvent.reason} "${podEvent.message}"`}`);
  say(`  Warning on the Service: ${svcEvent instanceof Error ? svcEvent.message : `${svcEvent.reason} "${svcEvent.message}"`}`);

  // The rest of the Service goes on: a scale-up registers and gates the new pods.
  await job.objects.scale(ns, 'web', 4);
  const four = await job.reads.waitForReadyDeployment(ns, 'web', 4);
  const names = four.map((p) => p.metadata!.name!);
  const sample = await sampleResponders(host, port!, 160);
  say(`  scale 2 -> 4: ${four.length} pods Ready with the gate True; 160 GETs through ${host}:${port}: ${JSON.stringify(Object.fromEntries(sample.byPod))}, ${sample.failed} failed`);
  const oddNow = await job.reads.pod(ns, 'odd');

  // Scale down: each deleted pod is drained.
  const uids = new Map(four.map((p) => [p.metadata!.uid!, p.metadata!.name!]));
  await job.objects.scale(ns, 'web', 2);
  const two = await job.reads.waitForReadyDeployment(ns, 'web', 2);
  for (const p of two) uids.delete(p.metadata!.uid!);
  const drained = await waitFor('a drain applied line for each deleted pod', () => {
    const d = new Set(job.controller.drains().map((x) => x.podUid));
    return [...uids.keys()].every((u) => d.has(u)) ? d : undefined;
  }, { timeoutMs: 10_000 }).catch(() => new Set(job.controller.drains().map((x) => x.podUid)));
  say(`  scale 4 -> 2: deleted ${[...uids.values()].join(', ')}; drain applied for ${[...uids.keys()].filter((u) => drained.has(u)).length} of ${uids.size}`);

  assert.ok(!(gate instanceof Error), `the bad pod's gate is False with reason InvalidWeight (${gate instanceof Error ? gate.message : ''})`);
  assert.ok(!(podEvent instanceof Error), `Warning InvalidWeight on the pod (${podEvent instanceof Error ? podEvent.message : ''})`);
  assert.match(podEvent.message, /sluice\.dev\/weight/, 'the pod event names the annotation');
  assert.match(podEvent.message, /abc/, 'the pod event names the value');
  assert.match(podEvent.message, /\b1000\b/, 'the pod event says what is allowed (weights up to 1000)');
  assert.ok(!(svcEvent instanceof Error), `Warning InvalidPodWeight on the Service (${svcEvent instanceof Error ? svcEvent.message : ''})`);
  assert.match(svcEvent.message, /odd/, 'the Service event names the pod');
  assert.equal(sample.failed, 0, 'no request through the LB failed');
  assert.equal(sample.byPod.get('odd') ?? 0, 0, 'the bad pod got no traffic');
  assert.deepEqual([...sample.byPod.keys()].sort(), [...names].sort(), 'all four good pods answer through the LB, and nothing else');
  assert.notEqual(condition(oddNow, 'Ready')?.status, 'True', 'the bad pod is not Ready');
  assert.equal(condition(oddNow, GATE_TYPE)?.reason, 'InvalidWeight', 'the bad pod stays gated with reason InvalidWeight through the scale-up');
  assert.deepEqual([...uids.keys()].filter((u) => !drained.has(u)), [], 'every deleted pod was drained (drain applied logged with its podUid)');
  await job.objects.deleteNamespace(ns);
});

test('two Services on one port: the first keeps the listener, the second gets one Warning and no ingress', { timeout: 120_000 }, async () => {
  const ns = 'port-clash';
  const [port] = await freeLoopbackPorts(1);
  await job.objects.namespace(ns);
  await job.objects.deployment(ns, appDeployment('first', 1, { labels: { app: 'first' } }));
  await job.objects.service(ns, loadBalancerService('first', { port: port!, selector: { app: 'first' } }));
  await job.reads.waitForReadyDeployment(ns, 'first', 1);
  const firstIp = await job.reads.waitForIngressIp(ns, 'first');
  assert.match(await getOnce(firstIp, port!), /^first-/, 'the first Service answers through its LB');

  await job.objects.deployment(ns, appDeployment('second', 1, { labels: { app: 'second' } }));
  await job.objects.service(ns, loadBalancerService('second', { port: port!, selector: { app: 'second' } }));
  const ev = await job.reads.waitForEvent('Service', ns, 'second', 'Warning', 'SyncLoadBalancerFailed').catch((e: Error) => e);
  // Let the controller retry a few times: repeats must fold into the same Event.
  await sleep(6000);
  const warnings = (await job.reads.events('Service', ns, 'second')).filter((e) => e.type === 'Warning' && e.reason === 'SyncLoadBalancerFailed');
  const second = await job.reads.serviceState(ns, 'second');
  const first = await job.reads.serviceState(ns, 'first');
  const sample = await sampleResponders(firstIp, port!, 20);
  say(`\nTwo Services on port ${port}:`);
  say(`  first: ingress ${JSON.stringify(first.ingress)}; 20 GETs: ${JSON.stringify(Object.fromEntries(sample.byPod))}, ${sample.failed} failed`);
  say(`  second: ${ev instanceof Error ? `NO WARNING (${ev.message})` : `Warning ${ev.reason} "${ev.message}"`}`);
  say(`  second: ${warnings.length} Warning event object(s) SyncLoadBalancerFailed, count ${warnings.map((w) => w.count).join(', ')}; ingress ${JSON.stringify(second.ingress)}`);

  assert.ok(!(ev instanceof Error), `Warning SyncLoadBalancerFailed on the second Service (${ev instanceof Error ? ev.message : ''})`);
  assert.ok(ev.message.includes(String(port)), `the Warning names the port ${port}: ${ev.message}`);
  assert.match(ev.message, /in use/i, 'the Warning says the port is in use');
  assert.equal(warnings.length, 1, 'repeats aggregate into a single Warning event (by count)');
  assert.deepEqual(second.ingress.filter((i) => i.ip === firstIp), [], "the second Service has no ingress pointing at the first one's listener");
  assert.ok(first.ingress.some((i) => i.ip === firstIp), 'the first Service keeps its ingress');
  assert.equal(sample.failed, 0);
  assert.ok([...sample.byPod.keys()].every((b) => b.startsWith('first-')), 'the listener still serves only the first Service');
  await job.objects.deleteNamespace(ns);
});
