/**
 * The aws provider deleting a Service's stack against the fake AWS: the load balancer, its
 * target groups, the rules Sluice added and its security group; what it does not own
 * survives; resources deleted by hand are found missing and re-created or skipped.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isRetryableError } from '@sluice/core';
import { backend, CLUSTER, harnessPerTest, service, signal } from './test-support/harness.ts';

const h = harnessPerTest();

const web = service();

test('delete removes the load balancer, then its target groups; a foreign target group survives; a second delete is a no-op', async () => {
  const two = service([{}, { name: 'metrics', port: 9090, targetPort: 9090 }]);
  await h.provider.ensureLoadBalancer(CLUSTER, two, [backend('10.0.0.1')], signal);
  h.fake.targetGroups.push({ ...h.fake.targetGroups[0]!, arn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/foreign/1', name: 'foreign', tags: { owner: 'x' }, targets: new Map() });
  h.takeOperations();
  await h.provider.ensureLoadBalancerDeleted(CLUSTER, two, signal);
  assert.deepEqual(h.takeOperations(), [
    'DescribeLoadBalancers',
    'DescribeTags',
    'DescribeTargetGroups',
    'DeleteLoadBalancer',
    'DescribeTargetGroups',
    'DescribeTags',
    'DeleteTargetGroup',
    'DeleteTargetGroup',
    // The Service's rules (by their tags), then its security group.
    'DescribeSecurityGroupRules',
    'RevokeSecurityGroupIngress',
    'DescribeSecurityGroups',
    'DeleteSecurityGroup',
  ]);
  assert.deepEqual(h.fake.loadBalancers, []);
  assert.deepEqual(h.fake.ec2.securityGroups, [], 'its security group is gone');
  assert.deepEqual(
    h.fake.targetGroups.map((g) => g.name),
    ['foreign'],
  );
  await h.provider.ensureLoadBalancerDeleted(CLUSTER, two, signal);
  assert.deepEqual(h.takeOperations(), ['DescribeLoadBalancers', 'DescribeTargetGroups', 'DescribeSecurityGroupRules', 'DescribeSecurityGroups']);
  assert.deepEqual(await h.provider.getBackendHealth(CLUSTER, two, signal), []);
});

test('delete finishes a target group a previous delete left behind (ResourceInUse is retryable)', async () => {
  await h.provider.ensureLoadBalancer(CLUSTER, web, [], signal);
  h.fake.fail('DeleteTargetGroup', { code: 'ResourceInUse', message: 'Target group is currently in use by a listener or a rule', times: 1 });
  await assert.rejects(h.provider.ensureLoadBalancerDeleted(CLUSTER, web, signal), (e: unknown) => isRetryableError(e) && /ResourceInUse/.test((e as Error).message));
  assert.equal(h.fake.loadBalancers.length, 0);
  assert.equal(h.fake.targetGroups.length, 1);
  await h.provider.ensureLoadBalancerDeleted(CLUSTER, web, signal);
  assert.equal(h.fake.targetGroups.length, 0);
});

test('a target group deleted by hand: health skips it, and the next update re-creates it', async () => {
  await h.provider.ensureLoadBalancer(CLUSTER, web, [backend('10.0.0.1')], signal);
  await h.provider.getBackendHealth(CLUSTER, web, signal);
  // Someone deletes the listener and the target group behind Sluice's back.
  h.fake.listeners.length = 0;
  h.fake.targetGroups.length = 0;
  assert.deepEqual(await h.provider.getBackendHealth(CLUSTER, web, signal), []);
  await h.provider.updateLoadBalancer(CLUSTER, web, [backend('10.0.0.1')], signal);
  assert.equal(h.fake.targetGroups.length, 1);
  assert.equal(h.fake.listeners.length, 1);
  assert.deepEqual([...h.fake.targetGroups[0]!.targets.keys()], ['10.0.0.1:8080']);
});

test('a load balancer deleted by hand: the next getLoadBalancer says so and health is empty', async () => {
  await h.provider.ensureLoadBalancer(CLUSTER, web, [backend('10.0.0.1')], signal);
  h.fake.loadBalancers.length = 0;
  h.fake.listeners.length = 0;
  assert.deepEqual(await h.provider.getLoadBalancer(CLUSTER, web, signal), { exists: false });
  h.fake.targetGroups.length = 0;
  assert.deepEqual(await h.provider.getBackendHealth(CLUSTER, web, signal), []);
});
