/**
 * The provider against the fake ARM (real TLS sockets, the real SDK pipeline and pollers),
 * for the lifecycle of one Service's load balancer: create, converge, change, annotations,
 * delete; and the calls each step makes. The frontend is in frontend.test.ts, backend
 * updates in backend-updates.test.ts, health reads in backend-health.test.ts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isRetryableError, isTerminalError } from '@sluice/core';
import { backend, CLUSTER, type Harness, harnessPerTest, service, signal, WRITE } from './test-support/harness.ts';

let h: Harness;
harnessPerTest((made) => {
  h = made;
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
