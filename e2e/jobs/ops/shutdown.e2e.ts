/**
 * e2e/ops shutdown: graceful shutdown of the real controller (`--provider aws` on moto) with
 * leader election on, against the real API server. A loopback proxy between the controller
 * and moto holds `RegisterTargets` calls, so a reconcile is provably in flight when SIGTERM
 * arrives.
 *
 * A: the held call is released after 3 s, well within the shutdown timeout. The reconcile
 *    finishes (the target is registered in moto), no other reconcile starts (a Service
 *    created and a scale-up made after SIGTERM reach no provider write), the Lease is
 *    released, exit code 0.
 * B: `--shutdown-timeout 1` and a call held for 10 s. The reconcile is aborted at the
 *    deadline (its SDK call ends 'aborted' and the proxy sees the client give up before it
 *    ever forwarded the call), the Lease is released, exit code 0.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { CreateTagsCommand, DescribeSubnetsCommand, EC2Client } from '@aws-sdk/client-ec2';
import {
  DescribeLoadBalancersCommand,
  DescribeTagsCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import * as k8s from '@kubernetes/client-node';
import { type AwsTarget, startAwsTarget } from '../../servers/aws/moto.ts';
import { consoleLogger, waitFor } from '@sluice/testbed/harness';
import { type DelayProxy, type ProxiedCall, startDelayProxy } from '@sluice/testbed/ops';
import { type ControllerProcess, type Environment, type LogLine, startControllerProcess, startEnvironment, Workload } from '@sluice/testbed/scenario';

const log = consoleLogger('e2e/jobs/ops/shutdown');
const WRITE = /^(Create|Modify|Register|Deregister|Delete|Add|Remove|Set)/;
const NAMESPACE = 'shop';
const LEASE = { namespace: 'default', name: 'sluice' };

let aws: AwsTarget;
let env: Environment;
let proxy: DelayProxy;
let elb: ElasticLoadBalancingV2Client;
let core: k8s.CoreV1Api;
let workload: Workload;
let controller: ControllerProcess | undefined;

before(async () => {
  aws = await startAwsTarget(log);
  if (aws.real) return;
  env = await startEnvironment(log);
  proxy = await startDelayProxy({ target: aws.endpoint! });
  const config = { region: aws.region, endpoint: aws.endpoint!, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };
  elb = new ElasticLoadBalancingV2Client(config);
  // Subnet discovery for internal NLBs, written to moto directly (not through the proxy).
  const ec2 = new EC2Client(config);
  const subnets = (await ec2.send(new DescribeSubnetsCommand({}))).Subnets ?? [];
  await ec2.send(new CreateTagsCommand({ Resources: subnets.map((s) => s.SubnetId!), Tags: [{ Key: 'kubernetes.io/role/internal-elb', Value: '1' }] }));
  ec2.destroy();
  core = env.kubeConfig.makeApiClient(k8s.CoreV1Api);
  workload = new Workload(env.kubeConfig, { namespace: NAMESPACE, name: 'web', replicas: 1, servicePort: 80, sigterm: 'close', preStopSeconds: 1, terminationGracePeriodSeconds: 3 });
});

after(async () => {
  await controller?.kill();
  elb?.destroy();
  await proxy?.close();
  await env?.stop();
  await aws?.stop();
});

function startController(extra: readonly string[] = []): ControllerProcess {
  return startControllerProcess({
    provider: 'aws',
    kubeconfigPath: env.kubeconfigPath,
    env: { ...aws.env, AWS_ENDPOINT_URL: proxy.endpoint },
    args: ['--aws-endpoint', proxy.endpoint, '--cluster-name', 'e2e', '--log-level', 'debug', '--health-poll-ms', '200', ...extra],
  });
}

async function leaseHolder(): Promise<string> {
  const lease = await env.kubeConfig.makeApiClient(k8s.CoordinationV1Api).readNamespacedLease(LEASE);
  return lease.spec?.holderIdentity ?? '';
}

/** The target group of the NLB Sluice made for NAMESPACE/name, once it exists. */
async function targetGroupOf(name: string): Promise<string | undefined> {
  const lbs = (await elb.send(new DescribeLoadBalancersCommand({}))).LoadBalancers ?? [];
  if (lbs.length === 0) return undefined;
  const tags = (await elb.send(new DescribeTagsCommand({ ResourceArns: lbs.map((l) => l.LoadBalancerArn!) }))).TagDescriptions ?? [];
  const mine = tags.find((d) => {
    const t = Object.fromEntries((d.Tags ?? []).map((x) => [x.Key, x.Value]));
    return t['sluice.dev/service-namespace'] === NAMESPACE && t['sluice.dev/service-name'] === name;
  });
  if (!mine) return undefined;
  return (await elb.send(new DescribeTargetGroupsCommand({ LoadBalancerArn: mine.ResourceArn }))).TargetGroups?.[0]?.TargetGroupArn;
}

async function registeredIps(tgArn: string): Promise<string[]> {
  const health = (await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: tgArn }))).TargetHealthDescriptions ?? [];
  return health.map((h) => h.Target?.Id ?? '').sort();
}

async function podIps(): Promise<string[]> {
  const pods = await core.listNamespacedPod({ namespace: NAMESPACE, labelSelector: 'app=web' });
  return pods.items.map((p) => p.status?.podIP ?? '').sort();
}

/** Waits until the target group of each named Service holds exactly the current pod IPs. */
async function waitForTargets(names: readonly string[], pods: number): Promise<void> {
  for (const name of names) {
    await waitFor(
      `the target group of ${NAMESPACE}/${name} to hold the ${pods} pod IPs`,
      async () => {
        const tg = await targetGroupOf(name);
        const want = await podIps();
        return tg !== undefined && want.length === pods && !want.includes('') && JSON.stringify(await registeredIps(tg)) === JSON.stringify(want);
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );
  }
}

/** Waits until the proxy holds a RegisterTargets that arrived after `afterSeq`; returns it. */
function heldRegisterTargets(afterSeq: number): Promise<ProxiedCall> {
  return waitFor(
    'a RegisterTargets call held by the proxy',
    () => proxy.calls.find((c) => c.seq > afterSeq && c.action === 'RegisterTargets' && c.heldMs > 0 && c.settledAt === undefined),
    { timeoutMs: 60_000, intervalMs: 20 },
  );
}

const line = (c: ControllerProcess, msg: string): LogLine | undefined => c.lines.find((l) => l.msg === msg);
const awsCalls = (c: ControllerProcess, operation: string) => c.lines.filter((l) => l.msg === 'aws call' && l['operation'] === operation);

test('SIGTERM while a RegisterTargets is in flight: it finishes, no new work starts, the Lease is released, exit 0', { timeout: 240_000 }, async (t) => {
  if (aws.real) return t.skip('needs moto behind the delay proxy (SLUICE_E2E_REAL=1 is set)');
  controller = startController();
  await controller.ready();
  await workload.create();
  await workload.waitForRollout(1);
  await waitForTargets(['web'], 1);
  const tg = (await targetGroupOf('web'))!;
  const holder = await leaseHolder();
  assert.notEqual(holder, '', 'the running controller holds the Lease');

  // Scale 1 -> 2 with RegisterTargets held for 3 s: the reconcile of shop/web is in flight.
  proxy.hold('RegisterTargets', 3000);
  const mark = proxy.calls.length;
  await workload.scale(2);
  const inflight = await heldRegisterTargets(mark);
  const newIp = inflight.params.get('Targets.member.1.Id');
  assert.ok(newIp, 'the held call registers a target');
  assert.ok(!(await registeredIps(tg)).includes(newIp), 'the new pod is not registered while the call is held');

  const sigtermAt = performance.now();
  const exited = controller.stop(20_000);
  // Work arriving after SIGTERM, while the reconcile is still held: a new Service (a key
  // not in flight) and a scale-up of the Service whose reconcile is in flight.
  await core.createNamespacedService({
    namespace: NAMESPACE,
    body: { metadata: { name: 'web-b' }, spec: { type: 'LoadBalancer', selector: { app: 'web' }, ports: [{ name: 'http', port: 81, targetPort: 'http', protocol: 'TCP' }] } },
  });
  await workload.scale(3);
  const changesMadeAt = performance.now();
  const code = await exited;
  log.info(`SIGTERM -> exit ${code} in ${Math.round(performance.now() - sigtermAt)} ms (RegisterTargets held 3000 ms)`);

  assert.equal(code, 0, 'exit code 0');
  assert.ok(inflight.settledAt !== undefined && changesMadeAt < inflight.settledAt, 'the changes were made while the reconcile was still in flight');
  const lines = controller.lines;
  const sigterm = lines.findIndex((l) => l.msg === 'received SIGTERM, stopping');
  assert.ok(sigterm >= 0, 'the controller logged the SIGTERM');
  const finishing = line(controller, 'stopping: finishing in-flight reconciles');
  assert.ok(finishing, "logged 'stopping: finishing in-flight reconciles'");
  assert.ok(Number(finishing['inFlight']) >= 1, `inFlight ${String(finishing['inFlight'])} >= 1`);
  assert.equal(line(controller, 'stopping: in-flight reconciles did not finish in time, aborting them'), undefined, 'nothing was aborted');

  // The in-flight call completed: answered 200 and the target is in moto.
  assert.equal(inflight.abandoned, false, 'the held RegisterTargets was not abandoned');
  assert.equal(inflight.status, 200, 'the held RegisterTargets was answered 200');
  const registerLogs = awsCalls(controller, 'RegisterTargets');
  assert.equal(registerLogs.at(-1)?.['outcome'], 'ok', 'the controller saw its RegisterTargets succeed');
  assert.ok(lines.indexOf(registerLogs.at(-1)!) > sigterm, 'after SIGTERM');
  assert.ok((await registeredIps(tg)).includes(newIp), `moto lists ${newIp} in the target group`);

  // Nothing new started: no provider write after the in-flight one, web-b untouched.
  const later = proxy.calls.filter((c) => c.seq > inflight.seq && WRITE.test(c.action)).map((c) => c.action);
  assert.deepEqual(later, [], 'no provider write reached the proxy after the in-flight RegisterTargets');
  assert.equal(await targetGroupOf('web-b'), undefined, 'no load balancer for web-b');
  const webB = await core.readNamespacedService({ name: 'web-b', namespace: NAMESPACE });
  assert.deepEqual(webB.metadata?.finalizers ?? [], [], 'web-b got no finalizer');
  assert.deepEqual(webB.status?.loadBalancer?.ingress ?? [], [], 'web-b got no ingress');
  assert.equal(
    lines.filter((l) => l['service'] === `${NAMESPACE}/web-b` || String(l.msg).startsWith(`reconcile ${NAMESPACE}/web-b`)).length,
    0,
    'no reconcile of web-b was logged',
  );

  // The Lease is handed back.
  const released = lines.findIndex((l) => l.msg === 'leader election: released the lease');
  assert.ok(released > sigterm, "logged 'leader election: released the lease'");
  assert.equal(await leaseHolder(), '', `Lease ${LEASE.namespace}/${LEASE.name} has no holder`);
  proxy.hold('RegisterTargets', 0);
});

test('SIGTERM with --shutdown-timeout 1 while a RegisterTargets is held for 10 s: aborted at the deadline, Lease released, exit 0', { timeout: 240_000 }, async (t) => {
  if (aws.real) return t.skip('needs moto behind the delay proxy (SLUICE_E2E_REAL=1 is set)');
  // The previous test left web at 3 replicas and web-b unreconciled: this controller converges both.
  controller = startController(['--shutdown-timeout', '1']);
  await controller.ready();
  await workload.waitForRollout(3);
  await waitForTargets(['web', 'web-b'], 3);
  assert.notEqual(await leaseHolder(), '', 'the running controller holds the Lease');

  proxy.hold('RegisterTargets', 10_000);
  const mark = proxy.calls.length;
  await workload.scale(4);
  const held = await heldRegisterTargets(mark);

  const sigtermAt = performance.now();
  const code = await controller.stop(20_000);
  log.info(`SIGTERM -> exit ${code} in ${Math.round(performance.now() - sigtermAt)} ms (RegisterTargets held 10000 ms, --shutdown-timeout 1)`);

  assert.equal(code, 0, 'exit code 0');
  const lines = controller.lines;
  const sigterm = lines.findIndex((l) => l.msg === 'received SIGTERM, stopping');
  assert.ok(sigterm >= 0, 'the controller logged the SIGTERM');
  const finishing = line(controller, 'stopping: finishing in-flight reconciles');
  assert.ok(finishing && Number(finishing['inFlight']) >= 1, "logged 'stopping: finishing in-flight reconciles' with inFlight >= 1");
  const aborting = lines.findIndex((l) => l.msg === 'stopping: in-flight reconciles did not finish in time, aborting them');
  assert.ok(aborting > sigterm, "logged 'did not finish in time, aborting them'");
  assert.equal(lines[aborting]!['timeoutMs'], 1000);

  // The held call was given up by the controller before the proxy forwarded it, i.e. long
  // before its 10 s were over; the SDK call ended 'aborted' (by the signal, not by the exit).
  assert.equal(held.abandoned, true, 'the controller gave up the held RegisterTargets');
  assert.equal(held.status, undefined, 'it never reached moto');
  const aborted = awsCalls(controller, 'RegisterTargets').filter((l) => l['outcome'] === 'aborted');
  assert.ok(aborted.length >= 1, "the controller logged its RegisterTargets as 'aborted'");
  assert.ok(lines.indexOf(aborted[0]!) > aborting, 'after the deadline');
  assert.deepEqual(
    proxy.calls.filter((c) => c.seq >= held.seq && c.status !== undefined && WRITE.test(c.action)).map((c) => c.action),
    [],
    'no provider write reached moto after the held call',
  );

  const released = lines.findIndex((l) => l.msg === 'leader election: released the lease');
  assert.ok(released > aborting, "logged 'leader election: released the lease' after the abort");
  assert.equal(await leaseHolder(), '', `Lease ${LEASE.namespace}/${LEASE.name} has no holder`);
  proxy.hold('RegisterTargets', 0);
});
