/**
 * e2e/aws security groups: the real controller and SDK against the AWS twin (moto behind the
 * front, the NLB twin's data plane judging traffic by moto's security groups), the real API
 * server and the kubelet simulator.
 *
 * 1. Told not to manage the pods' security group rules, with the rule absent: the gate holds
 *    and the pod's gate condition names the missing rule; nothing is written to the group.
 * 2. By default (the controller restarted without the flag, then a rolling update): the rules
 *    appear (tagged as the Service's), gates pass; a client inside the
 *    Service's source ranges is served, one outside refused; changing the ranges changes the
 *    NLB's security group, with the same NLB.
 * 3. Deleting the Service removes the NLB, its target group and listener, its security group
 *    and every rule Sluice added; a foreign NLB, security group and rule survive.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  CreateTagsCommand,
  DescribeSecurityGroupRulesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { CreateLoadBalancerCommand, DescribeLoadBalancersCommand, DescribeTargetGroupsCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import * as k8s from '@kubernetes/client-node';
import { consoleLogger, waitFor } from '@sluice/testbed/harness';
import { type ControllerProcess, type Environment, startControllerProcess, startEnvironment, Workload } from '@sluice/testbed/scenario';
import { getFrom } from '../../servers/aws/loopback-client.ts';
import { CONTROLLER_ACCESS_KEY, POD_NETWORK } from '../../servers/aws/provider-under-test.ts';
import { type AwsTwin, startAwsTwin } from '../../servers/aws/twin.ts';

const log = consoleLogger('e2e/aws-security-groups');
const CLUSTER = 'sg';
const GATE = 'sluice.dev/load-balancer-ready';
const [INSIDE, OUTSIDE] = ['127.0.0.5', '127.0.0.6'];
/** Health checks every 5 s x 2 (NLB's minimum) at x0.1: a target turns healthy in about 1 s; deregistration 5 s. */
const ANNOTATIONS = {
  'sluice.dev/aws-healthcheck-interval': '5',
  'sluice.dev/aws-healthcheck-timeout': '2',
  'sluice.dev/aws-healthcheck-healthy-threshold': '2',
  'sluice.dev/aws-healthcheck-unhealthy-threshold': '2',
  'sluice.dev/aws-deregistration-delay': '5',
};
const RANGES = 'service.beta.kubernetes.io/load-balancer-source-ranges';

let aws: AwsTwin;
let env: Environment;
let elb: ElasticLoadBalancingV2Client;
let ec2: EC2Client;
let controller: ControllerProcess | undefined;

before(async () => {
  aws = await startAwsTwin({ timeScale: 0.1, log });
  env = await startEnvironment(log);
  // The test's own calls go through the front too, so the twin sees its security-group changes.
  const config = { region: aws.region, endpoint: aws.endpoint, credentials: { accessKeyId: 'AKIDSGTEST', secretAccessKey: 'test' } };
  elb = new ElasticLoadBalancingV2Client(config);
  ec2 = new EC2Client(config);
});

after(async () => {
  await controller?.stop();
  elb?.destroy();
  ec2?.destroy();
  await env?.stop();
  await aws?.stop();
});

function startController(extra: readonly string[]): ControllerProcess {
  return startControllerProcess({
    provider: 'aws',
    kubeconfigPath: env.kubeconfigPath,
    env: { ...aws.env, AWS_ACCESS_KEY_ID: CONTROLLER_ACCESS_KEY },
    args: ['--cluster-name', CLUSTER, '--health-poll-ms', '250', '--resync-period', '30', ...extra],
  });
}

const rulesOf = async (groupId: string) =>
  ((await ec2.send(new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [groupId] }] }))).SecurityGroupRules ?? []).filter((r) => !r.IsEgress);
const describeRule = (r: { IpProtocol?: string; FromPort?: number; CidrIpv4?: string; ReferencedGroupInfo?: { GroupId?: string } }) =>
  `${r.IpProtocol}/${r.FromPort} from ${r.CidrIpv4 ?? r.ReferencedGroupInfo?.GroupId}`;

test('security groups: source ranges on the NLB, rules into the pods group, the gate names a missing rule, delete removes what Sluice added', { timeout: 600_000 }, async () => {
  const checked: string[] = [];
  const subnets = (await ec2.send(new DescribeSubnetsCommand({}))).Subnets ?? [];
  const vpcId = subnets[0]!.VpcId!;
  await ec2.send(new CreateTagsCommand({ Resources: subnets.map((s) => s.SubnetId!), Tags: [{ Key: 'kubernetes.io/role/internal-elb', Value: '1' }] }));
  // The pods' group (tagged for the cluster, as EKS tags its cluster group) with someone else's rule in it.
  const podsGroup = (
    await ec2.send(
      new CreateSecurityGroupCommand({
        GroupName: 'cluster-pods',
        Description: 'pods',
        VpcId: vpcId,
        TagSpecifications: [{ ResourceType: 'security-group', Tags: [{ Key: `kubernetes.io/cluster/${CLUSTER}`, Value: 'owned' }, { Key: 'sluice.dev/cluster', Value: CLUSTER }] }],
      }),
    )
  ).GroupId!;
  await ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: podsGroup, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '10.0.0.0/8' }] }] }));
  await aws.twin.setPodSecurityGroups([{ cidr: POD_NETWORK, groupIds: [podsGroup] }]);
  // A foreign NLB with its own group.
  const foreignGroup = (await ec2.send(new CreateSecurityGroupCommand({ GroupName: 'foreign', Description: 'foreign', VpcId: vpcId }))).GroupId!;
  const foreignLb = (await elb.send(new CreateLoadBalancerCommand({ Name: 'foreign-nlb', Type: 'network', Scheme: 'internal', Subnets: [subnets[0]!.SubnetId!], SecurityGroups: [foreignGroup] })))
    .LoadBalancers![0]!.LoadBalancerArn!;

  // 1. Rules not managed, and absent: the gate holds and says which rule is missing.
  controller = startController(['--aws-backend-security-group-rules', 'off']);
  await controller.ready();
  const w = new Workload(env.kubeConfig, {
    namespace: 'guarded',
    name: 'web',
    replicas: 2,
    servicePort: 8443,
    sigterm: 'close',
    preStopSeconds: 1,
    terminationGracePeriodSeconds: 3,
    serviceAnnotations: { ...ANNOTATIONS, [RANGES]: `${INSIDE}/32` },
  });
  await w.create();
  const core = env.kubeConfig.makeApiClient(k8s.CoreV1Api);
  const message = await waitFor(
    'a pod gate condition naming the missing security group rule',
    async () => {
      const pods = await core.listNamespacedPod({ namespace: 'guarded' });
      const c = pods.items.flatMap((p) => p.status?.conditions ?? []).find((x) => x.type === GATE && x.status === 'False' && /has no inbound rule/.test(x.message ?? ''));
      return c?.message;
    },
    { timeoutMs: 60_000, intervalMs: 250 },
  );
  assert.match(message, new RegExp(`security group ${podsGroup} has no inbound rule allowing TCP port 8080 from the load balancer's security group sg-[0-9a-f]+`));
  assert.deepEqual((await rulesOf(podsGroup)).map(describeRule), ['tcp/22 from 10.0.0.0/8'], 'nothing was written to the pods group');
  checked.push(`rules off, rule absent: gate False with "${message}"`);

  // 2. Managed (the default): at the first backend change after the restart (here a rolling
  // update) the rules appear, and the gates pass.
  await controller.stop();
  controller = startController([]);
  await controller.ready();
  await w.restart('manage');
  await w.waitForRollout(2);
  const svc = await core.readNamespacedService({ name: 'web', namespace: 'guarded' });
  const hostname = svc.status?.loadBalancer?.ingress?.[0]?.hostname ?? '';
  const [lb] = (await elb.send(new DescribeLoadBalancersCommand({}))).LoadBalancers!.filter((l) => l.DNSName === hostname);
  assert.ok(lb, 'the Service has an NLB');
  const nlbGroup = lb.SecurityGroups?.[0];
  assert.ok(nlbGroup && lb.SecurityGroups?.length === 1, 'created with one security group');
  const podRules = (await rulesOf(podsGroup)).map(describeRule).sort();
  assert.deepEqual(podRules, ['tcp/22 from 10.0.0.0/8', `tcp/8080 from ${nlbGroup}`].sort());
  checked.push(`rules managed: pods group ${podsGroup} has ${JSON.stringify(podRules)}, gates passed`);

  const host = aws.resolve(hostname)!;
  assert.deepEqual((await rulesOf(nlbGroup)).map(describeRule), [`tcp/8443 from ${INSIDE}/32`]);
  assert.match(await getFrom(INSIDE, host, 8443), /^web-/, 'a client inside the ranges is served');
  assert.equal(await getFrom(OUTSIDE, host, 8443), 'ECONNRESET', 'a client outside is refused');
  checked.push(`ranges ${INSIDE}/32: ${INSIDE} served, ${OUTSIDE} refused`);

  // Change the ranges: the group's rules change, the NLB stays.
  const current = await core.readNamespacedService({ name: 'web', namespace: 'guarded' });
  current.metadata!.annotations = { ...current.metadata!.annotations, [RANGES]: `${OUTSIDE}/32` };
  await core.replaceNamespacedService({ name: 'web', namespace: 'guarded', body: current });
  await waitFor('the NLB group to admit the new range', async () => ((await rulesOf(nlbGroup)).map(describeRule).join() === `tcp/8443 from ${OUTSIDE}/32` ? true : undefined), {
    timeoutMs: 60_000,
    intervalMs: 250,
  });
  assert.deepEqual(
    (await elb.send(new DescribeLoadBalancersCommand({}))).LoadBalancers!.filter((l) => l.DNSName === hostname).map((l) => l.LoadBalancerArn),
    [lb.LoadBalancerArn],
    'the same NLB',
  );
  assert.match(await getFrom(OUTSIDE, host, 8443), /^web-/);
  assert.equal(await getFrom(INSIDE, host, 8443), 'ECONNRESET');
  checked.push(`ranges changed to ${OUTSIDE}/32: the group's rules followed, same NLB ${lb.LoadBalancerName}; ${OUTSIDE} served, ${INSIDE} refused`);

  // 3. Delete: everything Sluice made goes, the foreign NLB, group and rule stay.
  const groups = ((await elb.send(new DescribeTargetGroupsCommand({ LoadBalancerArn: lb.LoadBalancerArn }))).TargetGroups ?? []).map((g) => g.TargetGroupArn);
  await w.delete();
  const lbs = (await elb.send(new DescribeLoadBalancersCommand({}))).LoadBalancers ?? [];
  assert.ok(!lbs.some((l) => l.LoadBalancerArn === lb.LoadBalancerArn), 'the NLB is gone (its listener with it)');
  assert.ok(lbs.some((l) => l.LoadBalancerArn === foreignLb), 'the foreign NLB survives');
  const leftGroups = ((await elb.send(new DescribeTargetGroupsCommand({}))).TargetGroups ?? []).map((g) => g.TargetGroupArn);
  assert.deepEqual(
    groups.filter((g) => leftGroups.includes(g)),
    [],
    'its target group is gone',
  );
  const sgs = ((await ec2.send(new DescribeSecurityGroupsCommand({}))).SecurityGroups ?? []).map((g) => g.GroupId);
  assert.ok(!sgs.includes(nlbGroup), "the NLB's security group is gone");
  assert.ok(sgs.includes(foreignGroup) && sgs.includes(podsGroup), 'the foreign and the pods groups survive');
  assert.deepEqual((await rulesOf(podsGroup)).map(describeRule), ['tcp/22 from 10.0.0.0/8'], 'every rule Sluice added is gone; the foreign rule survives');
  checked.push("Service deleted: its NLB, target group, listener, security group and the pods group rule are gone; the foreign NLB, group and rule survive");

  process.stdout.write(`\nchecked through the AWS twin:\n${checked.map((c) => `  - ${c}`).join('\n')}\n\n`);
});
