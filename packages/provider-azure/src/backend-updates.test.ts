/**
 * Backend updates against the fake ARM: the pool converged with adminState Down for drains
 * and removals, ETag conflicts re-read and retried, throttling and refusals classified, and
 * a load balancer missing or deleted by hand.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isRetryableError, isTerminalError } from '@sluice/core';
import { backend, CLUSTER, type Harness, harnessPerTest, service, signal, } from './test-support/harness.ts';

let h: Harness;
harnessPerTest((made) => {
  h = made;
});

const web = service();

test('update drains with adminState Down, removes what is gone, and writes nothing when the pool already matches', async () => {
  const name = h.provider.getLoadBalancerName(CLUSTER, web);
  await h.provider.ensureLoadBalancer(CLUSTER, web, [backend('10.1.0.4'), backend('10.1.0.5')], signal);
  h.takeOperations();

  await h.provider.updateLoadBalancer(CLUSTER, web, [backend('10.1.0.4'), backend('10.1.0.5', 0), backend('10.1.0.6')], signal);
  assert.deepEqual(h.fake.addresses(name, 'http'), ['10.1.0.4:None', '10.1.0.5:Down', '10.1.0.6:None']);
  assert.deepEqual(h.takeOperations(), ['backendAddressPools.createOrUpdate'], 'rule ports and the pool with its ETag came from the caches: no read');
  const put = h.fake.calls.filter((c) => c.operation === 'backendAddressPools.createOrUpdate').at(-1);
  assert.match(put?.ifMatch ?? '', /^W\/"[0-9a-f-]{36}"$/, 'the pool PUT is guarded by the ETag');

  await h.provider.updateLoadBalancer(CLUSTER, web, [backend('10.1.0.4'), backend('10.1.0.5', 0), backend('10.1.0.6')], signal);
  assert.deepEqual(h.takeOperations(), [], 'equal to the pool the last PUT returned: no read, no write');

  await h.provider.updateLoadBalancer(CLUSTER, web, [backend('10.1.0.4'), backend('10.1.0.6')], signal);
  assert.deepEqual(h.fake.addresses(name, 'http'), ['10.1.0.4:None', '10.1.0.6:None']);
});

test('an ETag conflict on the pool is re-read and retried, then succeeds', async () => {
  const name = h.provider.getLoadBalancerName(CLUSTER, web);
  await h.provider.ensureLoadBalancer(CLUSTER, web, [backend('10.1.0.4')], signal);
  h.takeOperations();
  let conflicts = 2;
  h.fake.beforeHandle = (operation) => {
    // Another writer changes the load balancer between our GET and our PUT, twice.
    if (operation === 'backendAddressPools.createOrUpdate' && conflicts-- > 0) h.fake.touch(name);
  };
  await h.provider.updateLoadBalancer(CLUSTER, web, [backend('10.1.0.4', 0)], signal);
  assert.deepEqual(h.fake.addresses(name, 'http'), ['10.1.0.4:Down']);
  // The first PUT carries the ETag the ensure saw; each 412 is followed by a GET for the new one.
  assert.deepEqual(h.takeOperations(), [
    'backendAddressPools.createOrUpdate',
    'backendAddressPools.get',
    'backendAddressPools.createOrUpdate',
    'backendAddressPools.get',
    'backendAddressPools.createOrUpdate',
  ]);
  const outcomes = h.lines.filter((l) => l.message === 'azure call' && l.fields['operation'] === 'backendAddressPools.createOrUpdate').map((l) => l.fields['outcome']);
  assert.deepEqual(outcomes.slice(-3), ['PreconditionFailed', 'PreconditionFailed', 'ok']);
});

test('another writer adding an address between our GET and PUT keeps it: the 412 re-read carries it into our write', async () => {
  const name = h.provider.getLoadBalancerName(CLUSTER, web);
  await h.provider.ensureLoadBalancer(CLUSTER, web, [backend('10.1.0.4')], signal);
  let raced = false;
  h.fake.beforeHandle = (operation) => {
    if (operation !== 'backendAddressPools.createOrUpdate' || raced) return;
    raced = true;
    // The other writer (a person in the portal, another tool) adds its own address: new ETag.
    h.fake.pool(name, 'http').properties.loadBalancerBackendAddresses.push({
      name: 'portal-vm-1',
      properties: { ipAddress: '10.1.9.9', virtualNetwork: { id: h.fake.vnetId } },
    });
    h.fake.touch(name);
  };
  await h.provider.updateLoadBalancer(CLUSTER, web, [backend('10.1.0.4', 0), backend('10.1.0.5')], signal);
  assert.equal(raced, true);
  assert.deepEqual(h.fake.addresses(name, 'http'), ['10.1.0.4:Down', '10.1.0.5:None', '10.1.9.9:None'], "the other writer's address survives our write");
  // Sluice neither reports nor removes an address it does not own.
  const health = await h.provider.getBackendHealth(CLUSTER, web, signal);
  assert.deepEqual(health.map((b) => b.ip).sort(), ['10.1.0.4', '10.1.0.5']);
  await h.provider.updateLoadBalancer(CLUSTER, web, [backend('10.1.0.5')], signal);
  assert.deepEqual(h.fake.addresses(name, 'http'), ['10.1.0.5:None', '10.1.9.9:None']);
});

test('an ETag conflict that never ends is a RetryableError after three retries', async () => {
  const name = h.provider.getLoadBalancerName(CLUSTER, web);
  await h.provider.ensureLoadBalancer(CLUSTER, web, [backend('10.1.0.4')], signal);
  h.takeOperations();
  h.fake.beforeHandle = (operation) => {
    if (operation === 'backendAddressPools.createOrUpdate') h.fake.touch(name);
  };
  await assert.rejects(h.provider.updateLoadBalancer(CLUSTER, web, [backend('10.1.0.5')], signal), (e: unknown) => {
    assert.ok(isRetryableError(e));
    assert.match((e as Error).message, /^Backend pool http of load balancer sluice-shop-web-[0-9a-f]{8} changed under Sluice 4 times in a row \(ETag conflict\); will try again\.$/);
    return true;
  });
  assert.equal(h.takeOperations().filter((o) => o === 'backendAddressPools.createOrUpdate').length, 4);
});

test('throttling (429 with Retry-After) is a RetryableError with retryAfterMs and the Azure code', async () => {
  h.fake.fail('loadBalancers.get', { status: 429, code: 'SubscriptionRequestsThrottled', message: 'Number of read requests exceeded the limit.', headers: { 'Retry-After': '17' } });
  await assert.rejects(h.provider.getLoadBalancer(CLUSTER, web, signal), (e: unknown) => {
    assert.ok(isRetryableError(e));
    assert.equal(e.retryAfterMs, 17_000);
    assert.equal(e.reason, 'AzureThrottled');
    assert.equal(e.message, 'Azure throttled loadBalancers.get: SubscriptionRequestsThrottled: Number of read requests exceeded the limit.');
    assert.equal((e.cause as { statusCode?: number }).statusCode, 429);
    return true;
  });
});

test('a 4xx Azure rejects is a TerminalError naming operation, code and message', async () => {
  h.fake.fail('loadBalancers.createOrUpdate', { status: 400, code: 'InvalidResourceReference', message: 'Resource /x referenced by resource /y was not found.' });
  await assert.rejects(
    h.provider.ensureLoadBalancer(CLUSTER, web, [], signal),
    (e: unknown) => isTerminalError(e) && e.message === 'Azure rejected loadBalancers.createOrUpdate: InvalidResourceReference: Resource /x referenced by resource /y was not found.',
  );
});

test('update before the load balancer exists is retryable', async () => {
  await assert.rejects(h.provider.updateLoadBalancer(CLUSTER, web, [backend('10.1.0.4')], signal), (e: unknown) => isRetryableError(e) && e.reason === 'LoadBalancerMissing');
});

test('a load balancer deleted by hand is recreated by the next update that writes its pool', async () => {
  const name = h.provider.getLoadBalancerName(CLUSTER, web);
  await h.provider.ensureLoadBalancer(CLUSTER, web, [backend('10.1.0.4')], signal);
  h.fake.loadBalancers.delete(name);
  await h.provider.updateLoadBalancer(CLUSTER, web, [backend('10.1.0.4'), backend('10.1.0.5')], signal);
  assert.deepEqual(h.fake.addresses(name, 'http'), ['10.1.0.4:None', '10.1.0.5:None']);
});

test('a load balancer deleted by hand while nothing changes: the next health poll or getLoadBalancer reads it again', async () => {
  const name = h.provider.getLoadBalancerName(CLUSTER, web);
  await h.provider.ensureLoadBalancer(CLUSTER, web, [backend('10.1.0.4')], signal);
  h.fake.loadBalancers.delete(name);
  h.takeOperations();
  // An unchanged update trusts the pool the ensure wrote: no call.
  await h.provider.updateLoadBalancer(CLUSTER, web, [backend('10.1.0.4')], signal);
  assert.deepEqual(h.takeOperations(), []);
  // The health query finds the rule gone; the poll after it reads the load balancer and reports no backends.
  assert.equal((await h.provider.getBackendHealth(CLUSTER, web, signal))[0]?.health, 'initial');
  assert.deepEqual(await h.provider.getBackendHealth(CLUSTER, web, signal), []);
  assert.deepEqual(h.takeOperations(), ['loadBalancingRules.health', 'loadBalancers.get']);
  assert.deepEqual(await h.provider.getLoadBalancer(CLUSTER, web, signal), { exists: false });
});
