/**
 * e2e/aws: the real controller with `--provider aws` and the real AWS SDK, against moto's
 * server (or a real account with SLUICE_E2E_REAL=1), the real API server and the kubelet
 * simulator. Checks with the SDK that the NLB, target groups, listeners and tags exist, that
 * registered targets follow the pods through scale up, a rolling update and scale down, that
 * an idle resync writes nothing, that bad annotations create nothing, and that deleting the
 * Service removes exactly what Sluice created (a foreign NLB seeded first survives).
 * moto reports targets healthy at once and deregisters instantly: health transitions and
 * draining are covered by the provider's unit tests against recorded responses.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, test } from 'node:test';
import { CreateTagsCommand, DescribeSubnetsCommand, EC2Client } from '@aws-sdk/client-ec2';
import {
  CreateLoadBalancerCommand,
  CreateTargetGroupCommand,
  DeleteLoadBalancerCommand,
  DeleteTargetGroupCommand,
  DescribeListenersCommand,
  DescribeLoadBalancersCommand,
  DescribeTagsCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import * as k8s from '@kubernetes/client-node';
import { awsCallBudget, type CallBudget } from '../../servers/aws/call-budget.ts';
import { type AwsTarget, startAwsTarget } from '../../servers/aws/moto.ts';
import { consoleLogger } from '@sluice/testbed/harness';
import { type ControllerProcess, type Environment, startControllerProcess, startEnvironment, Workload } from '@sluice/testbed/scenario';

const log = consoleLogger('e2e/aws');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const WRITE = /^(Create|Modify|Register|Deregister|Delete|Add|Remove|Set)/;
/** The controller signs with its own access key, so moto's recorder tells its requests from this test's. */
const CONTROLLER_KEY = 'AKIDSLUICECONTROLLER';
/** Most provider reads a replaced pod may cost in the rolling update (the health-read budget). */
const MAX_READS_PER_REPLACED_POD = 5;
/** The target groups' health-check interval, and so the controller's health poll. */
const HEALTHCHECK_INTERVAL_SECONDS = 5;
let aws: AwsTarget;
let env: Environment;
let elb: ElasticLoadBalancingV2Client;
let ec2: EC2Client;
let controller: ControllerProcess | undefined;
const seeded: { lbArn?: string; tgArn?: string } = {};

before(async () => {
  aws = await startAwsTarget(log);
  env = await startEnvironment(log);
  const config = {
    region: aws.region,
    ...(aws.endpoint ? { endpoint: aws.endpoint, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } } : {}),
  };
  elb = new ElasticLoadBalancingV2Client(config);
  ec2 = new EC2Client(config);
});

after(async () => {
  await controller?.stop();
  if (aws?.real) {
    // Leave nothing behind in a real account.
    if (seeded.lbArn) await elb.send(new DeleteLoadBalancerCommand({ LoadBalancerArn: seeded.lbArn })).catch(() => {});
    if (seeded.tgArn) await elb.send(new DeleteTargetGroupCommand({ TargetGroupArn: seeded.tgArn })).catch(() => {});
  }
  await env?.stop();
  await aws?.stop();
});

/** AWS calls the controller logged, by operation, since log line `from`. */
function calls(c: ControllerProcess, from: number): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const l of c.lines.slice(from)) {
    if (l.msg !== 'aws call') continue;
    const op = String(l['operation']);
    counts[op] = (counts[op] ?? 0) + 1;
  }
  return counts;
}
const writes = (counts: Record<string, number>) => Object.entries(counts).filter(([op]) => WRITE.test(op)).reduce((n, [, v]) => n + v, 0);

async function sluiceLoadBalancers(namespace: string, name: string) {
  const all = (await elb.send(new DescribeLoadBalancersCommand({}))).LoadBalancers ?? [];
  if (all.length === 0) return [];
  const tags = (await elb.send(new DescribeTagsCommand({ ResourceArns: all.map((l) => l.LoadBalancerArn!) }))).TagDescriptions ?? [];
  return all.filter((lb) => {
    const t = Object.fromEntries((tags.find((d) => d.ResourceArn === lb.LoadBalancerArn)?.Tags ?? []).map((x) => [x.Key, x.Value]));
    return t['sluice.dev/service-namespace'] === namespace && t['sluice.dev/service-name'] === name && t['sluice.dev/cluster'] === 'e2e';
  });
}

/** ip:port of the pods that should be registered: containers ready and not terminating. */
async function wantedTargets(namespace: string): Promise<string[]> {
  const core = env.kubeConfig.makeApiClient(k8s.CoreV1Api);
  const pods = await core.listNamespacedPod({ namespace });
  return pods.items
    .filter((p) => !p.metadata?.deletionTimestamp && p.status?.podIP && p.status.conditions?.some((c) => c.type === 'ContainersReady' && c.status === 'True'))
    .map((p) => `${p.status!.podIP}:8080`)
    .sort();
}

async function registeredTargets(tgArn: string): Promise<string[]> {
  const health = (await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: tgArn }))).TargetHealthDescriptions ?? [];
  return health
    .filter((h) => h.TargetHealth?.State !== 'draining')
    .map((h) => `${h.Target?.Id}:${h.Target?.Port}`)
    .sort();
}

async function waitForTargetsToFollowPods(namespace: string, tgArn: string, expectCount: number): Promise<string[]> {
  const deadline = performance.now() + 90_000;
  for (;;) {
    const [want, have] = [await wantedTargets(namespace), await registeredTargets(tgArn)];
    if (want.length === expectCount && JSON.stringify(want) === JSON.stringify(have)) return have;
    if (performance.now() > deadline) assert.fail(`targets ${JSON.stringify(have)} never matched pods ${JSON.stringify(want)}`);
    await sleep(300);
  }
}

async function serviceEvents(namespace: string, name: string): Promise<k8s.CoreV1Event[]> {
  const core = env.kubeConfig.makeApiClient(k8s.CoreV1Api);
  const events = await core.listNamespacedEvent({ namespace, fieldSelector: `involvedObject.name=${name}` });
  return events.items;
}

test('the NLB, target groups and listeners follow the pods; bad input creates nothing; delete removes only what Sluice made', { timeout: 900_000 }, async () => {
  // Seed: subnets tagged for internal load balancers (discovery), and a foreign NLB that must survive.
  const subnets = (await ec2.send(new DescribeSubnetsCommand({}))).Subnets ?? [];
  assert.ok(subnets.length > 0, 'the account/emulator has subnets');
  if (!aws.real) {
    await ec2.send(new CreateTagsCommand({ Resources: subnets.map((s) => s.SubnetId!), Tags: [{ Key: 'kubernetes.io/role/internal-elb', Value: '1' }] }));
  }
  const foreign = await elb.send(
    new CreateLoadBalancerCommand({ Name: 'foreign-nlb', Type: 'network', Scheme: 'internal', Subnets: [subnets[0]!.SubnetId!], Tags: [{ Key: 'owner', Value: 'someone-else' }] }),
  );
  seeded.lbArn = foreign.LoadBalancers?.[0]?.LoadBalancerArn;
  const foreignTg = await elb.send(new CreateTargetGroupCommand({ Name: 'foreign-tg', Protocol: 'TCP', Port: 80, VpcId: subnets[0]!.VpcId!, TargetType: 'ip' }));
  seeded.tgArn = foreignTg.TargetGroups?.[0]?.TargetGroupArn;

  controller = startControllerProcess({
    provider: 'aws',
    kubeconfigPath: env.kubeconfigPath,
    // No --health-poll-ms: health is read at the target groups' own interval, here NLB's minimum
    // (5 s) instead of its 30 s default, so a CI run is not spent waiting.
    env: { ...aws.env, ...(aws.real ? {} : { AWS_ACCESS_KEY_ID: CONTROLLER_KEY }), SLUICE_AWS_HEALTHCHECK_INTERVAL: String(HEALTHCHECK_INTERVAL_SECONDS) },
    args: ['--cluster-name', 'e2e', '--log-level', 'debug', '--resync-period', '10'],
  });
  await controller.ready();
  const report: string[][] = [];
  const checked: string[] = [];

  // Create: 2 replicas.
  let mark = controller.lines.length;
  const w = new Workload(env.kubeConfig, { namespace: 'shop', name: 'web', replicas: 2, servicePort: 80, sigterm: 'close', preStopSeconds: 1, terminationGracePeriodSeconds: 3 });
  await w.create();
  await w.waitForRollout(2);
  const [lb] = await sluiceLoadBalancers('shop', 'web');
  assert.ok(lb, 'an NLB tagged for shop/web exists');
  assert.equal(lb.Type, 'network');
  assert.equal(lb.Scheme, 'internal');
  assert.ok((lb.LoadBalancerName ?? '').length <= 32);
  const core = env.kubeConfig.makeApiClient(k8s.CoreV1Api);
  const svc = await core.readNamespacedService({ name: 'web', namespace: 'shop' });
  assert.equal(svc.status?.loadBalancer?.ingress?.[0]?.hostname, lb.DNSName, 'Service status carries the NLB DNS name');
  const tgs = (await elb.send(new DescribeTargetGroupsCommand({ LoadBalancerArn: lb.LoadBalancerArn }))).TargetGroups ?? [];
  assert.equal(tgs.length, 1, 'one target group per Service port');
  const tg = tgs[0]!;
  assert.equal(tg.TargetType, 'ip');
  assert.equal(tg.Protocol, 'TCP');
  const tgTags = Object.fromEntries(
    ((await elb.send(new DescribeTagsCommand({ ResourceArns: [tg.TargetGroupArn!] }))).TagDescriptions?.[0]?.Tags ?? []).map((t) => [t.Key, t.Value]),
  );
  assert.equal(tgTags['sluice.dev/service-uid'], svc.metadata?.uid);
  assert.equal(tgTags['sluice.dev/cluster'], 'e2e');
  const listeners = (await elb.send(new DescribeListenersCommand({ LoadBalancerArn: lb.LoadBalancerArn }))).Listeners ?? [];
  assert.deepEqual(
    listeners.map((l) => [l.Port, l.Protocol, l.DefaultActions?.[0]?.TargetGroupArn]),
    [[80, 'TCP', tg.TargetGroupArn]],
  );
  await waitForTargetsToFollowPods('shop', tg.TargetGroupArn!, 2);
  checked.push(
    `NLB ${lb.LoadBalancerName} (network, internal, name ${lb.LoadBalancerName?.length} <= 32 chars) tagged for shop/web in cluster e2e`,
    `Service status hostname = NLB DNS name ${lb.DNSName}`,
    `one target group (ip, TCP) tagged with the Service UID; one listener 80/TCP forwarding to it`,
    'targets = ready pod IPs:8080 with 2 pods',
  );
  report.push(['create (2 pods)', JSON.stringify(calls(controller, mark))]);

  // Scale up to 5.
  mark = controller.lines.length;
  await w.scale(5);
  await w.waitForRollout(5);
  await waitForTargetsToFollowPods('shop', tg.TargetGroupArn!, 5);
  checked.push('targets followed scale 2 -> 5');
  report.push(['scale 2 -> 5', JSON.stringify(calls(controller, mark))]);

  // One rolling update of 5 pods: what it costs in AWS requests, counted where AWS would count them.
  mark = controller.lines.length;
  await aws.recorder?.reset();
  const rolloutStarted = performance.now();
  await w.restart('aws-1');
  await w.waitForRollout(5);
  await waitForTargetsToFollowPods('shop', tg.TargetGroupArn!, 5);
  const rolloutSeconds = (performance.now() - rolloutStarted) / 1000;
  const rollout = calls(controller, mark);
  checked.push('targets = the 5 new pods after a rolling update');
  report.push(['rolling update of 5 pods', JSON.stringify(rollout)]);
  const budget: CallBudget = aws.recorder
    ? awsCallBudget(await aws.recorder.requests(), CONTROLLER_KEY)
    : (() => {
        const reads = Object.entries(rollout).filter(([op]) => !WRITE.test(op)).reduce((n, [, v]) => n + v, 0);
        return { reads, writes: writes(rollout), calls: rollout };
      })();
  const perPod = budget.reads / 5;
  process.stdout.write(
    `\nrolling update of 5 pods (${rolloutSeconds.toFixed(1)} s, ${aws.real ? 'controller log' : "moto's recorder"}): provider reads per replaced pod: ${perPod.toFixed(1)} (calls: ${JSON.stringify(budget.calls)})\n`,
  );
  assert.ok(perPod <= MAX_READS_PER_REPLACED_POD, `a replaced pod cost ${perPod} AWS reads, more than ${MAX_READS_PER_REPLACED_POD}: ${JSON.stringify(budget.calls)}`);
  checked.push(`the rolling update cost ${perPod.toFixed(1)} AWS reads per replaced pod (at most ${MAX_READS_PER_REPLACED_POD})`);

  // Idle: at least one full resync, which must make no write call.
  await sleep(2000);
  mark = controller.lines.length;
  const resyncsBefore = controller.lines.filter((l) => String(l.msg).startsWith('reconcile shop/web')).length;
  await sleep(14_000);
  const idle = calls(controller, mark);
  report.push(['idle (>= 1 resync)', JSON.stringify(idle)]);
  assert.ok(controller.lines.filter((l) => String(l.msg).startsWith('reconcile shop/web')).length > resyncsBefore, 'a resync ran');
  assert.equal(writes(idle), 0, `an idle resync made write calls: ${JSON.stringify(idle)}`);
  checked.push('an idle resync made 0 write calls');

  // Scale down to 1.
  mark = controller.lines.length;
  await w.scale(1);
  await w.waitForRollout(1);
  await waitForTargetsToFollowPods('shop', tg.TargetGroupArn!, 1);
  checked.push('targets followed scale 5 -> 1');
  report.push(['scale 5 -> 1', JSON.stringify(calls(controller, mark))]);

  // Bad input: each gives a Warning naming the field, and creates nothing (not even the finalizer).
  const bad: [string, Record<string, string>, k8s.V1ServicePort[], RegExp][] = [
    ['bad-scheme', { 'sluice.dev/aws-scheme': 'public' }, [{ name: 'http', port: 80, protocol: 'TCP' }], /sluice\.dev\/aws-scheme="public" is invalid: allowed are internal, internet-facing/],
    ['bad-interval', { 'sluice.dev/aws-healthcheck-interval': '1' }, [{ name: 'http', port: 80, protocol: 'TCP' }], /sluice\.dev\/aws-healthcheck-interval="1" is invalid/],
    [
      'udp-tls',
      { 'sluice.dev/aws-tls-certificate-arn': 'arn:aws:acm:us-east-1:123456789012:certificate/abc', 'sluice.dev/aws-tls-ports': 'dns' },
      [{ name: 'dns', port: 53, protocol: 'UDP' }],
      /sluice\.dev\/aws-tls-ports="dns" is invalid/,
    ],
  ];
  await core.createNamespace({ body: { metadata: { name: 'bad' } } });
  const lbCountBefore = ((await elb.send(new DescribeLoadBalancersCommand({}))).LoadBalancers ?? []).length;
  for (const [name, annotations, ports] of bad) {
    await core.createNamespacedService({ namespace: 'bad', body: { metadata: { name, annotations }, spec: { type: 'LoadBalancer', selector: { app: name }, ports } } });
  }
  for (const [name, , , message] of bad) {
    const deadline = performance.now() + 30_000;
    let warning: k8s.CoreV1Event | undefined;
    while (!warning && performance.now() < deadline) {
      warning = (await serviceEvents('bad', name)).find((e) => e.type === 'Warning' && message.test(e.message ?? ''));
      if (!warning) await sleep(300);
    }
    assert.ok(warning, `a Warning event on bad/${name} matching ${message}`);
    report.push([`bad input ${name}`, warning.message ?? '']);
    const s = await core.readNamespacedService({ name, namespace: 'bad' });
    assert.deepEqual(s.metadata?.finalizers ?? [], [], `bad/${name} got no finalizer`);
  }
  assert.equal(((await elb.send(new DescribeLoadBalancersCommand({}))).LoadBalancers ?? []).length, lbCountBefore, 'bad input created no load balancer');
  checked.push('3 bad inputs: a Warning event each, no load balancer, no finalizer');

  // Delete: the Service's NLB and target group go; the foreign ones stay.
  mark = controller.lines.length;
  await w.delete();
  report.push(['delete Service', JSON.stringify(calls(controller, mark))]);
  assert.deepEqual(await sluiceLoadBalancers('shop', 'web'), [], 'the NLB is gone');
  const remainingTgs = ((await elb.send(new DescribeTargetGroupsCommand({}))).TargetGroups ?? []).map((t) => t.TargetGroupArn);
  assert.ok(!remainingTgs.includes(tg.TargetGroupArn), 'its target group is gone');
  assert.ok(remainingTgs.includes(seeded.tgArn), 'the foreign target group survives');
  const remainingLbs = ((await elb.send(new DescribeLoadBalancersCommand({}))).LoadBalancers ?? []).map((l) => l.LoadBalancerArn);
  assert.ok(remainingLbs.includes(seeded.lbArn), 'the foreign NLB survives');
  checked.push('Service deleted: its NLB and target group are gone; the foreign NLB and target group survive');

  process.stdout.write(`\nchecked with the AWS SDK:\n${checked.map((c) => `  - ${c}`).join('\n')}\n`);
  process.stdout.write(`\nAWS API calls by phase (${aws.real ? 'real account' : 'moto'}):\n${report.map(([a = "", b = ""]) => `  ${a.padEnd(26)} ${b}`).join('\n')}\n\n`);
});

/** The IAM policy operators attach to the controller's role (deploy/aws/README.md). */
const IAM_POLICY = new URL('../../../deploy/aws/iam-policy.json', import.meta.url);
/** The controller logs `service` as the SDK client it used; IAM names the service by its prefix. */
const IAM_PREFIX: Record<string, string> = { elbv2: 'elasticloadbalancing', ec2: 'ec2' };

/**
 * What moto's recorder holds (since its last reset), as IAM actions: `<service>:<Action>`, the
 * service being the one in the SigV4 credential scope, for the requests signed with `key`.
 */
async function recordedIamActions(endpoint: string, key: string): Promise<Set<string>> {
  const text = await (await fetch(`${endpoint}/moto-api/recorder/download-recording`)).text();
  const out = new Set<string>();
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const entry = JSON.parse(line) as { headers: Record<string, string>; body?: string; body_encoded?: boolean; url: string };
    const authorization = Object.entries(entry.headers).find(([k]) => k.toLowerCase() === 'authorization')?.[1] ?? '';
    const scope = /Credential=([^/,\s]+)\/[^/]+\/[^/]+\/([^/]+)\/aws4_request/.exec(authorization);
    if (scope?.[1] !== key) continue;
    const body = entry.body_encoded ? Buffer.from(entry.body ?? '', 'base64').toString('utf8') : (entry.body ?? '');
    const action = new URLSearchParams(body).get('Action') ?? new URL(entry.url, 'http://moto').searchParams.get('Action') ?? `unknown ${entry.url}`;
    out.add(`${scope[2]}:${action}`);
  }
  return out;
}

test('every AWS action the controller made in this job is one deploy/aws/iam-policy.json allows', async () => {
  assert.ok(controller, 'the controller ran (the test above starts it)');
  const policy = JSON.parse(await readFile(IAM_POLICY, 'utf8')) as { Statement: { Effect: string; Action: string | string[] }[] };
  const allowed = new Set(policy.Statement.filter((s) => s.Effect === 'Allow').flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action])));
  // The controller's own account of every call in the job, creation included.
  const logged = new Set(controller.lines.filter((l) => l.msg === 'aws call').map((l) => `${IAM_PREFIX[String(l['service'])] ?? String(l['service'])}:${String(l['operation'])}`));
  // What AWS saw signed with the controller's key, from the rolling update on (where the test above reset the recorder).
  const recorded = aws.recorder && aws.endpoint ? await recordedIamActions(aws.endpoint, CONTROLLER_KEY) : undefined;
  const made = new Set([...logged, ...(recorded ?? [])]);
  const sorted = (s: Iterable<string>) => [...s].sort();
  const show = (title: string, s: Iterable<string>) => `${title}:\n${sorted(s).map((a) => `  ${a}`).join('\n') || '  (none)'}\n`;
  process.stdout.write(
    `\n${show(`the policy allows (${allowed.size})`, allowed)}` +
      show(`the controller made, per its log, the whole job (${logged.size})`, logged) +
      (recorded ? show(`the controller made, per moto's recorder, rolling update to delete (${recorded.size})`, recorded) : '') +
      show('allowed but not called in this job (AddTags authorises tagging at creation)', [...allowed].filter((a) => !made.has(a))),
  );
  // Not vacuous: the job created, registered and deleted, and the log and the recorder saw it.
  for (const a of ['elasticloadbalancing:CreateLoadBalancer', 'elasticloadbalancing:CreateTargetGroup', 'elasticloadbalancing:CreateListener', 'elasticloadbalancing:RegisterTargets', 'elasticloadbalancing:DeleteLoadBalancer', 'ec2:DescribeSubnets']) {
    assert.ok(logged.has(a), `the controller's log shows no ${a}: ${JSON.stringify(sorted(logged))}`);
  }
  if (recorded) assert.ok(recorded.has('elasticloadbalancing:RegisterTargets') && recorded.has('elasticloadbalancing:DeleteLoadBalancer'), `moto recorded ${JSON.stringify(sorted(recorded))}`);
  const missing = sorted(made).filter((a) => !allowed.has(a));
  assert.deepEqual(missing, [], `the controller made AWS calls deploy/aws/iam-policy.json does not allow: ${missing.join(', ')}`);
});
