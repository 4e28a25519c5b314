import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backendAddressName, childId, loadBalancerId, loadBalancerName, ownedPublicIpName, sameId, serviceHash } from './names.ts';
import { describeOwner, isOwnedBy, serviceTags } from './tags.ts';

const AZURE_NAME = /^[A-Za-z0-9](?:[\w.-]{0,78}\w)?$/;

test('the load balancer name is sluice-<ns>-<name>-<8 hex hash of cluster and UID>', () => {
  const name = loadBalancerName('c1', { namespace: 'shop', name: 'web', uid: 'u1' });
  assert.equal(name, `sluice-shop-web-${serviceHash('c1', { uid: 'u1' })}`);
  assert.match(serviceHash('c1', { uid: 'u1' }), /^[0-9a-f]{8}$/);
  assert.equal(loadBalancerName('c1', { namespace: 'shop', name: 'web', uid: 'u1' }), name, 'stable');
  assert.notEqual(loadBalancerName('c2', { namespace: 'shop', name: 'web', uid: 'u1' }), name, 'another cluster, another name');
  assert.notEqual(loadBalancerName('c1', { namespace: 'shop', name: 'web', uid: 'u2' }), name, 'a re-created Service, another name');
});

test('names stay within Azure rules and leave room for the -pip suffix', () => {
  const cases = [
    { namespace: 'a'.repeat(63), name: 'b'.repeat(63), uid: 'u' },
    { namespace: 'kube-system', name: 'x', uid: 'u' },
    { namespace: 'ns', name: 'web.v2_beta', uid: 'u' },
    { namespace: '-', name: '--', uid: 'u' },
  ];
  for (const svc of cases) {
    const name = loadBalancerName('c1', svc);
    assert.ok(name.length <= 76, `${name} is ${name.length} long`);
    assert.match(name, AZURE_NAME);
    assert.match(ownedPublicIpName(name), AZURE_NAME);
    assert.ok(ownedPublicIpName(name).length <= 80);
    assert.doesNotMatch(name, /--/);
  }
  assert.equal(loadBalancerName('c1', { namespace: 'ns', name: 'web.v2_beta', uid: 'u' }).startsWith('sluice-ns-web-v2-beta-'), true);
  const long = loadBalancerName('c1', { namespace: 'a'.repeat(63), name: 'b'.repeat(63), uid: 'u' });
  assert.equal(long.split('-')[1], 'a'.repeat(24), 'the namespace keeps 24 characters');
  assert.equal(long.length, 76);
});

test('backend address names, resource IDs and case-insensitive ID comparison', () => {
  assert.equal(backendAddressName('10.1.2.3'), 'sluice-ip-10-1-2-3');
  assert.equal(backendAddressName('fd00::a:1'), 'sluice-ip-fd00--a-1');
  const id = loadBalancerId({ subscriptionId: 's', resourceGroup: 'RG' }, 'lb');
  assert.equal(id, '/subscriptions/s/resourceGroups/RG/providers/Microsoft.Network/loadBalancers/lb');
  assert.equal(childId(id, 'probes', 'http'), `${id}/probes/http`);
  assert.ok(sameId(id, id.toLowerCase()));
  assert.ok(!sameId(id, undefined));
});

test('tags prove ownership by cluster and Service UID, and say who owns what is not ours', () => {
  const tags = serviceTags('c1', { namespace: 'shop', name: 'web', uid: 'u1' });
  assert.deepEqual(tags, { 'sluice-cluster': 'c1', 'sluice-service-namespace': 'shop', 'sluice-service-name': 'web', 'sluice-service-uid': 'u1', 'sluice-managed-by': 'sluice' });
  assert.ok(Object.keys(tags).every((k) => !k.includes('/')), 'Azure tag names may not contain /');
  assert.ok(isOwnedBy(tags, 'c1', { uid: 'u1' }));
  assert.ok(!isOwnedBy(tags, 'c2', { uid: 'u1' }));
  assert.ok(!isOwnedBy(tags, 'c1', { uid: 'u2' }));
  assert.ok(!isOwnedBy(undefined, 'c1', { uid: 'u1' }));
  assert.equal(describeOwner({}), 'it has no sluice-managed-by=sluice tag');
  assert.equal(describeOwner({ ...tags, 'sluice-cluster': 'c2' }), 'its tags name cluster "c2" and Service shop/web (uid u1)');
});
