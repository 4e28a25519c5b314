/**
 * Security groups against the fake EC2 (real sockets, the real SDK): the NLB is created with
 * its own tagged group, whose inbound rules are the Service's source ranges (or the
 * documented default per scheme) and follow changes without a new NLB; the pods' group
 * (tagged for the cluster) gets tagged rules from the NLB's group on the target and
 * health-check ports, which delete removes with the group while a foreign rule survives;
 * with the rules not managed, nothing is written and the health reason names the missing rule.
 */
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { isTerminalError, type ServiceSpecView } from '@sluice/core';
import { serviceView } from '@sluice/core/testing';
import type { FakeRule } from './test-support/fake-aws.ts';
import { backend, CLUSTER, type Harness, type HarnessOptions, service, signal, startHarness, WRITE } from './test-support/harness.ts';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

const OWNER = { 'sluice.dev/cluster': 'c1', 'sluice.dev/service-namespace': 'shop', 'sluice.dev/service-name': 'web', 'sluice.dev/service-uid': 'uid-1', 'sluice.dev/managed-by': 'sluice' };

const web = (f: Partial<ServiceSpecView> = {}) => serviceView({ ports: [{}], ...f });

async function start(options: HarnessOptions = {}) {
  h = await startHarness(options);
  const pods = h.fake.ec2.addSecurityGroup('eks-cluster-sg', { 'kubernetes.io/cluster/c1': 'owned' });
  // Someone else's rule in the pods' group: never touched.
  h.fake.ec2.rules.push({ id: 'sgr-foreign', groupId: pods.id, protocol: 'tcp', fromPort: 22, toPort: 22, cidr: '10.0.0.0/8', tags: {} });
  return pods.id;
}

const nlbGroup = () => h.fake.loadBalancers[0]?.securityGroups?.[0];
const rulesOf = (groupId: string | undefined) =>
  h.fake.ec2.rules
    .filter((r) => r.groupId === groupId)
    .map((r: FakeRule) => `${r.protocol}/${r.fromPort} from ${r.cidr ?? r.fromGroup}`)
    .sort();

test('the NLB is created with its own tagged security group; an internal NLB admits the VPC, an internet-facing one everyone', async () => {
  await start();
  await h.provider.ensureLoadBalancer(CLUSTER, web(), [backend('10.0.0.1')], signal);
  const group = h.fake.ec2.securityGroups.find((g) => g.id === nlbGroup());
  assert.ok(group, 'the NLB has a security group');
  assert.deepEqual(group.tags, OWNER);
  assert.deepEqual(rulesOf(group.id), ['tcp/80 from 10.0.0.0/16', 'tcp/80 from 10.1.0.0/16'], "internal: the VPC's associated blocks");
  assert.ok(
    h.fake.ec2.rules.filter((r) => r.groupId === group.id).every((r) => r.tags['sluice.dev/service-uid'] === 'uid-1'),
    'every rule carries the ownership tags',
  );

  const outside = web({ uid: 'uid-2', name: 'public', annotations: { 'sluice.dev/aws-scheme': 'internet-facing', 'sluice.dev/aws-subnets': 'subnet-0a1' } });
  await h.provider.ensureLoadBalancer(CLUSTER, outside, [backend('10.0.0.2')], signal);
  const publicGroup = h.fake.loadBalancers[1]?.securityGroups?.[0];
  assert.notEqual(publicGroup, group.id);
  assert.deepEqual(rulesOf(publicGroup), ['tcp/80 from 0.0.0.0/0']);
});

test('source ranges become the inbound rules; changing them changes the group, not the NLB', async () => {
  await start();
  await h.provider.ensureLoadBalancer(CLUSTER, web({ sourceRanges: ['203.0.113.0/24', '198.51.100.7/32'] }), [backend('10.0.0.1')], signal);
  const group = nlbGroup();
  assert.deepEqual(rulesOf(group), ['tcp/80 from 198.51.100.7/32', 'tcp/80 from 203.0.113.0/24']);
  h.takeOperations();
  await h.provider.ensureLoadBalancer(CLUSTER, web({ sourceRanges: ['203.0.113.0/24', '192.0.2.0/24'] }), [backend('10.0.0.1')], signal);
  assert.deepEqual(rulesOf(group), ['tcp/80 from 192.0.2.0/24', 'tcp/80 from 203.0.113.0/24']);
  const writes = h.takeOperations().filter((o) => WRITE.test(o) || o.startsWith('Authorize') || o.startsWith('Revoke'));
  assert.deepEqual(writes, ['RevokeSecurityGroupIngress', 'AuthorizeSecurityGroupIngress'], 'one revoke, one authorize, no new load balancer');
  assert.equal(h.fake.loadBalancers.length, 1);
});

test("the pods' group gets tagged rules from the NLB's group on the target and health-check ports; delete removes them and the NLB's group, a foreign rule survives", async () => {
  const pods = await start();
  const svc = web({ annotations: { 'sluice.dev/aws-healthcheck-port': '9000' } });
  await h.provider.ensureLoadBalancer(CLUSTER, svc, [backend('10.0.0.1')], signal);
  const group = nlbGroup();
  assert.deepEqual(rulesOf(pods), ['tcp/22 from 10.0.0.0/8', `tcp/8080 from ${group}`, `tcp/9000 from ${group}`].sort());
  assert.ok(h.fake.ec2.rules.filter((r) => r.groupId === pods && r.fromGroup === group).every((r) => r.tags['sluice.dev/service-uid'] === 'uid-1'));

  h.takeOperations();
  await h.provider.ensureLoadBalancer(CLUSTER, svc, [backend('10.0.0.1')], signal);
  assert.deepEqual(
    h.takeOperations().filter((o) => /^(Authorize|Revoke|Create|Delete)/.test(o)),
    [],
    'a second ensure writes no rule',
  );

  await h.provider.ensureLoadBalancerDeleted(CLUSTER, svc, signal);
  assert.deepEqual(rulesOf(pods), ['tcp/22 from 10.0.0.0/8'], 'only the foreign rule is left');
  assert.ok(!h.fake.ec2.securityGroups.some((g) => g.id === group), "the NLB's group is deleted");
  assert.ok(h.fake.ec2.securityGroups.some((g) => g.id === pods), "the pods' group stays");
});

test('with the rules not managed nothing is written to the pods group, and an unhealthy target says which rule is missing', async () => {
  const pods = await start({ backendSecurityGroupRules: 'off' });
  await h.provider.ensureLoadBalancer(CLUSTER, web(), [backend('10.0.0.1')], signal);
  assert.deepEqual(rulesOf(pods), ['tcp/22 from 10.0.0.0/8']);
  h.fake.setHealth('10.0.0.1', 8080, 'unhealthy', 'Target.Timeout', 'Request timed out');
  const [status] = await h.provider.getBackendHealth(CLUSTER, web(), signal);
  assert.equal(status?.health, 'unhealthy');
  assert.equal(
    status?.reason,
    `Target.Timeout: Request timed out; security group ${pods} has no inbound rule allowing TCP port 8080 from the load balancer's security group ${nlbGroup()} (Sluice is told not to manage the pods' security group rules)`,
  );

  // Once someone adds the rule, the next ensure finds nothing missing.
  h.fake.ec2.rules.push({ id: 'sgr-by-hand', groupId: pods, protocol: 'tcp', fromPort: 8080, toPort: 8080, fromGroup: nlbGroup()!, tags: {} });
  await h.provider.ensureLoadBalancer(CLUSTER, web(), [backend('10.0.0.1')], signal);
  const [again] = await h.provider.getBackendHealth(CLUSTER, web(), signal);
  assert.equal(again?.reason, 'Target.Timeout: Request timed out');
});

test("with the rules not managed, an operator's rule admitting the whole VPC (where the NLB's addresses are) counts; one admitting part of it does not", async () => {
  const pods = await start({ backendSecurityGroupRules: 'off' });
  // The fake VPC's blocks are 10.0.0.0/16 and 10.1.0.0/16.
  h.fake.ec2.rules.push({ id: 'sgr-part', groupId: pods, protocol: 'tcp', fromPort: 8080, toPort: 8080, cidr: '10.0.0.0/16', tags: {} });
  await h.provider.ensureLoadBalancer(CLUSTER, web(), [backend('10.0.0.1')], signal);
  h.fake.setHealth('10.0.0.1', 8080, 'unhealthy', 'Target.Timeout', 'Request timed out');
  const [partly] = await h.provider.getBackendHealth(CLUSTER, web(), signal);
  assert.match(partly?.reason ?? '', /has no inbound rule allowing TCP port 8080/);

  h.fake.ec2.rules.push({ id: 'sgr-vpc', groupId: pods, protocol: 'tcp', fromPort: 8000, toPort: 8100, cidr: '10.0.0.0/15', tags: {} });
  await h.provider.ensureLoadBalancer(CLUSTER, web(), [backend('10.0.0.1')], signal);
  const [covered] = await h.provider.getBackendHealth(CLUSTER, web(), signal);
  assert.equal(covered?.reason, 'Target.Timeout: Request timed out');
});

test('source ranges on an NLB created without a security group are refused in one sentence', async () => {
  await start();
  await h.provider.ensureLoadBalancer(CLUSTER, web(), [backend('10.0.0.1')], signal);
  h.fake.loadBalancers[0]!.securityGroups = [];
  await assert.rejects(h.provider.ensureLoadBalancer(CLUSTER, web({ sourceRanges: ['203.0.113.0/24'] }), [backend('10.0.0.1')], signal), (e: unknown) => {
    assert.ok(isTerminalError(e));
    assert.match(e.message, /has no Sluice security group .* so the ranges cannot be enforced: delete and re-create the Service/);
    return true;
  });
});

test("the pods' rules follow the target ports the backends bring (a named targetPort is only known from the pods); an update on known ports reads nothing more", async () => {
  const pods = await start();
  const named = service([{ targetPort: 'http' }]);
  await h.provider.ensureLoadBalancer(CLUSTER, named, [], signal);
  assert.deepEqual(rulesOf(pods), ['tcp/22 from 10.0.0.0/8'], 'no pod yet: no port to allow');
  await h.provider.getBackendHealth(CLUSTER, named, signal);
  await h.provider.updateLoadBalancer(CLUSTER, named, [backend('10.0.0.1', 1, 'http', 9376)], signal);
  assert.deepEqual(rulesOf(pods), ['tcp/22 from 10.0.0.0/8', `tcp/9376 from ${nlbGroup()}`]);
  h.takeOperations();
  await h.provider.updateLoadBalancer(CLUSTER, named, [backend('10.0.0.1', 1, 'http', 9376), backend('10.0.0.2', 1, 'http', 9376)], signal);
  assert.deepEqual(h.takeOperations(), ['RegisterTargets'], 'same ports: no security-group call');
  // A moment without backends (between the last old pod and the first new one) revokes nothing.
  await h.provider.updateLoadBalancer(CLUSTER, named, [], signal);
  assert.deepEqual(rulesOf(pods), ['tcp/22 from 10.0.0.0/8', `tcp/9376 from ${nlbGroup()}`]);
  assert.ok(!h.takeOperations().some((o) => o.includes('SecurityGroup')));
});
