/**
 * e2e/aws at scale: 50 Services (one pod each) rolling at once through the AWS twin, whose
 * front throttles ELBv2 and EC2 with their documented default buckets ("Request throttling for
 * the Elastic Load Balancing API", "Request throttling for the Amazon EC2 API"). The real
 * controller must absorb the throttling (its client rate limits, the SDK's retries): no
 * Throttling or RequestLimitExceeded error reaches a Kubernetes event, and the
 * health reads stay within the budget of at most 5 AWS reads per replaced pod. Prints the
 * table of what the rolling update cost, counted where AWS would count it (the front).
 *
 * One bucket is widened: the resource-intensive one (CreateLoadBalancer, SetSubnets: 10, then
 * one every 5 s), which only creating the 50 NLBs uses and the rolling update never does, so
 * that setting them up takes seconds instead of 200. Every bucket the rolling update takes
 * from is the documented one.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { consoleLogger } from '@sluice/testbed/harness';
import { type ControllerProcess, type Environment, startControllerProcess, startEnvironment, type TimingProfile, Workload } from '@sluice/testbed/scenario';
import { AWS_READ_ACTION } from '../../servers/aws/call-budget.ts';
import { bucket } from '../../servers/kit/limits.ts';
import { awsProviderUnderTest, CONTROLLER_ACCESS_KEY } from '../../servers/aws/provider-under-test.ts';
import type { AwsTwin } from '../../servers/aws/twin.ts';

const SERVICES = 50;
const MAX_READS_PER_REPLACED_POD = 5;
/** NLB's shortest health check (5 s x 2) and a 5 s deregistration delay, at x0.1. */
const PROFILE: TimingProfile = {
  name: 'aws-nlb-fast',
  source: "ELB user guide: target group health checks (the shortest interval NLB allows, thresholds 2) and deregistration delay",
  healthIntervalMs: 5_000,
  healthTimeoutMs: 2_000,
  healthyThreshold: 2,
  unhealthyThreshold: 2,
  registrationLatencyMs: 0,
  drain: { kind: 'deregister', delayMs: 5_000, terminateOnExpiry: false },
  timeScale: 0.1,
};
const log = consoleLogger('e2e/aws-many');
let env: Environment;
let twin: AwsTwin | undefined;
let stopBackend: (() => Promise<void>) | undefined;
let controller: ControllerProcess | undefined;

before(async () => {
  env = await startEnvironment(log);
});
after(async () => {
  await controller?.stop();
  await stopBackend?.();
  await env?.stop();
});

test(`${SERVICES} Services rolling at once against ELB's documented rate limits: no Throttling reaches an event, reads per replaced pod stay within budget`, { timeout: 900_000 }, async () => {
  const twinOptions = { rateLimits: { limits: { resourceIntensive: bucket(SERVICES, 10) } } };
  const backend = await awsProviderUnderTest({ clusterName: 'many', twin: twinOptions, onTwin: (t) => (twin = t) }).start(env, PROFILE);
  stopBackend = () => backend.stop();
  assert.ok(twin?.front.rateLimits, 'the front throttles with the documented buckets');
  controller = startControllerProcess({ provider: 'aws', kubeconfigPath: env.kubeconfigPath, env: backend.controllerEnv ?? {}, args: [...backend.controllerArgs, '--resync-period', '300'] });
  await controller.ready();

  const workloads = Array.from(
    { length: SERVICES },
    (_, i) =>
      new Workload(env.kubeConfig, {
        namespace: `many-${i}`,
        name: 'web',
        replicas: 1,
        servicePort: 80,
        sigterm: 'close',
        preStopSeconds: 1,
        terminationGracePeriodSeconds: 3,
        serviceAnnotations: backend.serviceAnnotations ?? {},
      }),
  );
  let started = performance.now();
  await Promise.all(workloads.map((w) => w.create()));
  await Promise.all(workloads.map((w) => w.waitForRollout(1, 600_000)));
  const createSeconds = (performance.now() - started) / 1000;
  log.info(`${SERVICES} Services serving in ${createSeconds.toFixed(1)} s`);

  const front = twin!.front;
  const mine = () => front.requests.entries().filter((r) => r.accessKeyId === CONTROLLER_ACCESS_KEY);
  const from = mine().length;
  const core = env.kubeConfig.makeApiClient(k8s.CoreV1Api);
  const throttlingWarnings = async () => (await core.listEventForAllNamespaces({})).items.filter((e) => e.type === 'Warning' && /Throttl|Rate exceeded|RequestLimitExceeded|Request limit exceeded/i.test(e.message ?? ''));
  // Throttling while creating the 50 NLBs (not the claim here) is counted and reported.
  const creationWarnings = await throttlingWarnings();
  const before = new Set(creationWarnings.map((e) => `${e.metadata?.uid}/${e.count ?? 1}`));
  started = performance.now();
  await Promise.all(workloads.map((w) => w.restart('many-1')));
  await Promise.all(workloads.map((w) => w.waitForRollout(1, 600_000)));
  const rolloutSeconds = (performance.now() - started) / 1000;
  const calls = mine().slice(from);
  const elb = calls.filter((r) => r.service === 'elasticloadbalancing');
  const reads = calls.filter((r) => AWS_READ_ACTION.test(r.operation));
  const throttled = elb.filter((r) => r.fault === 'rate-limited').length;
  const ec2Throttled = calls.filter((r) => r.service === 'ec2' && r.fault === 'rate-limited').length;
  const byAction: Record<string, number> = {};
  for (const r of calls) byAction[r.operation] = (byAction[r.operation] ?? 0) + 1;

  const warnings = (await throttlingWarnings()).filter((e) => !before.has(`${e.metadata?.uid}/${e.count ?? 1}`));

  const perPod = reads.length / SERVICES;
  const rows = [
    ['Services rolled at once / pods replaced', `${SERVICES} / ${SERVICES}`],
    ['rolling update, wall time', `${rolloutSeconds.toFixed(1)} s (creating them took ${createSeconds.toFixed(1)} s)`],
    ['controller AWS requests (front)', `${calls.length}: ${reads.length} reads, ${calls.length - reads.length} writes`],
    ['ELBv2 answers Throttling', String(throttled)],
    ['EC2 answers RequestLimitExceeded', String(ec2Throttled)],
    ['reads per replaced pod', `${perPod.toFixed(2)} (at most ${MAX_READS_PER_REPLACED_POD})`],
    ['Warning events naming throttling, rolling update', String(warnings.length)],
    ['(creating the NLBs: Warning events naming throttling)', String(creationWarnings.length)],
    ['requests by action', JSON.stringify(byAction)],
  ];
  process.stdout.write(`\n${rows.map(([a = '', b = '']) => `${a.padEnd(48)} ${b}`).join('\n')}\n\n`);

  assert.deepEqual(
    warnings.map((e) => e.message),
    [],
    'no Throttling error reached an event',
  );
  assert.ok(perPod <= MAX_READS_PER_REPLACED_POD, `a replaced pod cost ${perPod.toFixed(2)} AWS reads, more than ${MAX_READS_PER_REPLACED_POD}: ${JSON.stringify(byAction)}`);
  assert.ok(elb.some((r) => r.operation === 'RegisterTargets') && elb.some((r) => r.operation === 'DeregisterTargets'), 'the rolling update registered and deregistered through the front');

  await Promise.all(workloads.map((w) => w.delete(300_000)));
});
