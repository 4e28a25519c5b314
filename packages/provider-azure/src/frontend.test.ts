/**
 * The frontend against the fake ARM: the owned public IP (created, tagged, remembered for the
 * status, never taken over from another owner), an annotated public IP, and the private
 * frontend of an internal Service; getLoadBalancer's answer from them.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isTerminalError } from '@sluice/core';
import { type LogLine, recordingLogger } from '@sluice/core/testing';
import { AzureLoadBalancer } from './azure-load-balancer.ts';
import { CLUSTER, fakeOptions, type Harness, harnessPerTest, service, signal, } from './test-support/harness.ts';

let h: Harness;
harnessPerTest((made) => {
  h = made;
});

const web = service();

test('getLoadBalancer: absent is exists false; present gives the frontend IP; it never writes', async () => {
  assert.deepEqual(await h.provider.getLoadBalancer(CLUSTER, web, signal), { exists: false });
  const status = await h.provider.ensureLoadBalancer(CLUSTER, web, [], signal);
  h.takeOperations();
  assert.deepEqual(await h.provider.getLoadBalancer(CLUSTER, web, signal), { exists: true, status });
  assert.deepEqual(h.takeOperations(), ['loadBalancers.get'], 'the public IP ensure created is not read again for the status');
});

test('the frontend\'s public IP is read once for the status, then remembered; deleting it forgets it', async () => {
  const status = await h.provider.ensureLoadBalancer(CLUSTER, web, [], signal);
  const lines: LogLine[] = [];
  const operations = () => lines.splice(0).filter((l) => l.message === 'azure call').map((l) => l.fields['operation']);
  const restarted = new AzureLoadBalancer({ clusterName: CLUSTER, ...fakeOptions(h.fake), networkClient: h.provider.options.networkClient, pollIntervalMs: 5, log: recordingLogger(lines), sharedLoadBalancers: [] }, {});
  assert.deepEqual(await restarted.getLoadBalancer(CLUSTER, web, signal), { exists: true, status });
  assert.deepEqual(await restarted.getLoadBalancer(CLUSTER, web, signal), { exists: true, status });
  assert.deepEqual(operations(), ['loadBalancers.get', 'publicIPAddresses.get', 'loadBalancers.get'], 'a restarted provider reads the public IP once');
  await restarted.ensureLoadBalancerDeleted(CLUSTER, web, signal);
  const recreated = await restarted.ensureLoadBalancer(CLUSTER, web, [], signal);
  operations();
  assert.deepEqual(await restarted.getLoadBalancer(CLUSTER, web, signal), { exists: true, status: recreated });
  assert.deepEqual(operations(), ['loadBalancers.get'], 'the public IP created again is remembered, the deleted one forgotten');
});

test('an internal Service gets a private frontend in the annotated subnet and no public IP', async () => {
  const subnet = `/subscriptions/${h.fake.subscriptionId}/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/vnet-pods/subnets/lb`;
  const internal = service([{}], { 'sluice.dev/azure-internal': 'true', 'sluice.dev/azure-internal-subnet-id': subnet });
  const status = await h.provider.ensureLoadBalancer(CLUSTER, internal, [], signal);
  const lb = h.fake.loadBalancers.get(h.provider.getLoadBalancerName(CLUSTER, internal));
  const fe = lb.properties.frontendIPConfigurations[0].properties;
  assert.equal(fe.subnet.id, subnet);
  assert.equal(fe.publicIPAddress, undefined);
  assert.deepEqual(status, { ingress: [{ ip: fe.privateIPAddress }] });
  assert.equal(h.fake.publicIps.size, 0);
  assert.deepEqual(await h.provider.getLoadBalancer(CLUSTER, internal, signal), { exists: true, status });
});

test('an annotated public IP is used as is and never deleted; switching to it deletes the owned one', async () => {
  const name = h.provider.getLoadBalancerName(CLUSTER, web);
  await h.provider.ensureLoadBalancer(CLUSTER, web, [], signal);
  assert.ok(h.fake.publicIps.has(`${name}-pip`));
  const theirs = h.fake.addPublicIp('shop-ip', { ipAddress: '52.1.2.3' });
  const named = service([{}], { 'sluice.dev/azure-public-ip-name': 'shop-ip' });
  assert.deepEqual(await h.provider.ensureLoadBalancer(CLUSTER, named, [], signal), { ingress: [{ ip: '52.1.2.3' }] });
  assert.equal(h.fake.loadBalancers.get(name).properties.frontendIPConfigurations[0].properties.publicIPAddress.id, theirs.id);
  assert.equal(h.fake.publicIps.has(`${name}-pip`), false, 'the owned public IP no longer in use was deleted');

  await h.provider.ensureLoadBalancerDeleted(CLUSTER, named, signal);
  assert.equal(h.fake.loadBalancers.size, 0);
  assert.ok(h.fake.publicIps.has('shop-ip'), 'the annotated public IP is not Sluice\'s to delete');
});

test('an annotated public IP that does not exist is a TerminalError naming the annotation', async () => {
  const named = service([{}], { 'sluice.dev/azure-public-ip-name': 'missing-ip' });
  await assert.rejects(h.provider.ensureLoadBalancer(CLUSTER, named, [], signal), (e: unknown) => {
    assert.ok(isTerminalError(e));
    assert.equal(e.field, 'metadata.annotations[sluice.dev/azure-public-ip-name]');
    assert.equal(
      e.message,
      'Service shop/web annotation sluice.dev/azure-public-ip-name="missing-ip" names a public IP address that does not exist in resource group rg-sluice: create it (Standard SKU, static) or remove the annotation.',
    );
    return true;
  });
  assert.equal(h.fake.loadBalancers.size, 0);
});

test('a public IP with our name but other tags is not used', async () => {
  const name = h.provider.getLoadBalancerName(CLUSTER, web);
  h.fake.addPublicIp(`${name}-pip`, { tags: { 'sluice-managed-by': 'sluice', 'sluice-cluster': 'other', 'sluice-service-uid': 'uid-1' } });
  await assert.rejects(h.provider.ensureLoadBalancer(CLUSTER, web, [], signal), (e: unknown) => isTerminalError(e) && e.reason === 'ForeignPublicIp' && /its tags name cluster "other"/.test(e.message));
  assert.equal(h.fake.loadBalancers.size, 0);
});
