/**
 * The NLB twin with the real ELBv2 and EC2 SDKs through the front, moto behind it and a
 * sluice-dataplane process carrying real connections to HTTP servers on loopback (the
 * "pods", outside the VPC): registration refusals moto lacks, target health from the data
 * plane (initial -> healthy, unhealthy, draining for the delay, unused outside the NLB's
 * zones, not registered), traffic through the listener, fail-open, deregistering an unknown
 * target, and SetSecurityGroups on an NLB created without groups.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { CreateSecurityGroupCommand, DescribeSubnetsCommand, DescribeVpcsCommand, EC2Client } from '@aws-sdk/client-ec2';
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateTargetGroupCommand,
  DeregisterTargetsCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  ModifyTargetGroupAttributesCommand,
  ModifyTargetGroupCommand,
  RegisterTargetsCommand,
  SetSecurityGroupsCommand,
  type TargetHealthDescription,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { freeLoopbackPorts, waitFor } from '@sluice/testbed/harness';
import { getBody } from '@sluice/testbed/scenario';
import { type AwsTwin, startAwsTwin } from './twin.ts';

/** Checks every 5 s x 2 at x0.02: a target turns healthy in about 200 ms; the 300 s delay is 6 s, here set to 10 s = 200 ms. */
const TIME_SCALE = 0.02;
const [A, B] = ['127.0.0.2', '127.0.0.3'];

async function rejection(p: Promise<unknown>): Promise<{ name: string; message: string }> {
  try {
    await p;
  } catch (e) {
    return e as { name: string; message: string };
  }
  assert.fail('expected the call to fail');
}

/** A "pod": an HTTP server answering its name, on its own loopback address (moto keys targets by Id alone). */
function pod(name: string, address: string): Promise<Server> {
  const server = createServer((_req, res) => res.end(name));
  return new Promise((resolve) => server.listen(0, address, () => resolve(server)));
}
const portOf = (s: Server) => (s.address() as AddressInfo).port;

describe('the NLB twin', () => {
  let aws: AwsTwin;
  let elb: ElasticLoadBalancingV2Client;
  let ec2: EC2Client;
  let pods: Server[] = [];
  let vpcId: string;
  let subnetA: { id: string; zone: string };
  let subnetB: { id: string; zone: string; cidr: string };

  before(async () => {
    aws = await startAwsTwin({ timeScale: TIME_SCALE, rateLimits: false, targetsPerTargetGroup: 3 });
    const config = { region: aws.region, endpoint: aws.endpoint, credentials: { accessKeyId: 'AKIDTWINTEST', secretAccessKey: 'test' } };
    elb = new ElasticLoadBalancingV2Client(config);
    ec2 = new EC2Client(config);
    vpcId = (await ec2.send(new DescribeVpcsCommand({}))).Vpcs![0]!.VpcId!;
    const subnets = (await ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] }))).Subnets!;
    subnetA = { id: subnets[0]!.SubnetId!, zone: subnets[0]!.AvailabilityZone! };
    subnetB = { id: subnets[1]!.SubnetId!, zone: subnets[1]!.AvailabilityZone!, cidr: subnets[1]!.CidrBlock! };
    pods = await Promise.all([pod('pod-a', A), pod('pod-b', B)]);
  });

  after(async () => {
    for (const p of pods) p.close();
    elb?.destroy();
    ec2?.destroy();
    await aws?.stop();
  });

  /** An NLB in zone A with one TCP listener on a free port forwarding to a new ip target group. */
  async function stack(name: string, securityGroups?: string[]) {
    const lb = (await elb.send(new CreateLoadBalancerCommand({ Name: name, Type: 'network', Scheme: 'internal', Subnets: [subnetA.id], ...(securityGroups ? { SecurityGroups: securityGroups } : {}) })))
      .LoadBalancers![0]!;
    const tg = (
      await elb.send(
        new CreateTargetGroupCommand({ Name: `${name}-tg`, Protocol: 'TCP', Port: 8080, VpcId: vpcId, TargetType: 'ip', HealthCheckIntervalSeconds: 5, HealthCheckTimeoutSeconds: 5, HealthyThresholdCount: 2, UnhealthyThresholdCount: 2 }),
      )
    ).TargetGroups![0]!;
    await elb.send(new ModifyTargetGroupAttributesCommand({ TargetGroupArn: tg.TargetGroupArn, Attributes: [{ Key: 'deregistration_delay.timeout_seconds', Value: '10' }] }));
    const [port] = await freeLoopbackPorts(1);
    await elb.send(new CreateListenerCommand({ LoadBalancerArn: lb.LoadBalancerArn, Protocol: 'TCP', Port: port, DefaultActions: [{ Type: 'forward', TargetGroupArn: tg.TargetGroupArn }] }));
    const host = aws.resolve(lb.DNSName!);
    assert.ok(host, `the twin gave ${lb.DNSName} an address`);
    return { lbArn: lb.LoadBalancerArn!, tgArn: tg.TargetGroupArn!, host, port: port! };
  }

  const health = async (tgArn: string, targets?: { Id: string; Port: number }[]) =>
    (await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: tgArn, ...(targets ? { Targets: targets } : {}) }))).TargetHealthDescriptions ?? [];
  const states = (hs: TargetHealthDescription[]) => hs.map((h) => `${h.Target?.Id}:${h.Target?.Port} ${h.TargetHealth?.State}${h.TargetHealth?.Reason ? ` ${h.TargetHealth.Reason}` : ''}`).sort();
  const waitForStates = (tgArn: string, want: string[]) =>
    waitFor(`target states ${JSON.stringify(want)}`, async () => {
      const got = states(await health(tgArn));
      return JSON.stringify(got) === JSON.stringify([...want].sort()) ? got : undefined;
    }, { timeoutMs: 10_000, intervalMs: 20 });

  it('refuses an IP outside the VPC without AvailabilityZone all, and an IP in the VPC with it, as AWS words it', async () => {
    const s = await stack('refusals');
    const outside = await rejection(elb.send(new RegisterTargetsCommand({ TargetGroupArn: s.tgArn, Targets: [{ Id: '127.0.0.1', Port: portOf(pods[0]!) }] })));
    assert.equal(outside.name, 'ValidationError');
    assert.equal(outside.message, "The Availability Zone is required for IP address '127.0.0.1' because it is not in the VPC");
    const zoned = await rejection(elb.send(new RegisterTargetsCommand({ TargetGroupArn: s.tgArn, Targets: [{ Id: '127.0.0.1', Port: 1, AvailabilityZone: subnetA.zone }] })));
    assert.match(zoned.message, /select 'all' for all enabled Availability zones, since the IP address '127\.0\.0\.1' is outside the VPC/);
    const insideIp = subnetB.cidr.replace(/\.0\/\d+$/, '.9');
    const inside = await rejection(elb.send(new RegisterTargetsCommand({ TargetGroupArn: s.tgArn, Targets: [{ Id: insideIp, Port: 80, AvailabilityZone: 'all' }] })));
    assert.equal(inside.message, `The IP address '${insideIp}' is within the VPC, and cannot have its Availability Zone overridden to 'all' from '${subnetB.zone}'`);
    assert.deepEqual(await health(s.tgArn), [], 'nothing was registered');
  });

  it('reports initial until the checks pass, then healthy, and carries traffic to healthy targets only', async () => {
    const s = await stack('serving');
    const [a, b] = [portOf(pods[0]!), portOf(pods[1]!)];
    await elb.send(new RegisterTargetsCommand({ TargetGroupArn: s.tgArn, Targets: [{ Id: A, Port: a, AvailabilityZone: 'all' }] }));
    const first = await health(s.tgArn);
    assert.deepEqual(states(first), [`${A}:${a} initial Elb.InitialHealthChecking`]);
    assert.equal(first[0]?.HealthCheckPort, String(a), 'the traffic port is checked');
    await waitForStates(s.tgArn, [`${A}:${a} healthy`]);
    assert.equal(await getBody(s.host, s.port), 'pod-a');

    // Deregistration: draining for the delay (10 s x 0.02), no new connections, then gone.
    await elb.send(new RegisterTargetsCommand({ TargetGroupArn: s.tgArn, Targets: [{ Id: B, Port: b, AvailabilityZone: 'all' }] }));
    await waitForStates(s.tgArn, [`${A}:${a} healthy`, `${B}:${b} healthy`]);
    await elb.send(new DeregisterTargetsCommand({ TargetGroupArn: s.tgArn, Targets: [{ Id: A, Port: a }] }));
    assert.deepEqual(states(await health(s.tgArn)), [`${A}:${a} draining Target.DeregistrationInProgress`, `${B}:${b} healthy`].sort());
    for (let i = 0; i < 4; i++) assert.equal(await getBody(s.host, s.port), 'pod-b', 'a draining target gets no new connection');
    await waitForStates(s.tgArn, [`${B}:${b} healthy`]);

    // "DeregisterTargets": a target that is not registered is accepted (moto refuses it).
    await elb.send(new DeregisterTargetsCommand({ TargetGroupArn: s.tgArn, Targets: [{ Id: '127.0.0.1', Port: 1 }] }));
    await elb.send(new DeregisterTargetsCommand({ TargetGroupArn: s.tgArn, Targets: [{ Id: '127.0.0.1', Port: 2 }, { Id: B, Port: b }] }));
    await waitForStates(s.tgArn, []);
    const asked = await health(s.tgArn, [{ Id: B, Port: b }]);
    assert.deepEqual(states(asked), [`${B}:${b} unused Target.NotRegistered`]);
  });

  it('marks a failing target unhealthy and still routes to it when no target is healthy (fail-open)', async () => {
    const s = await stack('failopen');
    const a = portOf(pods[0]!);
    await elb.send(new RegisterTargetsCommand({ TargetGroupArn: s.tgArn, Targets: [{ Id: A, Port: a, AvailabilityZone: 'all' }] }));
    await waitForStates(s.tgArn, [`${A}:${a} healthy`]);
    const [closed] = await freeLoopbackPorts(1);
    await elb.send(new ModifyTargetGroupCommand({ TargetGroupArn: s.tgArn, HealthCheckPort: String(closed) }));
    const [unhealthy] = await waitForStates(s.tgArn, [`${A}:${a} unhealthy Target.FailedHealthChecks`]);
    assert.ok(unhealthy);
    assert.equal((await health(s.tgArn))[0]?.HealthCheckPort, String(closed));
    assert.equal(await getBody(s.host, s.port), 'pod-a', 'no healthy target: the NLB routes to all (fail-open)');
  });

  it('reports a target in a zone the NLB does not serve as unused', async () => {
    const s = await stack('zones');
    const insideB = subnetB.cidr.replace(/\.0\/\d+$/, '.7');
    await elb.send(new RegisterTargetsCommand({ TargetGroupArn: s.tgArn, Targets: [{ Id: insideB, Port: 8080 }] }));
    const [h] = await health(s.tgArn);
    assert.equal(h?.TargetHealth?.State, 'unused');
    assert.equal(h?.TargetHealth?.Reason, 'Target.NotInUse');
    assert.equal(h?.TargetHealth?.Description, 'Target is in an Availability Zone that is not enabled for the load balancer');
  });

  it('refuses registrations past the targets-per-group quota (3 here)', async () => {
    const s = await stack('quota');
    const t = (port: number) => ({ Id: '127.0.0.1', Port: port, AvailabilityZone: 'all' });
    await elb.send(new RegisterTargetsCommand({ TargetGroupArn: s.tgArn, Targets: [t(1001), t(1002), t(1003)] }));
    const past = await rejection(elb.send(new RegisterTargetsCommand({ TargetGroupArn: s.tgArn, Targets: [t(1004)] })));
    assert.equal(past.name, 'TooManyTargetsException', 'the SDK read the wire code TooManyTargets as its modelled exception');
    assert.equal(past.message, "You've reached the limit on the number of targets.");
    await elb.send(new RegisterTargetsCommand({ TargetGroupArn: s.tgArn, Targets: [t(1003)] }));
    assert.equal((await health(s.tgArn)).length, 3, 're-registering a registered target is within the quota');
  });

  it('refuses SetSecurityGroups on an NLB created without security groups, accepts it on one created with', async () => {
    const sg = await ec2.send(new CreateSecurityGroupCommand({ GroupName: 'twin-test', Description: 'twin test', VpcId: vpcId }));
    const bare = await stack('no-groups');
    const refused = await rejection(elb.send(new SetSecurityGroupsCommand({ LoadBalancerArn: bare.lbArn, SecurityGroups: [sg.GroupId!] })));
    assert.equal(refused.name, 'InvalidConfigurationRequestException', 'the SDK read the wire code InvalidConfigurationRequest as its modelled exception');
    assert.match(refused.message, /unless you specified a security group for the load balancer when you created it/);
    const grouped = await stack('with-groups', [sg.GroupId!]);
    const ok = await elb.send(new SetSecurityGroupsCommand({ LoadBalancerArn: grouped.lbArn, SecurityGroups: [sg.GroupId!] }));
    assert.deepEqual(ok.SecurityGroupIds, [sg.GroupId]);
  });
});
