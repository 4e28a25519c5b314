/**
 * The provider against the fake ELBv2/EC2 (real sockets, the real SDK), for the lifecycle
 * of one Service: create, converge, resync, change, delete; and call counts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isRetryableError, isTerminalError } from '@sluice/core';
import { AwsLoadBalancer } from './aws-load-balancer.ts';
import { backend, CLUSTER, harnessPerTest, service, signal, startHarness, WRITE } from './test-support/harness.ts';

const h = harnessPerTest();

const web = service();

test('ensure creates a tagged NLB, target group and listener, registers the backends and returns the DNS name', async () => {
  const status = await h.provider.ensureLoadBalancer(CLUSTER, web, [backend('10.0.0.1'), backend('10.0.0.2')], signal);
  const [lb] = h.fake.loadBalancers;
  assert.ok(lb);
  assert.equal(lb.name, h.provider.getLoadBalancerName(CLUSTER, web));
  assert.deepEqual(status, { ingress: [{ hostname: lb.dnsName }] });
  assert.equal(lb.scheme, 'internal');
  assert.deepEqual(lb.subnets, ['subnet-0a1', 'subnet-0b1'], 'one discovered subnet per zone');
  const owner = { 'sluice.dev/cluster': 'c1', 'sluice.dev/service-namespace': 'shop', 'sluice.dev/service-name': 'web', 'sluice.dev/service-uid': 'uid-1', 'sluice.dev/managed-by': 'sluice' };
  assert.deepEqual(lb.tags, owner);

  const [tg] = h.fake.targetGroups;
  assert.ok(tg);
  assert.equal(tg.targetType, 'ip');
  assert.equal(tg.protocol, 'TCP');
  assert.equal(tg.port, 8080);
  assert.equal(tg.vpcId, 'vpc-1');
  assert.deepEqual(tg.health, {
    HealthCheckProtocol: 'TCP',
    HealthCheckPort: 'traffic-port',
    HealthCheckIntervalSeconds: '10',
    HealthCheckTimeoutSeconds: '9',
    HealthyThresholdCount: '3',
    UnhealthyThresholdCount: '3',
  });
  assert.deepEqual(tg.tags, { ...owner, 'sluice.dev/service-port': 'http' });
  assert.deepEqual([...tg.targets.keys()].sort(), ['10.0.0.1:8080', '10.0.0.2:8080']);

  const [listener] = h.fake.listeners;
  assert.deepEqual([listener?.port, listener?.protocol, listener?.targetGroupArn], [80, 'TCP', tg.arn]);
  assert.deepEqual(listener?.tags, { ...owner, 'sluice.dev/service-port': 'http' });

  assert.deepEqual(h.takeOperations(), [
    'DescribeLoadBalancers',
    'DescribeSubnets',
    // The NLB's own security group first (an NLB created without one never gets one), then its client rules.
    'DescribeSubnets',
    'DescribeSecurityGroups',
    'CreateSecurityGroup',
    'CreateLoadBalancer',
    'DescribeVpcs',
    'AuthorizeSecurityGroupIngress',
    // The pods' groups (none tagged for the cluster here) and the Service's rules in them.
    'DescribeSecurityGroups',
    'DescribeSecurityGroupRules',
    'DescribeTargetGroups',
    'CreateTargetGroup',
    'RegisterTargets',
    'CreateListener',
  ]);
  // Both pods are in the VPC's 10.0.0.0/16: AWS detects their zone, so none is sent.
  const sent = h.server.calls.find((c) => c.action === 'RegisterTargets')!;
  assert.deepEqual([...sent.params.keys()].filter((k) => k.includes('AvailabilityZone')), []);
});

test('the provider health-check interval is what unannotated target groups get, and the poll the core uses; the annotation still wins per Service', async () => {
  const fast = await startHarness({ healthCheckIntervalSeconds: 5 });
  try {
    assert.equal(fast.provider.capabilities.healthCheckIntervalMs, 5_000);
    await fast.provider.ensureLoadBalancer(CLUSTER, web, [], signal);
    // The timeout is lowered below the interval, as NLB requires.
    assert.deepEqual([fast.fake.targetGroups[0]?.health['HealthCheckIntervalSeconds'], fast.fake.targetGroups[0]?.health['HealthCheckTimeoutSeconds']], ['5', '4']);
    const slow = service([{}], { 'sluice.dev/aws-healthcheck-interval': '20' }, 'uid-2');
    await fast.provider.ensureLoadBalancer(CLUSTER, slow, [], signal);
    assert.equal(fast.fake.targetGroups[1]?.health['HealthCheckIntervalSeconds'], '20');
  } finally {
    await fast.close();
  }
});

test('a second ensure with nothing changed makes no write call', async () => {
  const backends = [backend('10.0.0.1')];
  await h.provider.ensureLoadBalancer(CLUSTER, web, backends, signal);
  h.takeOperations();
  await h.provider.ensureLoadBalancer(CLUSTER, web, backends, signal);
  const ops = h.takeOperations();
  assert.deepEqual(
    ops.filter((o) => WRITE.test(o)),
    [],
  );
  assert.deepEqual(ops, [
    'DescribeLoadBalancers',
    'DescribeLoadBalancerAttributes',
    'DescribeSecurityGroups',
    'DescribeSecurityGroupRules',
    'DescribeSecurityGroups',
    'DescribeSecurityGroupRules',
    'DescribeTargetGroups',
    'DescribeTargetGroupAttributes',
    'DescribeTargetHealth',
    'DescribeListeners',
  ]);
});

test('an idle resync costs one DescribeLoadBalancers and one DescribeTargetHealth per port, even after a restart warms up', async () => {
  const two = service([{}, { name: 'metrics', port: 9090, targetPort: 9090 }]);
  await h.provider.ensureLoadBalancer(CLUSTER, two, [backend('10.0.0.1')], signal);
  h.takeOperations();
  await h.provider.getLoadBalancer(CLUSTER, two, signal);
  await h.provider.getBackendHealth(CLUSTER, two, signal);
  assert.deepEqual(h.takeOperations(), ['DescribeLoadBalancers', 'DescribeTargetHealth', 'DescribeTargetHealth']);

  // A new provider (a controller restart) learns the ARNs once, then resyncs as cheaply.
  const ops: string[] = [];
  const restarted = new AwsLoadBalancer({
    clusterName: CLUSTER,
    elbv2Client: h.provider.options.elbv2Client!,
    ec2Client: h.provider.options.ec2Client!,
    log: { debug: (m, f) => void (m === 'aws call' && ops.push(String(f?.['operation']))), info() {}, warn() {}, error() {} },
  });
  await restarted.getLoadBalancer(CLUSTER, two, signal);
  await restarted.getBackendHealth(CLUSTER, two, signal);
  assert.deepEqual(ops.splice(0), ['DescribeLoadBalancers', 'DescribeTags', 'DescribeTargetGroups', 'DescribeTargetHealth', 'DescribeTargetHealth']);
  await restarted.getLoadBalancer(CLUSTER, two, signal);
  await restarted.getBackendHealth(CLUSTER, two, signal);
  assert.deepEqual(ops, ['DescribeLoadBalancers', 'DescribeTargetHealth', 'DescribeTargetHealth']);
});

test('getLoadBalancer and getBackendHealth of an absent load balancer: exists false, no backends', async () => {
  assert.deepEqual(await h.provider.getLoadBalancer(CLUSTER, web, signal), { exists: false });
  assert.deepEqual(await h.provider.getBackendHealth(CLUSTER, web, signal), []);
  assert.deepEqual(h.takeOperations(), ['DescribeLoadBalancers', 'DescribeLoadBalancers']);
});

test('updateLoadBalancer registers and deregisters only the difference, and nothing when nothing differs', async () => {
  await h.provider.ensureLoadBalancer(CLUSTER, web, [backend('10.0.0.1'), backend('10.0.0.2')], signal);
  h.takeOperations();
  // The ensure described the group: the updates diff against what it showed, plus their own changes.
  await h.provider.updateLoadBalancer(CLUSTER, web, [backend('10.0.0.1'), backend('10.0.0.2')], signal);
  assert.deepEqual(h.takeOperations(), []);
  await h.provider.updateLoadBalancer(CLUSTER, web, [backend('10.0.0.2'), backend('10.0.0.3')], signal);
  assert.deepEqual(h.takeOperations(), ['RegisterTargets', 'DeregisterTargets']);
  const calls = h.server.calls.filter((c) => c.action === 'RegisterTargets' || c.action === 'DeregisterTargets').slice(-2);
  assert.equal(calls[0]?.params.get('Targets.member.1.Id'), '10.0.0.3');
  assert.equal(calls[1]?.params.get('Targets.member.1.Id'), '10.0.0.1');
  assert.equal(calls[1]?.params.get('Targets.member.2.Id'), null);
});

test('health reads and updates: one DescribeTargetHealth per port per poll, none per update; what a poll shows is what the next update diffs against', async () => {
  await h.provider.ensureLoadBalancer(CLUSTER, web, [backend('10.0.0.1')], signal);
  h.takeOperations();
  for (let poll = 0; poll < 3; poll++) {
    await h.provider.getBackendHealth(CLUSTER, web, signal);
    await h.provider.updateLoadBalancer(CLUSTER, web, [backend('10.0.0.1'), backend(`10.0.1.${poll}`)], signal);
  }
  const ops = h.takeOperations();
  assert.equal(ops.filter((o) => o === 'DescribeTargetHealth').length, 3, `3 polls, 3 reads: ${ops.join(', ')}`);
  assert.deepEqual(
    ops.filter((o) => o !== 'DescribeTargetHealth'),
    ['RegisterTargets', 'RegisterTargets', 'DeregisterTargets', 'RegisterTargets', 'DeregisterTargets'],
  );
  assert.deepEqual([...h.fake.targetGroups[0]!.targets.keys()].sort(), ['10.0.0.1:8080', '10.0.1.0:8080', '10.0.1.1:8080', '10.0.1.2:8080']);
  // Someone deregisters a target by hand: the next health read shows it, and the update puts it back.
  await h.provider.getBackendHealth(CLUSTER, web, signal);
  h.fake.targetGroups[0]!.targets.delete('10.0.0.1:8080');
  await h.provider.updateLoadBalancer(CLUSTER, web, [backend('10.0.0.1'), backend('10.0.1.2')], signal);
  assert.deepEqual(h.takeOperations(), ['DescribeTargetHealth'], 'unseen until the next health read');
  await h.provider.getBackendHealth(CLUSTER, web, signal);
  await h.provider.updateLoadBalancer(CLUSTER, web, [backend('10.0.0.1'), backend('10.0.1.2')], signal);
  assert.deepEqual(h.takeOperations(), ['DescribeTargetHealth', 'RegisterTargets']);
  assert.ok(h.fake.targetGroups[0]!.targets.has('10.0.0.1:8080'));
});

test('updateLoadBalancer before the load balancer exists is retryable', async () => {
  await assert.rejects(h.provider.updateLoadBalancer(CLUSTER, web, [backend('10.0.0.1')], signal), (e: unknown) => isRetryableError(e) && /does not exist yet/.test((e as Error).message));
});

test('a removed Service port loses its listener and its target group; the other port is untouched', async () => {
  const two = service([{}, { name: 'dns', port: 53, protocol: 'UDP', targetPort: 5353 }]);
  await h.provider.ensureLoadBalancer(CLUSTER, two, [backend('10.0.0.1'), backend('10.0.0.1', 1, 'dns', 5353)], signal);
  assert.deepEqual(
    h.fake.targetGroups.map((g) => g.protocol),
    ['TCP', 'UDP'],
  );
  h.takeOperations();
  await h.provider.ensureLoadBalancer(CLUSTER, web, [backend('10.0.0.1')], signal);
  assert.deepEqual(
    h.takeOperations().filter((o) => WRITE.test(o)),
    ['DeleteListener', 'DeleteTargetGroup'],
  );
  assert.deepEqual(
    h.fake.listeners.map((l) => l.port),
    [80],
  );
  assert.deepEqual(
    h.fake.targetGroups.map((g) => g.protocol),
    ['TCP'],
  );
});

test('bad annotations: ensure throws the validate sentences before any AWS call', async () => {
  const bad = service([{}], { 'sluice.dev/aws-healthcheck-interval': '1' });
  assert.equal(h.provider.validate(bad).length, 1);
  await assert.rejects(h.provider.ensureLoadBalancer(CLUSTER, bad, [], signal), (e: unknown) => isTerminalError(e) && /aws-healthcheck-interval="1" is invalid/.test((e as Error).message));
  const sctp = service([{ protocol: 'SCTP' }]);
  await assert.rejects(h.provider.ensureLoadBalancer(CLUSTER, sctp, [], signal), (e: unknown) => isTerminalError(e) && /protocol="SCTP" is not supported by the aws provider/.test((e as Error).message));
  assert.deepEqual(h.takeOperations(), []);
});

test('no tagged subnet: a terminal sentence saying how to tag or annotate, and nothing created', async () => {
  h.fake.subnets.length = 0;
  await assert.rejects(
    h.provider.ensureLoadBalancer(CLUSTER, web, [], signal),
    (e: unknown) =>
      isTerminalError(e) &&
      (e as Error).message ===
        'Cannot place the internal load balancer of Service shop/web: no subnet is tagged kubernetes.io/role/internal-elb=1; tag one subnet per availability zone with kubernetes.io/role/internal-elb=1 (and kubernetes.io/cluster/c1=shared or owned), or set the annotation sluice.dev/aws-subnets to subnet IDs or Name tags.',
  );
  assert.equal(h.fake.loadBalancers.length, 0);
});

test('an aborted signal rejects every method with its reason and sends nothing', async () => {
  const ac = new AbortController();
  const reason = new Error('controller stopping');
  ac.abort(reason);
  for (const call of [
    () => h.provider.getLoadBalancer(CLUSTER, web, ac.signal),
    () => h.provider.ensureLoadBalancer(CLUSTER, web, [], ac.signal),
    () => h.provider.updateLoadBalancer(CLUSTER, web, [], ac.signal),
    () => h.provider.getBackendHealth(CLUSTER, web, ac.signal),
    () => h.provider.ensureLoadBalancerDeleted(CLUSTER, web, ac.signal),
  ]) {
    await assert.rejects(call(), (e: unknown) => e === reason);
  }
  assert.deepEqual(h.server.calls, []);
});

test('every AWS call is logged at debug as "aws call" with its operation and outcome', async () => {
  await h.provider.getLoadBalancer(CLUSTER, web, signal);
  const line = h.lines.find((l) => l.message === 'aws call');
  assert.equal(line?.level, 'debug');
  assert.equal(line?.fields['operation'], 'DescribeLoadBalancers');
  assert.equal(line?.fields['outcome'], 'LoadBalancerNotFound');
});
