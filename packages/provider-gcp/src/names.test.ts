import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ResourceNames, sameResource, serviceHash, zoneSuffix } from './names.ts';

const RFC1035 = /^[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?$/;

test('names are sl-<10 hex>-..., stable, lowercase RFC 1035 and within 63 characters', () => {
  const n = new ResourceNames('prod', { uid: 'a1b2' }, 'europe-west1');
  const hash = serviceHash('prod', { uid: 'a1b2' });
  assert.match(hash, /^[0-9a-f]{10}$/);
  assert.equal(n.prefix, `sl-${hash}-`);
  assert.deepEqual([n.healthCheck, n.backendService, n.neg('europe-west1-b'), n.proxy(443), n.forwardingRule(443)], [
    `sl-${hash}-hc`,
    `sl-${hash}-bs`,
    `sl-${hash}-b`,
    `sl-${hash}-tp-443`,
    `sl-${hash}-fr-443`,
  ]);
  const long = n.neg('Some_Very-Long-Zone-Name-That-Is-Not-In-The-Region-At-All-Really-Long');
  for (const name of [n.healthCheck, n.neg('europe-west1-b'), n.forwardingRule(65535), long]) {
    assert.ok(name.length <= 63, name);
    assert.match(name, RFC1035);
  }
  assert.notEqual(serviceHash('prod', { uid: 'a1b2' }), serviceHash('staging', { uid: 'a1b2' }));
  assert.equal(n.filter, `name eq sl-${hash}-.*`);
});

test('zone suffix and resource comparison', () => {
  assert.equal(zoneSuffix('us-central1-a', 'us-central1'), 'a');
  assert.equal(zoneSuffix('us-east1-b', 'us-central1'), 'us-east1-b');
  assert.ok(sameResource('https://www.googleapis.com/compute/v1/projects/p/zones/z/networkEndpointGroups/n', 'projects/p/zones/z/networkEndpointGroups/n'));
  assert.ok(!sameResource(undefined, undefined));
});
