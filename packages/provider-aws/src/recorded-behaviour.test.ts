/**
 * What moto does not model, against recorded ELBv2 responses served over real sockets:
 * health transitions, draining, throttling, a failure in the middle of a batch, and a
 * foreign load balancer that has Sluice's name.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, test } from 'node:test';
import { isRetryableError, isTerminalError } from '@sluice/core';
import { backend, CLUSTER, type Harness, manyBackends, service, signal, startHarness, WRITE } from './test-support/harness.ts';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

const web = service();

test('a new target is initial with the registration reason, then healthy once AWS says so', async () => {
  await h.provider.ensureLoadBalancer(CLUSTER, web, [backend('10.0.0.1')], signal);
  assert.deepEqual(await h.provider.getBackendHealth(CLUSTER, web, signal), [
    { servicePort: 'http', ip: '10.0.0.1', port: 8080, weight: 1, health: 'initial', reason: 'Elb.RegistrationInProgress: Target registration is in progress' },
  ]);
  h.fake.setHealth('10.0.0.1', 8080, 'unhealthy', 'Target.FailedHealthChecks', 'Health checks failed');
  assert.deepEqual(await h.provider.getBackendHealth(CLUSTER, web, signal), [
    { servicePort: 'http', ip: '10.0.0.1', port: 8080, weight: 1, health: 'unhealthy', reason: 'Target.FailedHealthChecks: Health checks failed' },
  ]);
  h.fake.setHealth('10.0.0.1', 8080, 'healthy');
  assert.deepEqual(await h.provider.getBackendHealth(CLUSTER, web, signal), [{ servicePort: 'http', ip: '10.0.0.1', port: 8080, weight: 1, health: 'healthy' }]);
});

test('a drained target is reported draining with weight 0 and is never deregistered twice', async () => {
  await h.provider.ensureLoadBalancer(CLUSTER, web, [backend('10.0.0.1'), backend('10.0.0.2')], signal);
  h.fake.setHealth('10.0.0.1', 8080, 'healthy');
  h.fake.setHealth('10.0.0.2', 8080, 'healthy');
  h.takeOperations();

  // The pod is terminating: the core asks for weight 0 (the ensure's read stands for the update).
  await h.provider.updateLoadBalancer(CLUSTER, web, [backend('10.0.0.1'), backend('10.0.0.2', 0)], signal);
  assert.deepEqual(h.takeOperations(), ['DeregisterTargets']);
  const health = await h.provider.getBackendHealth(CLUSTER, web, signal);
  assert.deepEqual(
    health.find((b) => b.ip === '10.0.0.2'),
    { servicePort: 'http', ip: '10.0.0.2', port: 8080, weight: 0, health: 'draining', reason: 'Target.DeregistrationInProgress: Target deregistration is in progress' },
  );
  h.takeOperations();

  // Asked again (weight 0), then the pod exits (gone from the set) while AWS still drains: no call.
  await h.provider.updateLoadBalancer(CLUSTER, web, [backend('10.0.0.1'), backend('10.0.0.2', 0)], signal);
  await h.provider.updateLoadBalancer(CLUSTER, web, [backend('10.0.0.1')], signal);
  assert.deepEqual(h.takeOperations(), []);

  // The deregistration delay ends: AWS forgets the target.
  h.fake.finishDraining();
  assert.deepEqual(
    (await h.provider.getBackendHealth(CLUSTER, web, signal)).map((b) => b.ip),
    ['10.0.0.1'],
  );
});

test('unhealthy.draining counts as draining too', async () => {
  await h.provider.ensureLoadBalancer(CLUSTER, web, [backend('10.0.0.1'), backend('10.0.0.2')], signal);
  h.fake.setHealth('10.0.0.2', 8080, 'unhealthy.draining', 'Target.DeregistrationInProgress');
  h.takeOperations();
  // The core reads health before it decides: the update diffs against that read.
  const drained = (await h.provider.getBackendHealth(CLUSTER, web, signal)).find((b) => b.ip === '10.0.0.2');
  assert.equal(drained?.health, 'draining');
  assert.equal(drained?.weight, 0);
  await h.provider.updateLoadBalancer(CLUSTER, web, [backend('10.0.0.1')], signal);
  assert.deepEqual(h.takeOperations(), ['DescribeTargetHealth']);
});

test('450 targets are registered in calls of 200, 200 and 50', async () => {
  await h.provider.ensureLoadBalancer(CLUSTER, web, [], signal);
  await h.provider.updateLoadBalancer(CLUSTER, web, manyBackends(450), signal);
  const sizes = h.server.calls.filter((c) => c.action === 'RegisterTargets').map((c) => [...c.params.keys()].filter((k) => k.endsWith('.Id')).length);
  assert.deepEqual(sizes, [200, 200, 50]);
  assert.equal(h.fake.targetGroups[0]?.targets.size, 450);
});

test('a batch failing in the middle: the error is classified, and the next call continues from what AWS has', async () => {
  await h.provider.ensureLoadBalancer(CLUSTER, web, [], signal);
  h.fake.fail('RegisterTargets', { code: 'InternalFailure', message: 'An internal error occurred', status: 500, after: 1, times: 1 });
  const wanted = manyBackends(450);
  await assert.rejects(
    h.provider.updateLoadBalancer(CLUSTER, web, wanted, signal),
    (e: unknown) => isRetryableError(e) && (e as Error).message === 'AWS RegisterTargets failed, will retry: InternalFailure: An internal error occurred',
  );
  assert.equal(h.fake.targetGroups[0]?.targets.size, 200, 'the first batch stayed registered');
  h.takeOperations();
  await h.provider.updateLoadBalancer(CLUSTER, web, wanted, signal);
  assert.deepEqual(h.takeOperations(), ['DescribeTargetHealth', 'RegisterTargets', 'RegisterTargets'], 'a retryable failure keeps the VPC CIDRs learnt');
  const sizes = h.server.calls.filter((c) => c.action === 'RegisterTargets').map((c) => [...c.params.keys()].filter((k) => k.endsWith('.Id')).length);
  assert.deepEqual(sizes, [200, 200, 200, 50], 'only the 250 missing targets were sent again');
  assert.equal(h.fake.targetGroups[0]?.targets.size, 450);
});

test('a validation error mid-batch is terminal and carries the AWS code and message', async () => {
  await h.provider.ensureLoadBalancer(CLUSTER, web, [], signal);
  h.fake.fail('RegisterTargets', { code: 'TooManyTargets', message: 'You have reached the maximum number of targets per target group', after: 1 });
  await assert.rejects(
    h.provider.updateLoadBalancer(CLUSTER, web, manyBackends(450), signal),
    (e: unknown) => isTerminalError(e) && (e as Error).message === 'AWS rejected RegisterTargets: TooManyTargets: You have reached the maximum number of targets per target group',
  );
});

test('throttling: the SDK retries up to maxAttempts, then a RetryableError names the throttle', async () => {
  const throttled = await startHarness({ maxAttempts: 2 });
  try {
    await throttled.provider.ensureLoadBalancer(CLUSTER, web, [], signal);
    throttled.fake.fail('DescribeTargetHealth', { code: 'Throttling', message: 'Rate exceeded' });
    const before = throttled.server.calls.length;
    await assert.rejects(
      throttled.provider.getBackendHealth(CLUSTER, web, signal),
      (e: unknown) => isRetryableError(e) && (e as Error).message === 'AWS throttled DescribeTargetHealth: Throttling: Rate exceeded' && (e as Error).cause !== undefined,
    );
    assert.deepEqual(
      throttled.server.calls.slice(before).map((c) => c.action),
      ['DescribeTargetHealth', 'DescribeTargetHealth'],
      'one try and one SDK retry',
    );
    // Once AWS stops throttling, the same call succeeds.
    throttled.fake.fail('DescribeTargetHealth', { code: 'Throttling', message: 'Rate exceeded', times: 0 });
    assert.deepEqual(await throttled.provider.getBackendHealth(CLUSTER, web, signal), []);
  } finally {
    await throttled.close();
  }
});

test('a foreign load balancer with Sluice\'s name: TerminalError naming it, and nothing is written or deleted', async () => {
  const name = h.provider.getLoadBalancerName(CLUSTER, web);
  const foreign = h.fake.addLoadBalancer(name, { team: 'payments' });
  for (const call of [
    () => h.provider.getLoadBalancer(CLUSTER, web, signal),
    () => h.provider.ensureLoadBalancer(CLUSTER, web, [backend('10.0.0.1')], signal),
    () => h.provider.updateLoadBalancer(CLUSTER, web, [backend('10.0.0.1')], signal),
    () => h.provider.getBackendHealth(CLUSTER, web, signal),
    () => h.provider.ensureLoadBalancerDeleted(CLUSTER, web, signal),
  ]) {
    await assert.rejects(call(), (e: unknown) => isTerminalError(e) && (e as Error).message.startsWith(`Load balancer ${name} (${foreign.arn}) has the name Sluice gives Service shop/web in cluster c1, but it has no sluice.dev/managed-by=sluice tag, so Sluice will not change or delete it`));
  }
  assert.deepEqual(
    h.takeOperations().filter((o) => WRITE.test(o)),
    [],
  );
  assert.deepEqual(h.fake.loadBalancers, [foreign]);
});

test("another cluster's load balancer for a Service with the same UID is foreign too", async () => {
  const name = h.provider.getLoadBalancerName(CLUSTER, web);
  h.fake.addLoadBalancer(name, { 'sluice.dev/managed-by': 'sluice', 'sluice.dev/cluster': 'other', 'sluice.dev/service-uid': 'uid-1', 'sluice.dev/service-namespace': 'shop', 'sluice.dev/service-name': 'web' });
  await assert.rejects(
    h.provider.ensureLoadBalancerDeleted(CLUSTER, web, signal),
    (e: unknown) => isTerminalError(e) && /its tags name cluster "other" and Service shop\/web \(uid uid-1\)/.test((e as Error).message),
  );
  assert.equal(h.fake.loadBalancers.length, 1);
});
