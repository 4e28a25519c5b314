/**
 * The NLB twin's security groups with the real SDKs through the front: moto's groups become
 * the data plane's firewall. A client is served only from a range the NLB's group admits; a
 * pod whose group does not admit the NLB's group fails its health checks (and gets no
 * traffic) until a rule referencing that group is added; an NLB without groups admits every
 * client, and its health checks pass a pod group rule covering the VPC.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { AuthorizeSecurityGroupIngressCommand, CreateSecurityGroupCommand, DescribeSubnetsCommand, DescribeVpcsCommand, EC2Client, RevokeSecurityGroupIngressCommand } from '@aws-sdk/client-ec2';
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateTargetGroupCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  RegisterTargetsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { freeLoopbackPorts, waitFor } from '@sluice/testbed/harness';
import { getFrom } from './loopback-client.ts';
import { type AwsTwin, startAwsTwin } from './twin.ts';

const POD = '127.0.0.2';
const [INSIDE, OUTSIDE] = ['127.0.0.5', '127.0.0.6'];

describe('the NLB twin with security groups', () => {
  let aws: AwsTwin;
  let elb: ElasticLoadBalancingV2Client;
  let ec2: EC2Client;
  let pod: Server;
  let vpcId: string;
  let subnet: string;
  let podGroup: string;

  before(async () => {
    aws = await startAwsTwin({ timeScale: 0.02, rateLimits: false });
    const config = { region: aws.region, endpoint: aws.endpoint, credentials: { accessKeyId: 'AKIDTWINSGTEST', secretAccessKey: 'test' } };
    elb = new ElasticLoadBalancingV2Client(config);
    ec2 = new EC2Client(config);
    vpcId = (await ec2.send(new DescribeVpcsCommand({}))).Vpcs![0]!.VpcId!;
    subnet = (await ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] }))).Subnets![0]!.SubnetId!;
    podGroup = (await ec2.send(new CreateSecurityGroupCommand({ GroupName: 'pods', Description: 'pods', VpcId: vpcId }))).GroupId!;
    // The pods' interfaces are in podGroup (what EC2 knows from the ENIs the pod IPs live on).
    await aws.twin.setPodSecurityGroups([{ cidr: '127.0.0.0/24', groupIds: [podGroup] }]);
    pod = createServer((_req, res) => res.end('pod'));
    await new Promise<void>((r) => pod.listen(0, POD, () => r()));
  });

  after(async () => {
    pod?.close();
    elb?.destroy();
    ec2?.destroy();
    await aws?.stop();
  });

  async function nlb(name: string, securityGroups: string[]) {
    const lb = (await elb.send(new CreateLoadBalancerCommand({ Name: name, Type: 'network', Scheme: 'internal', Subnets: [subnet], SecurityGroups: securityGroups }))).LoadBalancers![0]!;
    const tg = (
      await elb.send(
        new CreateTargetGroupCommand({ Name: `${name}-tg`, Protocol: 'TCP', Port: 8080, VpcId: vpcId, TargetType: 'ip', HealthCheckIntervalSeconds: 5, HealthCheckTimeoutSeconds: 5, HealthyThresholdCount: 2, UnhealthyThresholdCount: 2 }),
      )
    ).TargetGroups![0]!;
    const [port] = await freeLoopbackPorts(1);
    await elb.send(new CreateListenerCommand({ LoadBalancerArn: lb.LoadBalancerArn, Protocol: 'TCP', Port: port, DefaultActions: [{ Type: 'forward', TargetGroupArn: tg.TargetGroupArn }] }));
    await elb.send(new RegisterTargetsCommand({ TargetGroupArn: tg.TargetGroupArn, Targets: [{ Id: POD, Port: (pod.address() as AddressInfo).port, AvailabilityZone: 'all' }] }));
    return { tgArn: tg.TargetGroupArn!, host: aws.resolve(lb.DNSName!)!, port: port! };
  }

  const state = async (tgArn: string) => (await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: tgArn }))).TargetHealthDescriptions?.[0]?.TargetHealth;
  const waitForState = (tgArn: string, want: string) =>
    waitFor(`target ${want}`, async () => ((await state(tgArn))?.State === want ? true : undefined), { timeoutMs: 10_000, intervalMs: 20 });

  it("serves clients the NLB's group admits, refuses the rest; pods must admit the NLB's group", async () => {
    const nlbGroup = (await ec2.send(new CreateSecurityGroupCommand({ GroupName: 'nlb', Description: 'nlb', VpcId: vpcId }))).GroupId!;
    const s = await nlb('guarded', [nlbGroup]);
    await ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: nlbGroup, IpPermissions: [{ IpProtocol: 'tcp', FromPort: s.port, ToPort: s.port, IpRanges: [{ CidrIp: `${INSIDE}/32` }] }] }));

    // The pods' group has no rule for the NLB: health checks are dropped, the target turns unhealthy.
    await waitForState(s.tgArn, 'unhealthy');
    assert.match((await state(s.tgArn))?.Description ?? '', /Health checks failed \(.*firewall rule sg-deny-/);

    const rule = await ec2.send(
      new AuthorizeSecurityGroupIngressCommand({ GroupId: podGroup, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 1, ToPort: 65535, UserIdGroupPairs: [{ GroupId: nlbGroup }] }] }),
    );
    await waitForState(s.tgArn, 'healthy');
    assert.equal(await getFrom(INSIDE, s.host, s.port), 'pod', 'a client in the range is served');
    assert.equal(await getFrom(OUTSIDE, s.host, s.port), 'ECONNRESET', 'a client outside it is refused');

    // Revoking the pods' rule takes the pod out again.
    await ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: podGroup, SecurityGroupRuleIds: [rule.SecurityGroupRules![0]!.SecurityGroupRuleId!] }));
    await waitForState(s.tgArn, 'unhealthy');
  });

  it('an NLB without groups admits every client; its checks pass a pod rule covering the VPC', async () => {
    const s = await nlb('open', []);
    await waitForState(s.tgArn, 'unhealthy');
    await ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: podGroup, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 1, ToPort: 65535, IpRanges: [{ CidrIp: '172.31.0.0/16' }] }] }));
    await waitForState(s.tgArn, 'healthy');
    assert.equal(await getFrom(OUTSIDE, s.host, s.port), 'pod');
  });
});
