/**
 * e2e/local: which Services Sluice takes, by `spec.loadBalancerClass`.
 *
 * (a) Without `--handle-unclassed` (the default, since on a cloud the cloud's own controller
 *     takes unclassed Services): an unclassed LoadBalancer Service with Ready pods is left
 *     alone (no finalizer, no sluice.dev/* annotation, no status, no event, and
 *     `sluice_provider_calls_total{operation="ensureLoadBalancer"}` stays 0), a Service of
 *     class `sluice.dev/load-balancer` gets its load balancer and answers through it, and a
 *     Service of another class is left alone.
 * (b) The controller restarted with `--handle-unclassed`: the unclassed Service now gets its
 *     load balancer and answers; the other class is still left alone.
 * All three Services select the same pods (no readiness gate, so they are Ready on their own).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type * as k8s from '@kubernetes/client-node';
import { consoleLogger, freeLoopbackPorts, sleep, waitFor } from '@sluice/testbed/harness';
import { appDeployment, AppObjects, ClusterReads, type ControllerProcess, describeMarks, type Environment, formatCounts, isUntouched, loadBalancerService, sampleResponders, SLUICE_FINALIZER, sluiceMarks, startControllerProcess, startEnvironment, sumSamples, writeCounts } from '@sluice/testbed/scenario';

const SLUICE_CLASS = 'sluice.dev/load-balancer';
const OTHER_CLASS = 'example.com/other';
const FAST = ['--health-poll-ms', '100', '--local-health-interval-ms', '200'];
/** How long a wrong controller gets to act on a Service it should leave alone. */
const GRACE_MS = 3000;
const NS = 'classes';
const LABELS = { app: 'web' };

const log = consoleLogger('e2e/classes');
const say = (line: string) => process.stdout.write(`${line}\n`);
let env: Environment;
let objects: AppObjects;
let reads: ClusterReads;
let controller: ControllerProcess | undefined;
let engine: ControllerProcess['dataplane'];

before(async () => {
  env = await startEnvironment(log);
  objects = new AppObjects(env.kubeConfig);
  reads = new ClusterReads(env.kubeConfig);
});
after(async () => {
  await controller?.stop();
  await (engine ?? controller?.dataplane)?.stop();
  await env?.stop();
});

function classed(name: string, port: number, loadBalancerClass: string | undefined): k8s.V1Service {
  const body = loadBalancerService(name, { port, selector: LABELS });
  if (loadBalancerClass !== undefined) body.spec!.loadBalancerClass = loadBalancerClass;
  return body;
}

/** Waits for the Service's ingress, then sends `n` GETs through it; every one must be answered by a pod. */
async function answersThroughLb(name: string, n = 10): Promise<string> {
  const ip = await reads.waitForIngressIp(NS, name, 20_000);
  const port = (await reads.service(NS, name)).spec!.ports![0]!.port;
  // The LB may exist before its first health check passed: wait for a first answer.
  await waitFor(`an answer through ${name}'s load balancer`, () => sampleResponders(ip, port, 1).then((r) => r.failed === 0), { timeoutMs: 10_000, intervalMs: 200 });
  const { byPod, failed } = await sampleResponders(ip, port, n);
  assert.equal(failed, 0, `every request through ${name}'s load balancer (${ip}:${port}) is answered`);
  assert.ok([...byPod.keys()].every((pod) => pod.startsWith('web-')), `the pods answer through ${name}: ${JSON.stringify([...byPod])}`);
  return `${ip}:${port} answered ${n}/${n} (${[...byPod].map(([pod, c]) => `${pod} ${c}`).join(', ')})`;
}

test('loadBalancerClass: only Sluice class by default; unclassed with --handle-unclassed; another class never', { timeout: 90_000 }, async () => {
  const started = performance.now();
  const [unclassedPort, sluicePort, otherPort] = await freeLoopbackPorts(3);
  await objects.namespace(NS);
  await objects.deployment(NS, appDeployment('web', 2, { labels: LABELS, gate: false }));
  await reads.waitForReadyDeployment(NS, 'web', 2);

  // (a) Sluice's class only.
  controller = startControllerProcess({ kubeconfigPath: env.kubeconfigPath, handleUnclassed: false, args: FAST });
  await controller.ready();
  await objects.service(NS, classed('unclassed', unclassedPort!, undefined));
  await objects.service(NS, classed('other', otherPort!, OTHER_CLASS));
  await sleep(GRACE_MS);
  const beforeSluice = await writeCounts(controller);
  const callsBeforeSluice = sumSamples((await controller.get('/metrics')).body, 'sluice_provider_calls_total');
  const unclassedA = await sluiceMarks(objects.core, NS, 'unclassed');
  const otherA = await sluiceMarks(objects.core, NS, 'other');

  await objects.service(NS, classed('sluice', sluicePort!, SLUICE_CLASS));
  const sluiceAnswers = await answersThroughLb('sluice');
  const sluiceA = await sluiceMarks(objects.core, NS, 'sluice');
  await sleep(1000);
  const unclassedA2 = await sluiceMarks(objects.core, NS, 'unclassed');
  const otherA2 = await sluiceMarks(objects.core, NS, 'other');
  const afterSluice = await writeCounts(controller);

  say('\n(a) controller without --handle-unclassed:');
  say(`  unclassed, ${GRACE_MS} ms after creation: ${describeMarks(unclassedA)}`);
  say(`  ${OTHER_CLASS}, ${GRACE_MS} ms after creation: ${describeMarks(otherA)}`);
  say(`  provider calls before the Sluice-class Service existed: ${formatCounts(beforeSluice)}; every operation ${callsBeforeSluice}`);
  say(`  ${SLUICE_CLASS}: finalizer ${sluiceA.finalizers.includes(SLUICE_FINALIZER)}, ingress ${JSON.stringify(sluiceA.ingress)}; ${sluiceAnswers}`);
  say(`  after it was served: unclassed ${describeMarks(unclassedA2)}; ${OTHER_CLASS} ${describeMarks(otherA2)}`);
  say(`  provider calls after: ${formatCounts(afterSluice)}`);

  assert.equal(beforeSluice.ensure, 0, 'no ensureLoadBalancer call while only the unclassed and other-class Services existed');
  assert.equal(callsBeforeSluice, 0, 'no provider call of any operation for them');
  for (const [what, marks] of [
    ['unclassed', unclassedA],
    ['unclassed (later)', unclassedA2],
    [OTHER_CLASS, otherA],
    [`${OTHER_CLASS} (later)`, otherA2],
  ] as const) {
    assert.ok(isUntouched(marks), `${what} is left alone: ${describeMarks(marks)}`);
  }
  assert.ok(sluiceA.finalizers.includes(SLUICE_FINALIZER), 'the Sluice-class Service has the finalizer');
  assert.ok(afterSluice.ensure >= 1, 'the Sluice-class Service was ensured: the counter could see a call');

  // (b) The same Services, the controller restarted with --handle-unclassed.
  // The second controller adopts the load balancers the first one's data plane serves.
  engine = controller.dataplane;
  const stopCode = await controller.stop();
  controller = startControllerProcess({ kubeconfigPath: env.kubeconfigPath, args: [...FAST, ...(engine ? ['--local-dataplane-socket', engine.socketPath] : [])] });
  await controller.ready();
  const unclassedAnswers = await answersThroughLb('unclassed');
  const ensuredEvent = await reads.waitForEvent('Service', NS, 'unclassed', 'Normal', 'EnsuredLoadBalancer', 10_000);
  const sluiceAgain = await answersThroughLb('sluice');
  await sleep(1000);
  const unclassedB = await sluiceMarks(objects.core, NS, 'unclassed');
  const otherB = await sluiceMarks(objects.core, NS, 'other');
  const countsB = await writeCounts(controller);

  say('\n(b) controller restarted with --handle-unclassed:');
  say(`  first controller exited with ${stopCode}`);
  say(`  unclassed: finalizer ${unclassedB.finalizers.includes(SLUICE_FINALIZER)}, ingress ${JSON.stringify(unclassedB.ingress)}, event ${ensuredEvent.type} ${ensuredEvent.reason}; ${unclassedAnswers}`);
  say(`  ${SLUICE_CLASS} still served: ${sluiceAgain}`);
  say(`  ${OTHER_CLASS}: ${describeMarks(otherB)}`);
  say(`  provider calls: ${formatCounts(countsB)}`);
  say(`  total ${Math.round(performance.now() - started)} ms`);

  assert.ok(unclassedB.finalizers.includes(SLUICE_FINALIZER), 'the unclassed Service now has the finalizer');
  assert.ok(unclassedB.events.some((e) => e.startsWith('Normal EnsuredLoadBalancer')), `Sluice reported the event: ${JSON.stringify(unclassedB.events)}`);
  assert.ok(isUntouched(otherB), `${OTHER_CLASS} is still left alone: ${describeMarks(otherB)}`);
});
