/**
 * Where targets sit relative to the NLB: `AvailabilityZone: all` outside the VPC's CIDR blocks
 * (ELBv2 API reference, RegisterTargets / TargetDescription), nothing inside; a pod in a zone
 * the NLB has no subnet in is logged. Pure parts table-driven, the rest against the fake ELBv2
 * and EC2 on a real socket.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { backendKey, isBackendRejectedError, isTerminalError } from '@sluice/core';
import { backendsInUnservedZones, ipv4InCidr, targetZone } from './target-placement.ts';
import { backend, CLUSTER, type Harness, service, signal, startHarness, WRITE } from './test-support/harness.ts';

describe('pure placement', () => {
  test('ipv4InCidr', () => {
    const cases: [string, string, boolean][] = [
      ['10.0.3.4', '10.0.0.0/16', true],
      ['10.1.0.1', '10.0.0.0/16', false],
      ['100.64.200.1', '100.64.0.0/10', true],
      ['100.128.0.1', '100.64.0.0/10', false],
      ['1.2.3.4', '0.0.0.0/0', true],
      ['10.0.0.1', '10.0.0.1/32', true],
      ['10.0.0.2', '10.0.0.1/32', false],
      ['fd00::1', '10.0.0.0/8', false],
      ['10.0.0.256', '10.0.0.0/8', false],
      ['10.0.0.1', '10.0.0.0/33', false],
    ];
    for (const [ip, cidr, want] of cases) assert.equal(ipv4InCidr(ip, cidr), want, `${ip} in ${cidr}`);
  });

  test('targetZone: all outside every block of the VPC, none inside', () => {
    const vpc = ['10.0.0.0/16', '100.64.0.0/16'];
    assert.equal(targetZone('10.0.9.9', vpc), undefined);
    assert.equal(targetZone('100.64.1.1', vpc), undefined, 'a secondary block is the VPC too');
    assert.equal(targetZone('192.168.1.1', vpc), 'all');
    assert.equal(targetZone('10.1.0.1', []), 'all');
  });

  test('backendsInUnservedZones: in the VPC, zone known, and not an NLB zone', () => {
    const vpc = ['10.0.0.0/16'];
    const b = (ip: string, zone?: string) => ({ ip, podName: `pod-${ip}`, ...(zone ? { zone } : {}) });
    const backends = [b('10.0.0.1', 'us-east-1a'), b('10.0.0.2', 'us-east-1c'), b('10.0.0.3'), b('192.168.0.4', 'us-east-1c')];
    assert.deepEqual(
      backendsInUnservedZones(backends, vpc, ['us-east-1a', 'us-east-1b']).map((x) => x.ip),
      ['10.0.0.2'],
    );
    assert.deepEqual(backendsInUnservedZones(backends, vpc, []), [], 'zones unknown: nothing to say');
  });
});

describe('registrations against the fake', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.close();
  });
  const web = service();
  const zoneParams = () =>
    h.server.calls
      .filter((c) => c.action === 'RegisterTargets' || c.action === 'DeregisterTargets')
      .map((c) => [c.action, Object.fromEntries([...c.params].filter(([k]) => k.startsWith('Targets.')))] as const);

  test('a pod outside the VPC is registered and deregistered with AvailabilityZone all; one in a secondary block without; the VPC is described once', async () => {
    // 192.168.0.0/16 was disassociated from vpc-1, so 192.168.7.7 is outside it; 10.1.0.0/16 is a secondary block.
    await h.provider.ensureLoadBalancer(CLUSTER, web, [backend('10.1.0.5'), backend('192.168.7.7')], signal);
    const [tg] = h.fake.targetGroups;
    assert.equal(tg!.targets.get('192.168.7.7:8080')?.zone, 'all');
    assert.equal(tg!.targets.get('10.1.0.5:8080')?.zone, undefined);

    await h.provider.getBackendHealth(CLUSTER, web, signal);
    await h.provider.updateLoadBalancer(CLUSTER, web, [backend('10.1.0.5'), backend('172.20.0.1')], signal);
    assert.equal(tg!.targets.get('192.168.7.7:8080')?.state, 'draining');
    assert.deepEqual(zoneParams(), [
      ['RegisterTargets', { 'Targets.member.1.Id': '10.1.0.5', 'Targets.member.1.Port': '8080', 'Targets.member.2.Id': '192.168.7.7', 'Targets.member.2.Port': '8080', 'Targets.member.2.AvailabilityZone': 'all' }],
      ['RegisterTargets', { 'Targets.member.1.Id': '172.20.0.1', 'Targets.member.1.Port': '8080', 'Targets.member.1.AvailabilityZone': 'all' }],
      ['DeregisterTargets', { 'Targets.member.1.Id': '192.168.7.7', 'Targets.member.1.Port': '8080', 'Targets.member.1.AvailabilityZone': 'all' }],
    ]);
    assert.equal(h.fake.actions.filter((a) => a === 'DescribeVpcs').length, 1);
  });

  test('the VPC is read once: for the default client range of an internal NLB, and registrations later reuse it', async () => {
    await h.provider.ensureLoadBalancer(CLUSTER, web, [], signal);
    assert.equal(h.fake.actions.filter((a) => a === 'DescribeVpcs').length, 1);
    await h.provider.getBackendHealth(CLUSTER, web, signal);
    await h.provider.updateLoadBalancer(CLUSTER, web, [backend('192.168.7.7')], signal);
    assert.equal(h.fake.actions.filter((a) => a === 'DescribeVpcs').length, 1);
    assert.equal(h.fake.targetGroups[0]!.targets.get('192.168.7.7:8080')?.zone, 'all');
  });

  test('a registration AWS rejects makes the VPC be read again, so a newly associated block is seen', async () => {
    await h.provider.ensureLoadBalancer(CLUSTER, web, [backend('10.2.0.1')], signal);
    assert.equal(h.fake.targetGroups[0]!.targets.get('10.2.0.1:8080')?.zone, 'all', 'outside the VPC as it was then');
    // A pod CIDR block is associated afterwards: AWS now refuses `all` for addresses in it.
    h.fake.vpcs[0]!.associations.push({ cidr: '10.2.0.0/16', state: 'associated' });
    await h.provider.getBackendHealth(CLUSTER, web, signal);
    await assert.rejects(h.provider.updateLoadBalancer(CLUSTER, web, [backend('10.2.0.1'), backend('10.2.0.2')], signal), (e: unknown) => isTerminalError(e));
    await h.provider.updateLoadBalancer(CLUSTER, web, [backend('10.2.0.1'), backend('10.2.0.2')], signal);
    assert.equal(h.fake.targetGroups[0]!.targets.get('10.2.0.2:8080')?.state, 'initial');
    assert.equal(h.fake.targetGroups[0]!.targets.get('10.2.0.2:8080')?.zone, undefined);
    assert.equal(h.fake.actions.filter((a) => a === 'DescribeVpcs').length, 2);
  });

  test('a pod in a zone where the NLB has no subnet is registered and logged as a warning naming the pod, IP and zone', async () => {
    const lost = { ...backend('10.0.5.5'), zone: 'us-east-1c' };
    await h.provider.ensureLoadBalancer(CLUSTER, web, [{ ...backend('10.0.0.1'), zone: 'us-east-1a' }, lost], signal);
    assert.ok(h.fake.targetGroups[0]!.targets.has('10.0.5.5:8080'));
    // (The other warning says no pods' security group is tagged for the cluster in this fake.)
    const warnings = h.lines.filter((l) => l.level === 'warn' && !l.message.includes('security group'));
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!.message, /availability zone where the load balancer has no subnet/);
    assert.deepEqual(warnings[0]!.fields, { service: 'shop/web', pod: 'pod-10.0.5.5', ip: '10.0.5.5', zone: 'us-east-1c', loadBalancerZones: 'us-east-1a,us-east-1b' });
  });

  test('updateLoadBalancer refuses a pod in a zone the NLB has no subnet in, before any write; pods outside the VPC or in served zones pass', async () => {
    await h.provider.ensureLoadBalancer(CLUSTER, web, [], signal);
    h.takeOperations();
    const lost = { ...backend('10.0.5.5'), zone: 'us-east-1c' };
    const served = { ...backend('10.0.0.1'), zone: 'us-east-1a' };
    const peered = { ...backend('192.168.3.3'), zone: 'us-east-1c' };
    const draining = { ...backend('10.0.5.6', 0), zone: 'us-east-1c' };
    await assert.rejects(h.provider.updateLoadBalancer(CLUSTER, web, [served, lost, peered, draining], signal), (e: unknown) => {
      assert.ok(isBackendRejectedError(e));
      assert.deepEqual(e.rejected, [
        {
          key: backendKey(lost),
          message: `Pod shop/pod-10.0.5.5 (10.0.5.5) is in availability zone us-east-1c, where load balancer ${h.fake.loadBalancers[0]!.name} has no subnet (it has us-east-1a, us-east-1b), so AWS would keep its target unused: add a subnet in us-east-1c to the load balancer (sluice.dev/aws-subnets) or schedule the pod in us-east-1a, us-east-1b.`,
        },
      ]);
      return true;
    });
    assert.deepEqual(
      h.takeOperations().filter((o) => WRITE.test(o)),
      [],
      'nothing written',
    );
    // The core sends the rest again.
    await h.provider.updateLoadBalancer(CLUSTER, web, [served, peered], signal);
    assert.deepEqual([...h.fake.targetGroups[0]!.targets.keys()].sort(), ['10.0.0.1:8080', '192.168.3.3:8080']);
  });
});
