/**
 * Services sharing one load balancer by annotation, against the fake ARM: separate prefixed
 * parts, idle ensures, ETag races, deletes, a foreign shared load balancer, and moves.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isTerminalError } from '@sluice/core';
import { AzureLoadBalancer } from './azure-load-balancer.ts';
import { sharedServiceId } from './names.ts';
import { backend, CLUSTER, type Harness, harnessPerTest, service, signal, startHarness, WRITE } from './test-support/harness.ts';

const SHARED = 'lb-shared';
const ann = { 'sluice.dev/azure-load-balancer-name': SHARED };
const web = service([{}], ann, 'uid-web');
const api = { ...service([{ name: 'grpc', port: 9090, targetPort: 9090 }], ann, 'uid-api'), name: 'api' };
const idWeb = sharedServiceId(CLUSTER, web);
const idApi = sharedServiceId(CLUSTER, api);
const names = (lb: { properties: Record<string, { name: string }[]> }, kind: string) => lb.properties[kind]!.map((c) => c.name).sort();

let h: Harness;
harnessPerTest((made) => {
  h = made;
});

async function both(): Promise<void> {
  await h.provider.ensureLoadBalancer(CLUSTER, web, [backend('10.1.0.4')], signal);
  await h.provider.ensureLoadBalancer(CLUSTER, api, [backend('10.1.0.7', 1, 'grpc', 9090)], signal);
}

test('the service id is <ns 8>-<name 8>-<6 hex>, stable and per cluster and UID', () => {
  assert.match(idWeb, /^shop-web-[0-9a-f]{6}$/);
  assert.equal(sharedServiceId(CLUSTER, web), idWeb);
  assert.notEqual(sharedServiceId('c2', web), idWeb);
  assert.match(sharedServiceId(CLUSTER, { namespace: 'a'.repeat(63), name: 'b'.repeat(63), uid: 'u' }), /^a{8}-b{8}-[0-9a-f]{6}$/);
});

test('two Services on one shared load balancer get separate prefixed parts and pools; idle ensures write nothing', async () => {
  await both();
  const lb = h.fake.loadBalancers.get(SHARED);
  assert.deepEqual(lb.tags, {
    'sluice-managed-by': 'sluice',
    'sluice-cluster': CLUSTER,
    'sluice-shared': 'true',
    [`sluice-svc-${idWeb}`]: 'shop/web',
    [`sluice-svc-${idApi}`]: 'shop/api',
  });
  assert.deepEqual(names(lb, 'frontendIPConfigurations'), [`${idApi}-frontend`, `${idWeb}-frontend`].sort());
  for (const kind of ['backendAddressPools', 'probes', 'loadBalancingRules']) assert.deepEqual(names(lb, kind), [`${idApi}-grpc`, `${idWeb}-http`].sort());
  assert.deepEqual(h.fake.addresses(SHARED, `${idWeb}-http`), ['10.1.0.4:None']);
  assert.deepEqual(h.fake.addresses(SHARED, `${idApi}-grpc`), ['10.1.0.7:None']);
  assert.ok(h.fake.publicIps.get(`${SHARED}-${idWeb}-pip`), "web's own public IP");
  assert.ok(h.fake.publicIps.get(`${SHARED}-${idApi}-pip`), "api's own public IP");
  const rule = lb.properties.loadBalancingRules.find((r: { name: string }) => r.name === `${idWeb}-http`);
  assert.equal(rule.properties.frontendIPConfiguration.id, `${lb.id}/frontendIPConfigurations/${idWeb}-frontend`);

  h.takeOperations();
  await h.provider.ensureLoadBalancer(CLUSTER, web, [backend('10.1.0.4')], signal);
  await h.provider.ensureLoadBalancer(CLUSTER, api, [backend('10.1.0.7', 1, 'grpc', 9090)], signal);
  assert.deepEqual(h.takeOperations().filter((o) => WRITE.test(o)), [], 'idle ensures make no write');

  await h.provider.updateLoadBalancer(CLUSTER, web, [backend('10.1.0.4', 0), backend('10.1.0.5')], signal);
  assert.deepEqual(h.fake.addresses(SHARED, `${idWeb}-http`), ['10.1.0.4:Down', '10.1.0.5:None']);
  assert.deepEqual(h.fake.addresses(SHARED, `${idApi}-grpc`), ['10.1.0.7:None'], "api's pool untouched");
  const lookup = await h.provider.getLoadBalancer(CLUSTER, web, signal);
  assert.equal(lookup.exists, true);
  h.fake.probeHealth.set('10.1.0.5', { state: 'Up', reason: 'Up_Probe_Success' });
  const health = await h.provider.getBackendHealth(CLUSTER, web, signal);
  assert.deepEqual(health.map((b) => `${b.ip}:${b.health}`).sort(), ['10.1.0.4:draining', '10.1.0.5:healthy']);
  assert.equal(h.provider.getLoadBalancerName(CLUSTER, web), SHARED);
});

test('a concurrent write between GET and PUT is retried without losing the other Service', async () => {
  await h.provider.ensureLoadBalancer(CLUSTER, web, [], signal);
  let raced = false;
  h.fake.beforeHandle = (operation) => {
    if (operation !== 'loadBalancers.createOrUpdate' || raced) return;
    raced = true;
    // web gains a port in a write of its own that lands first: new ETag.
    const lb = h.fake.loadBalancers.get(SHARED);
    lb.tags['someone-else'] = 'x';
    h.fake.touch(SHARED);
  };
  await h.provider.ensureLoadBalancer(CLUSTER, api, [], signal);
  assert.equal(raced, true);
  const lb = h.fake.loadBalancers.get(SHARED);
  assert.deepEqual(names(lb, 'loadBalancingRules'), [`${idApi}-grpc`, `${idWeb}-http`].sort());
  assert.equal(lb.tags['someone-else'], 'x', "the other writer's tag survives");
  const outcomes = h.lines.filter((l) => l.message === 'azure call' && l.fields['operation'] === 'loadBalancers.createOrUpdate').map((l) => l.fields['outcome']);
  assert.deepEqual(outcomes.slice(-2), ['PreconditionFailed', 'ok']);
});

test('ports removed from a Service lose only its own parts', async () => {
  const two = service([{}, { name: 'admin', port: 81, targetPort: 8081 }], ann, 'uid-web');
  await h.provider.ensureLoadBalancer(CLUSTER, two, [], signal);
  await h.provider.ensureLoadBalancer(CLUSTER, api, [], signal);
  await h.provider.ensureLoadBalancer(CLUSTER, web, [], signal);
  assert.deepEqual(names(h.fake.loadBalancers.get(SHARED), 'probes'), [`${idApi}-grpc`, `${idWeb}-http`].sort());
});

test('deleting one Service leaves the other; deleting the last deletes the Sluice-created load balancer', async () => {
  await both();
  await h.provider.ensureLoadBalancerDeleted(CLUSTER, web, signal);
  const lb = h.fake.loadBalancers.get(SHARED);
  assert.deepEqual(names(lb, 'loadBalancingRules'), [`${idApi}-grpc`]);
  assert.deepEqual(names(lb, 'frontendIPConfigurations'), [`${idApi}-frontend`]);
  assert.equal(lb.tags[`sluice-svc-${idWeb}`], undefined);
  assert.equal(lb.tags[`sluice-svc-${idApi}`], 'shop/api');
  assert.equal(h.fake.publicIps.has(`${SHARED}-${idWeb}-pip`), false, "web's public IP is gone");
  assert.deepEqual(h.fake.addresses(SHARED, `${idApi}-grpc`), ['10.1.0.7:None']);
  assert.equal((await h.provider.getLoadBalancer(CLUSTER, web, signal)).exists, false);

  await h.provider.ensureLoadBalancerDeleted(CLUSTER, api, signal);
  assert.equal(h.fake.loadBalancers.has(SHARED), false, 'the last Service out deletes the shared load balancer');
  assert.equal(h.fake.publicIps.size, 0);
  await h.provider.ensureLoadBalancerDeleted(CLUSTER, api, signal);
});

test('a foreign shared load balancer keeps its own parts and tags and is never deleted', async () => {
  // Someone else's Standard load balancer with a frontend, pool, probe and rule of its own.
  await h.provider.ensureLoadBalancer(CLUSTER, service([{ name: 'legacy' }], ann, 'uid-seed'), [], signal);
  const lb = h.fake.loadBalancers.get(SHARED);
  lb.tags = { owner: 'team-a' };
  for (const kind of ['frontendIPConfigurations', 'backendAddressPools', 'probes', 'loadBalancingRules']) {
    for (const c of lb.properties[kind]) {
      c.name = c.name.replace(/^.*-(frontend|legacy)$/, 'theirs-$1');
      c.id = `${lb.id}/${kind}/${c.name}`;
    }
  }
  const [rule] = lb.properties.loadBalancingRules;
  rule.properties.frontendIPConfiguration.id = `${lb.id}/frontendIPConfigurations/theirs-frontend`;
  rule.properties.backendAddressPool.id = `${lb.id}/backendAddressPools/theirs-legacy`;
  rule.properties.probe.id = `${lb.id}/probes/theirs-legacy`;
  h.fake.touch(SHARED);

  await h.provider.ensureLoadBalancer(CLUSTER, web, [backend('10.1.0.4')], signal);
  const after = h.fake.loadBalancers.get(SHARED);
  assert.deepEqual(after.tags, { owner: 'team-a', [`sluice-svc-${idWeb}`]: 'shop/web' });
  assert.deepEqual(names(after, 'loadBalancingRules'), ['theirs-legacy', `${idWeb}-http`].sort());

  await h.provider.ensureLoadBalancerDeleted(CLUSTER, web, signal);
  const left = h.fake.loadBalancers.get(SHARED);
  assert.ok(left, 'never deleted');
  assert.deepEqual(left.tags, { owner: 'team-a' });
  assert.deepEqual(names(left, 'frontendIPConfigurations'), ['theirs-frontend']);
  assert.deepEqual(names(left, 'loadBalancingRules'), ['theirs-legacy']);
});

test('more than 50 tags is a TerminalError naming the limit', async () => {
  await h.provider.ensureLoadBalancer(CLUSTER, api, [], signal);
  const lb = h.fake.loadBalancers.get(SHARED);
  for (let i = 0; lb && Object.keys(lb.tags).length < 50; i++) lb.tags[`t${i}`] = 'x';
  await assert.rejects(h.provider.ensureLoadBalancer(CLUSTER, web, [], signal), (e: unknown) => isTerminalError(e) && /at most 50 tags/.test((e as Error).message));
});

test('moving a Service between its own and a shared load balancer is a TerminalError', async () => {
  const own = service([{}], {}, 'uid-web');
  await h.provider.ensureLoadBalancer(CLUSTER, own, [], signal);
  const isMove = (e: unknown) => isTerminalError(e) && /delete and re-create the Service/.test((e as Error).message);
  await assert.rejects(h.provider.ensureLoadBalancer(CLUSTER, web, [], signal), isMove);
  // A fresh provider (a restart) still sees the dedicated load balancer.
  const fresh = await startHarness();
  try {
    await fresh.provider.ensureLoadBalancer(CLUSTER, own, [], signal);
    const restarted = new AzureLoadBalancer(fresh.provider.options, {});
    await assert.rejects(restarted.ensureLoadBalancer(CLUSTER, web, [], signal), isMove);
  } finally {
    await fresh.close();
  }
  await h.provider.ensureLoadBalancerDeleted(CLUSTER, own, signal);
  await h.provider.ensureLoadBalancer(CLUSTER, web, [], signal);
  await assert.rejects(h.provider.ensureLoadBalancer(CLUSTER, own, [], signal), isMove, 'shared back to its own');
  await assert.rejects(h.provider.ensureLoadBalancer(CLUSTER, service([{}], { 'sluice.dev/azure-load-balancer-name': 'other' }, 'uid-web'), [], signal), isMove, 'another shared one');
});
