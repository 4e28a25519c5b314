/**
 * Health reads against the fake ARM: one rule health query per port and poll from what the
 * provider remembers, the report mapped to backend states, the asynchronous report followed,
 * and a missing health API or load balancer.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backend, CLUSTER, type Harness, harnessPerTest, service, signal, } from './test-support/harness.ts';

let h: Harness;
harnessPerTest((made) => {
  h = made;
});

const web = service();

test('health polls: one rule health query per port and poll, no load balancer or pool read; a report naming an address the pool lacks makes the next poll read again', async () => {
  const name = h.provider.getLoadBalancerName(CLUSTER, web);
  await h.provider.ensureLoadBalancer(CLUSTER, web, [backend('10.1.0.4')], signal);
  h.takeOperations();
  for (let poll = 0; poll < 3; poll++) {
    await h.provider.getBackendHealth(CLUSTER, web, signal);
    await h.provider.updateLoadBalancer(CLUSTER, web, [backend('10.1.0.4'), backend(`10.1.1.${poll}`)], signal);
  }
  assert.deepEqual(h.takeOperations(), [
    'loadBalancingRules.health',
    'backendAddressPools.createOrUpdate',
    'loadBalancingRules.health',
    'backendAddressPools.createOrUpdate',
    'loadBalancingRules.health',
    'backendAddressPools.createOrUpdate',
  ]);
  // Another writer adds an address: the report shows it, so the pool is read before the next write.
  h.fake.pool(name, 'http').properties.loadBalancerBackendAddresses.push({ name: 'portal-vm-1', properties: { ipAddress: '10.1.9.9', virtualNetwork: { id: h.fake.vnetId } } });
  h.fake.probeHealth.set('10.1.9.9', { state: 'Up', reason: 'Up_Probe_Success' });
  h.fake.touch(name);
  await h.provider.getBackendHealth(CLUSTER, web, signal);
  await h.provider.getBackendHealth(CLUSTER, web, signal);
  await h.provider.updateLoadBalancer(CLUSTER, web, [backend('10.1.0.4')], signal);
  assert.deepEqual(h.takeOperations(), ['loadBalancingRules.health', 'loadBalancers.get', 'loadBalancingRules.health', 'backendAddressPools.createOrUpdate']);
  assert.deepEqual(h.fake.addresses(name, 'http'), ['10.1.0.4:None', '10.1.9.9:None']);
});

test('getBackendHealth maps the rule health report; drained addresses are draining with weight 0', async () => {
  await h.provider.ensureLoadBalancer(CLUSTER, web, [backend('10.1.0.4'), backend('10.1.0.5'), backend('10.1.0.6'), backend('10.1.0.7'), backend('10.1.0.8', 0)], signal);
  h.fake.probeHealth.set('10.1.0.4', { state: 'Up', reason: 'Up_Probe_Success' });
  h.fake.probeHealth.set('10.1.0.5', { state: 'Down', reason: 'Down_Probe_ApproachingHealthyThreshold' });
  h.fake.probeHealth.set('10.1.0.6', { state: 'Down', reason: 'Down_Probe_NoResponse' });
  h.takeOperations();
  const health = await h.provider.getBackendHealth(CLUSTER, web, signal);
  assert.deepEqual(
    health.map((s) => [s.ip, s.port, s.weight, s.health, s.reason]),
    [
      ['10.1.0.4', 8080, 1, 'healthy', 'Up_Probe_Success'],
      ['10.1.0.5', 8080, 1, 'initial', 'Down_Probe_ApproachingHealthyThreshold'],
      ['10.1.0.6', 8080, 1, 'unhealthy', 'Down_Probe_NoResponse'],
      ['10.1.0.7', 8080, 1, 'initial', 'not yet in the load balancer health report'],
      ['10.1.0.8', 8080, 0, 'draining', 'adminState Down: no new flows, established TCP flows continue'],
    ],
  );
  assert.ok(health.every((s) => s.servicePort === 'http' && s.podUid === undefined));
  assert.deepEqual(h.takeOperations(), ['loadBalancingRules.health'], 'the pool and rule ports are the ones the ensure wrote');
});

test('getBackendHealth follows an asynchronous (202) health report', async () => {
  await h.provider.ensureLoadBalancer(CLUSTER, web, [backend('10.1.0.4')], signal);
  h.fake.healthAsync = true;
  h.fake.probeHealth.set('10.1.0.4', { state: 'Up', reason: 'Up_Probe_Success' });
  assert.deepEqual((await h.provider.getBackendHealth(CLUSTER, web, signal)).map((s) => s.health), ['healthy']);
});

test('without the health API every serving address is initial, with the reason, and one warning', async () => {
  await h.provider.ensureLoadBalancer(CLUSTER, web, [backend('10.1.0.4'), backend('10.1.0.5', 0)], signal);
  h.fake.fail('loadBalancingRules.health', { status: 404, code: 'NotFound', message: 'The health API is not available.' });
  const first = await h.provider.getBackendHealth(CLUSTER, web, signal);
  await h.provider.getBackendHealth(CLUSTER, web, signal);
  assert.deepEqual(
    first.map((s) => [s.ip, s.health, s.reason]),
    [
      ['10.1.0.4', 'initial', 'Azure health report for rule http unavailable: NotFound: The health API is not available.'],
      ['10.1.0.5', 'draining', 'adminState Down: no new flows, established TCP flows continue'],
    ],
  );
  assert.equal(h.lines.filter((l) => l.level === 'warn').length, 1);
});

test('getBackendHealth of an absent load balancer is empty', async () => {
  assert.deepEqual(await h.provider.getBackendHealth(CLUSTER, web, signal), []);
});
