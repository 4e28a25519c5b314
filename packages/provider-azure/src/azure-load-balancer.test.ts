/**
 * The provider against the fake ARM (real TLS sockets, the real SDK pipeline and pollers),
 * for the lifecycle of one Service: create, converge, resync, change, drain, delete; and
 * the calls each step makes.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, test } from 'node:test';
import { isRetryableError, isTerminalError } from '@sluice/core';
import { type LogLine, recordingLogger } from '@sluice/core/testing';
import { AzureLoadBalancer } from './azure-load-balancer.ts';
import { backend, CLUSTER, fakeOptions, type Harness, service, signal, startHarness, WRITE } from './test-support/harness.ts';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

const web = service();
const OWNER = {
  'sluice-cluster': 'c1',
  'sluice-service-namespace': 'shop',
  'sluice-service-name': 'web',
  'sluice-service-uid': 'uid-1',
  'sluice-managed-by': 'sluice',
};

test('ensure creates a tagged public IP and a Standard LB with frontend, probe, rule and pool, then fills the pool', async () => {
  const status = await h.provider.ensureLoadBalancer(CLUSTER, web, [backend('10.1.0.4'), backend('10.1.0.5')], signal);
  const name = h.provider.getLoadBalancerName(CLUSTER, web);
  assert.match(name, /^sluice-shop-web-[0-9a-f]{8}$/);
  const pip = h.fake.publicIps.get(`${name}-pip`);
  assert.ok(pip, 'the owned public IP exists');
  assert.deepEqual(pip.tags, OWNER);
  assert.deepEqual(pip.sku, { name: 'Standard', tier: 'Regional' });
  assert.equal(pip.properties.publicIPAllocationMethod, 'Static');
  assert.deepEqual(status, { ingress: [{ ip: pip.properties.ipAddress }] });

  const lb = h.fake.loadBalancers.get(name);
  assert.deepEqual(lb.tags, OWNER);
  assert.equal(lb.sku.name, 'Standard');
  assert.equal(lb.location, 'westeurope');
  assert.equal(lb.properties.provisioningState, 'Succeeded');
  const [fe] = lb.properties.frontendIPConfigurations;
  assert.equal(fe.name, 'frontend');
  assert.equal(fe.properties.publicIPAddress.id, pip.id);
  const [probe] = lb.properties.probes;
  assert.deepEqual([probe.name, probe.properties.protocol, probe.properties.port, probe.properties.intervalInSeconds, probe.properties.probeThreshold], ['http', 'Tcp', 8080, 5, 2]);
  const [rule] = lb.properties.loadBalancingRules;
  assert.equal(rule.name, 'http');
  assert.deepEqual(
    {
      protocol: rule.properties.protocol,
      frontendPort: rule.properties.frontendPort,
      backendPort: rule.properties.backendPort,
      enableTcpReset: rule.properties.enableTcpReset,
      idleTimeoutInMinutes: rule.properties.idleTimeoutInMinutes,
      disableOutboundSnat: rule.properties.disableOutboundSnat,
      enableFloatingIP: rule.properties.enableFloatingIP,
    },
    { protocol: 'Tcp', frontendPort: 80, backendPort: 8080, enableTcpReset: true, idleTimeoutInMinutes: 4, disableOutboundSnat: true, enableFloatingIP: false },
  );
  assert.equal(rule.properties.backendAddressPool.id, `${lb.id}/backendAddressPools/http`);
  assert.equal(rule.properties.probe.id, `${lb.id}/probes/http`);
  assert.deepEqual(h.fake.addresses(name, 'http'), ['10.1.0.4:None', '10.1.0.5:None']);
  const [address] = h.fake.pool(name, 'http').properties.loadBalancerBackendAddresses;
  assert.deepEqual(address, { name: 'sluice-ip-10-1-0-4', properties: { ipAddress: '10.1.0.4', virtualNetwork: { id: h.fake.vnetId }, adminState: 'None' } });

  assert.deepEqual(h.takeOperations(), [
    'loadBalancers.get',
    'publicIPAddresses.get',
    'publicIPAddresses.createOrUpdate',
    'loadBalancers.createOrUpdate',
    // The pool and its ETag come from the load balancer PUT's answer: no GET before the pool PUT.
    'backendAddressPools.createOrUpdate',
  ]);
});

test('a second ensure with nothing changed makes no write call', async () => {
  const backends = [backend('10.1.0.4'), backend('10.1.0.5', 0)];
  const first = await h.provider.ensureLoadBalancer(CLUSTER, web, backends, signal);
  h.takeOperations();
  const writesBefore = h.fake.calls.filter((c) => c.method !== 'GET').length;
  const second = await h.provider.ensureLoadBalancer(CLUSTER, web, backends, signal);
  assert.deepEqual(second, first);
  assert.deepEqual(h.takeOperations(), ['loadBalancers.get', 'publicIPAddresses.get']);
  assert.equal(h.fake.calls.filter((c) => c.method !== 'GET').length, writesBefore, 'the fake saw no write either');
});

test('long-running creates are awaited through InProgress to Succeeded', async () => {
  h.fake.pollsBeforeDone = 3;
  await h.provider.ensureLoadBalancer(CLUSTER, web, [], signal);
  const name = h.provider.getLoadBalancerName(CLUSTER, web);
  assert.equal(h.fake.loadBalancers.get(name).properties.provisioningState, 'Succeeded');
  const ops = h.fake.calls.map((c) => c.operation);
  const lbPut = ops.indexOf('loadBalancers.createOrUpdate');
  assert.deepEqual(ops.slice(lbPut, lbPut + 6), [
    'loadBalancers.createOrUpdate',
    'operations.get',
    'operations.get',
    'operations.get',
    'operations.get',
    'loadBalancers.get',
  ], 'three InProgress answers, the Succeeded one, then the final GET of the resource');
  assert.deepEqual(h.takeOperations().filter((o) => WRITE.test(o)), ['publicIPAddresses.createOrUpdate', 'loadBalancers.createOrUpdate']);
});

test('a long-running operation that ends Failed is a retryable error with Azure code and message', async () => {
  h.fake.beforeHandle = (operation) => {
    if (operation === 'publicIPAddresses.createOrUpdate') h.fake.pollsBeforeDone = 1;
  };
  // Fail the LB PUT's operation: patch the fake to report Failed for the next operation it starts.
  const original = h.fake.handle.bind(h.fake);
  let failNext = true;
  h.fake.handle = async (req) => {
    const reply = await original(req);
    if (failNext && req.method === 'GET' && /\/operations\//.test(req.path) && (reply.body as { status?: string })?.status === 'Succeeded' && h.fake.loadBalancers.size > 0) {
      failNext = false;
      return { status: 200, body: { status: 'Failed', error: { code: 'InternalServerError', message: 'An error occurred.' } } };
    }
    return reply;
  };
  await assert.rejects(
    h.provider.ensureLoadBalancer(CLUSTER, web, [], signal),
    (e: unknown) => isRetryableError(e) && (e as Error).message === 'Azure loadBalancers.createOrUpdate failed while running: InternalServerError: An error occurred.' && (e as Error).cause instanceof Error,
  );
});

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

test('ports removed from the Service lose their rule, probe and pool; added ports get theirs', async () => {
  const two = service([{}, { name: 'dns', port: 53, protocol: 'UDP', targetPort: 5353 }]);
  const name = h.provider.getLoadBalancerName(CLUSTER, two);
  await h.provider.ensureLoadBalancer(CLUSTER, two, [backend('10.1.0.4'), backend('10.1.0.4', 1, 'dns', 5353)], signal);
  let lb = h.fake.loadBalancers.get(name);
  const names = (kind: string) => lb.properties[kind].map((c: { name: string }) => c.name).sort();
  assert.deepEqual([names('backendAddressPools'), names('probes'), names('loadBalancingRules')], [['dns', 'http'], ['dns', 'http'], ['dns', 'http']]);
  const udp = lb.properties.loadBalancingRules.find((r: { name: string }) => r.name === 'dns');
  assert.deepEqual([udp.properties.protocol, udp.properties.frontendPort, udp.properties.backendPort, udp.properties.enableTcpReset, udp.properties.idleTimeoutInMinutes], ['Udp', 53, 5353, undefined, undefined]);
  assert.deepEqual(h.fake.addresses(name, 'dns'), ['10.1.0.4:None']);

  await h.provider.ensureLoadBalancer(CLUSTER, web, [backend('10.1.0.4')], signal);
  lb = h.fake.loadBalancers.get(name);
  assert.deepEqual([names('backendAddressPools'), names('probes'), names('loadBalancingRules')], [['http'], ['http'], ['http']]);
  assert.deepEqual(h.fake.addresses(name, 'http'), ['10.1.0.4:None'], 'the remaining pool kept its addresses');
});

test('annotations reach the probe and the rule; a change is one LB write', async () => {
  const name = h.provider.getLoadBalancerName(CLUSTER, web);
  await h.provider.ensureLoadBalancer(CLUSTER, web, [backend('10.1.0.4')], signal);
  h.takeOperations();
  const tuned = service([{}], { 'sluice.dev/azure-probe-interval': '15', 'sluice.dev/azure-probe-threshold': '3', 'sluice.dev/azure-idle-timeout': '30' });
  await h.provider.ensureLoadBalancer(CLUSTER, tuned, [backend('10.1.0.4')], signal);
  const lb = h.fake.loadBalancers.get(name);
  assert.deepEqual([lb.properties.probes[0].properties.intervalInSeconds, lb.properties.probes[0].properties.probeThreshold], [15, 3]);
  assert.equal(lb.properties.loadBalancingRules[0].properties.idleTimeoutInMinutes, 30);
  assert.deepEqual(h.takeOperations().filter((o) => WRITE.test(o)), ['loadBalancers.createOrUpdate']);
  const put = h.fake.calls.filter((c) => c.operation === 'loadBalancers.createOrUpdate').at(-1);
  assert.match(put?.ifMatch ?? '', /^W\//, 'an LB update is guarded by its ETag');
  assert.deepEqual(h.fake.addresses(name, 'http'), ['10.1.0.4:None'], 'an LB PUT keeps the pool addresses');
});

test('an ETag conflict on the load balancer PUT is re-read and redone', async () => {
  const name = h.provider.getLoadBalancerName(CLUSTER, web);
  await h.provider.ensureLoadBalancer(CLUSTER, web, [], signal);
  h.takeOperations();
  let conflicts = 1;
  h.fake.beforeHandle = (operation) => {
    if (operation === 'loadBalancers.createOrUpdate' && conflicts-- > 0) h.fake.touch(name);
  };
  await h.provider.ensureLoadBalancer(CLUSTER, service([{}], { 'sluice.dev/azure-idle-timeout': '10' }), [], signal);
  assert.equal(h.fake.loadBalancers.get(name).properties.loadBalancingRules[0].properties.idleTimeoutInMinutes, 10);
  assert.deepEqual(h.takeOperations(), ['loadBalancers.get', 'publicIPAddresses.get', 'loadBalancers.createOrUpdate', 'loadBalancers.get', 'loadBalancers.createOrUpdate']);
  const [first, second] = h.fake.calls.filter((c) => c.operation === 'loadBalancers.createOrUpdate').slice(-2);
  assert.ok(first?.ifMatch && second?.ifMatch && first.ifMatch !== second.ifMatch, 'the redo carries the fresh ETag');
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

test('a bad annotation is a TerminalError before any Azure call', async () => {
  await assert.rejects(
    h.provider.ensureLoadBalancer(CLUSTER, service([{}], { 'sluice.dev/azure-probe-interval': '1' }), [], signal),
    (e: unknown) => isTerminalError(e) && e.field === 'metadata.annotations[sluice.dev/azure-probe-interval]',
  );
  assert.deepEqual(h.takeOperations(), []);
  assert.equal(h.fake.calls.length, 0);
});

test('backends of one port on different target ports are a TerminalError naming the port, before any call', async () => {
  await assert.rejects(h.provider.ensureLoadBalancer(CLUSTER, web, [backend('10.1.0.4', 1, 'http', 8080), backend('10.1.0.5', 1, 'http', 9090)], signal), (e: unknown) => {
    assert.ok(isTerminalError(e));
    assert.equal(
      e.message,
      'Service shop/web port http has backends on different target ports (8080, 9090), but an Azure load-balancing rule has one backend port: make the port\'s targetPort resolve to the same number in every pod.',
    );
    return true;
  });
  assert.equal(h.fake.calls.length, 0);
});

test('a named targetPort: the rule follows the backends\' port; update converges the rule when it changes', async () => {
  const named = service([{ targetPort: 'web' }]);
  const name = h.provider.getLoadBalancerName(CLUSTER, named);
  await h.provider.ensureLoadBalancer(CLUSTER, named, [], signal);
  assert.equal(h.fake.loadBalancers.get(name).properties.loadBalancingRules[0].properties.backendPort, 80, 'no backends yet: the Service port stands in');
  h.takeOperations();
  await h.provider.updateLoadBalancer(CLUSTER, named, [backend('10.1.0.4', 1, 'http', 8080)], signal);
  const lb = h.fake.loadBalancers.get(name);
  assert.equal(lb.properties.loadBalancingRules[0].properties.backendPort, 8080);
  assert.equal(lb.properties.probes[0].properties.port, 8080);
  assert.deepEqual(h.fake.addresses(name, 'http'), ['10.1.0.4:None']);
  assert.ok(h.takeOperations().includes('loadBalancers.createOrUpdate'));
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

test('delete removes the load balancer, then the owned public IP; absent is success', async () => {
  await h.provider.ensureLoadBalancer(CLUSTER, web, [backend('10.1.0.4')], signal);
  h.takeOperations();
  await h.provider.ensureLoadBalancerDeleted(CLUSTER, web, signal);
  assert.equal(h.fake.loadBalancers.size, 0);
  assert.equal(h.fake.publicIps.size, 0);
  assert.deepEqual(h.takeOperations(), ['loadBalancers.get', 'loadBalancers.delete', 'publicIPAddresses.get', 'publicIPAddresses.delete']);
  await h.provider.ensureLoadBalancerDeleted(CLUSTER, web, signal);
  assert.deepEqual(h.takeOperations(), ['loadBalancers.get', 'publicIPAddresses.get']);
});

test('a load balancer with our name but other tags is refused on delete, and nothing is touched', async () => {
  await h.provider.ensureLoadBalancer(CLUSTER, web, [], signal);
  const name = h.provider.getLoadBalancerName(CLUSTER, web);
  h.fake.loadBalancers.get(name).tags = { owner: 'someone-else' };
  h.takeOperations();
  await assert.rejects(h.provider.ensureLoadBalancerDeleted(CLUSTER, web, signal), (e: unknown) => {
    assert.ok(isTerminalError(e));
    assert.equal(e.reason, 'ForeignLoadBalancer');
    assert.ok(e.message.startsWith(`Load balancer ${name} in resource group rg-sluice has the name Sluice gives Service shop/web in cluster c1, but it has no sluice-managed-by=sluice tag`));
    return true;
  });
  assert.deepEqual(h.takeOperations(), ['loadBalancers.get']);
  assert.ok(h.fake.loadBalancers.has(name));
  assert.ok(h.fake.publicIps.has(`${name}-pip`));
  await assert.rejects(h.provider.updateLoadBalancer(CLUSTER, web, [backend('10.1.0.4')], signal), (e: unknown) => isTerminalError(e));
  await assert.rejects(h.provider.ensureLoadBalancer(CLUSTER, web, [], signal), (e: unknown) => isTerminalError(e));
  assert.deepEqual(h.takeOperations().filter((o) => WRITE.test(o)), []);
});

test('a public IP with our name but other tags is not used', async () => {
  const name = h.provider.getLoadBalancerName(CLUSTER, web);
  h.fake.addPublicIp(`${name}-pip`, { tags: { 'sluice-managed-by': 'sluice', 'sluice-cluster': 'other', 'sluice-service-uid': 'uid-1' } });
  await assert.rejects(h.provider.ensureLoadBalancer(CLUSTER, web, [], signal), (e: unknown) => isTerminalError(e) && e.reason === 'ForeignPublicIp' && /its tags name cluster "other"/.test(e.message));
  assert.equal(h.fake.loadBalancers.size, 0);
});

test('every method honours an aborted signal with its reason', async () => {
  const controller = new AbortController();
  const reason = new Error('stop');
  controller.abort(reason);
  for (const call of [
    () => h.provider.getLoadBalancer(CLUSTER, web, controller.signal),
    () => h.provider.ensureLoadBalancer(CLUSTER, web, [], controller.signal),
    () => h.provider.updateLoadBalancer(CLUSTER, web, [], controller.signal),
    () => h.provider.getBackendHealth(CLUSTER, web, controller.signal),
    () => h.provider.ensureLoadBalancerDeleted(CLUSTER, web, controller.signal),
  ]) {
    await assert.rejects(call(), (e: unknown) => e === reason);
  }
  assert.equal(h.fake.calls.length, 0);
});

test('an abort while a long-running operation is polled stops the wait with the signal reason', async () => {
  h.fake.pollsBeforeDone = 1_000_000;
  const controller = new AbortController();
  const reason = new Error('deadline');
  h.fake.beforeHandle = (operation) => {
    if (operation === 'publicIPAddresses.createOrUpdate') setTimeout(() => controller.abort(reason), 30);
  };
  await assert.rejects(h.provider.ensureLoadBalancer(CLUSTER, web, [], controller.signal), (e: unknown) => e === reason);
  // A poll already on the wire when the abort came may still land (a loaded machine delays it);
  // after that, polling must have stopped for good.
  await new Promise((r) => setTimeout(r, 100));
  const polls = h.fake.calls.filter((c) => c.operation === 'operations.get').length;
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(h.fake.calls.filter((c) => c.operation === 'operations.get').length, polls, 'no polling after the abort');
});
