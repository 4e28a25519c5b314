/**
 * e2e/local: pods that carry Sluice's readiness gate but that no Sluice load balancer serves.
 *
 * Two Deployments, both gated: `plain` is selected only by a ClusterIP Service, `foreign` only
 * by a LoadBalancer Service of another class (`example.com/other`). Within a few seconds every
 * pod has the gate condition False with reason `NoLoadBalancer` (a message naming the way out)
 * and one Warning event `NoLoadBalancer`, and it is not Ready. Then a Service of Sluice's class
 * is created for each Deployment: its reconcile takes the gate over, the pods pass it (True,
 * `LBHealthy`) once the load balancer reports them healthy, become Ready, and answer through
 * the load balancer. The timings are printed.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type * as k8s from '@kubernetes/client-node';
import { consoleLogger, freeLoopbackPorts, sleep, waitFor } from '@sluice/testbed/harness';
import { appDeployment, clusterJob, condition, describeGateHistory, GATE_TYPE, GateRecorder, loadBalancerService, sampleResponders, } from '@sluice/testbed/scenario';

const SLUICE_CLASS = 'sluice.dev/load-balancer';
const OTHER_CLASS = 'example.com/other';
const NO_LB = 'NoLoadBalancer';
const NS = 'gate-without-lb';
/** How soon after a pod's containers are ready its gate must say NoLoadBalancer. */
const PROMPT_MS = 5000;

const log = consoleLogger('e2e/gate-without-lb');
const say = (line: string) => process.stdout.write(`${line}\n`);
const job = clusterJob(log);

interface Group {
  /** Deployment name and `app` label. */
  readonly app: string;
  /** The Service that selects the pods before Sluice's does. */
  readonly first: k8s.V1Service;
  readonly what: string;
}

function clusterIpService(name: string, app: string): k8s.V1Service {
  return { metadata: { name }, spec: { type: 'ClusterIP', selector: { app }, ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }] } };
}

function classedService(name: string, app: string, port: number, loadBalancerClass: string): k8s.V1Service {
  const body = loadBalancerService(name, { port, selector: { app } });
  body.spec!.loadBalancerClass = loadBalancerClass;
  return body;
}

const ms = (from: number, to: number | undefined) => (to === undefined ? 'never' : `${Math.round(to - from)} ms`);

test('a gated pod no Sluice Service selects says NoLoadBalancer; a Sluice Service then takes the gate over', { timeout: 90_000 }, async () => {
  const [foreignPort, plainLbPort, foreignLbPort] = await freeLoopbackPorts(3);
  const groups: Group[] = [
    { app: 'plain', first: clusterIpService('plain', 'plain'), what: 'selected only by a ClusterIP Service' },
    { app: 'foreign', first: classedService('foreign', 'foreign', foreignPort!, OTHER_CLASS), what: `selected only by a LoadBalancer Service of class ${OTHER_CLASS}` },
  ];
  await job.objects.namespace(NS);
  const gates = await GateRecorder.start(job.env.kubeConfig, NS, GATE_TYPE);
  const ready = await GateRecorder.start(job.env.kubeConfig, NS, 'Ready');
  const containers = await GateRecorder.start(job.env.kubeConfig, NS, 'ContainersReady');
  try {
    for (const g of groups) await job.objects.service(NS, g.first);
    const created = Date.now();
    for (const g of groups) await job.objects.deployment(NS, appDeployment(g.app, 2, { labels: { app: g.app } }));

    // Phase 1: nobody serves the pods.
    const pods = new Map<string, k8s.V1Pod[]>();
    for (const g of groups) {
      pods.set(g.app, await waitFor(`2 pods of ${g.app}`, async () => ((await job.reads.deploymentPods(NS, g.app)).length === 2 ? job.reads.deploymentPods(NS, g.app) : undefined), { timeoutMs: 20_000, intervalMs: 200 }));
    }
    const all = [...pods.entries()].flatMap(([app, list]) => list.map((pod) => ({ app, name: pod.metadata!.name!, uid: pod.metadata!.uid! })));
    for (const p of all) await gates.waitFor(p.uid, `${p.name}'s gate to be False ${NO_LB}`, (v) => v.status === 'False' && v.reason === NO_LB, 20_000);
    const events = new Map<string, { message: string }>();
    for (const p of all) events.set(p.uid, await job.reads.waitForEvent('Pod', NS, p.name, 'Warning', NO_LB, 10_000));
    for (const p of all) await containers.waitFor(p.uid, `${p.name}'s containers to be ready`, (v) => v.status === 'True', 20_000);
    // Long enough for the kubelet to have written Ready more than once since.
    await sleep(2000);
    const phase1 = await Promise.all(
      all.map(async (p) => {
        const pod = await job.reads.pod(NS, p.name);
        const noLbEvents = (await job.reads.events('Pod', NS, p.name)).filter((e) => e.reason === NO_LB);
        return { ...p, gate: condition(pod, GATE_TYPE), ready: condition(pod, 'Ready'), containersReady: condition(pod, 'ContainersReady'), noLbEvents };
      }),
    );

    // Phase 2: a Service of Sluice's class for each Deployment.
    const lbCreated = Date.now();
    await job.objects.service(NS, classedService('plain-lb', 'plain', plainLbPort!, SLUICE_CLASS));
    await job.objects.service(NS, classedService('foreign-lb', 'foreign', foreignLbPort!, SLUICE_CLASS));
    for (const g of groups) await job.reads.waitForReadyDeployment(NS, g.app, 2, 30_000);
    const answers = new Map<string, Awaited<ReturnType<typeof sampleResponders>>>();
    for (const [service, app] of [
      ['plain-lb', 'plain'],
      ['foreign-lb', 'foreign'],
    ] as const) {
      const ip = await job.reads.waitForIngressIp(NS, service);
      const port = (await job.reads.service(NS, service)).spec!.ports![0]!.port;
      answers.set(app, await sampleResponders(ip, port, 10));
    }
    const ingressDone = Date.now();

    say(`\ngated pods without a Sluice load balancer (Deployments created at t=0; Sluice Services created at t=${lbCreated - created} ms):`);
    for (const p of phase1) {
      const containersReadyAt = containers.history(p.uid).find((v) => v.status === 'True')?.seenAt;
      const noLbAt = gates.history(p.uid).find((v) => v.reason === NO_LB)?.seenAt;
      const history = gates.history(p.uid);
      const registeringAt = history.find((v) => v.reason === 'LBRegistering')?.seenAt;
      const trueAt = history.find((v) => v.status === 'True')?.seenAt;
      const readyAt = ready.history(p.uid).find((v) => v.status === 'True')?.seenAt;
      say(`  ${p.app}/${p.name}:`);
      say(`    containers ready ${ms(created, containersReadyAt)}; gate False ${NO_LB} ${ms(created, noLbAt)}; Warning events ${NO_LB}: ${p.noLbEvents.length} (count ${p.noLbEvents.map((e) => e.count).join(',')}); Ready ${p.ready?.status ?? 'unset'} (${p.ready?.reason ?? ''})`);
      say(`    after the Sluice Service: LBRegistering +${ms(lbCreated, registeringAt)}, True LBHealthy +${ms(lbCreated, trueAt)}, Ready +${ms(lbCreated, readyAt)}`);
      say(`    gate history: ${history.map((v) => `${v.status} ${v.reason}`).join(' -> ')}`);
    }
    say(`  message: ${JSON.stringify(events.values().next().value?.message)}`);
    for (const [app, r] of answers) say(`  through ${app}'s load balancer: ${10 - r.failed}/10 answered ${JSON.stringify([...r.byPod])}`);
    say(`  total ${ingressDone - created} ms`);

    for (const p of phase1) {
      const where = `${p.app}/${p.name}`;
      assert.equal(p.gate?.status, 'False', `${where}: the gate is False while no Sluice Service selects the pod`);
      assert.equal(p.gate?.reason, NO_LB, `${where}: reason ${NO_LB}`);
      assert.match(p.gate?.message ?? '', new RegExp(`${SLUICE_CLASS.replaceAll('.', '\\.')}.*${GATE_TYPE.replaceAll('.', '\\.')}`), `${where}: the message names Sluice's class and the gate to remove`);
      assert.equal(p.containersReady?.status, 'True', `${where}: the containers are ready, so only the gate holds the pod back`);
      assert.equal(p.ready?.status, 'False', `${where}: the pod is not Ready`);
      assert.equal(p.noLbEvents.length, 1, `${where}: one Warning event ${NO_LB}`);
      assert.equal(p.noLbEvents[0]?.count, 1, `${where}: reported once, not repeated`);
      const containersReadyAt = containers.history(p.uid).find((v) => v.status === 'True')?.seenAt;
      const noLbAt = gates.history(p.uid).find((v) => v.reason === NO_LB)?.seenAt;
      assert.ok(containersReadyAt !== undefined && noLbAt !== undefined && noLbAt - containersReadyAt <= PROMPT_MS, `${where}: ${NO_LB} within ${PROMPT_MS} ms of the containers being ready`);

      const history = gates.history(p.uid);
      const final = gates.current(p.uid);
      assert.equal(final?.status, 'True', `${where}: the gate passed: ${describeGateHistory(history)}`);
      assert.equal(final?.reason, 'LBHealthy', `${where}: reason LBHealthy`);
      assert.ok(
        history.findIndex((v) => v.reason === NO_LB) < history.findIndex((v) => v.status === 'True'),
        `${where}: ${NO_LB} came before True: ${describeGateHistory(history)}`,
      );
      assert.equal(ready.current(p.uid)?.status, 'True', `${where}: the pod became Ready`);
    }
    for (const [app, r] of answers) {
      const names = new Set(phase1.filter((p) => p.app === app).map((p) => p.name));
      assert.equal(r.failed, 0, `every request through ${app}'s load balancer is answered`);
      assert.ok([...r.byPod.keys()].every((name) => names.has(name)), `${app}'s pods answer: ${JSON.stringify([...r.byPod])}`);
    }
  } finally {
    await Promise.all([gates.stop(), ready.stop(), containers.stop()]);
  }
});
