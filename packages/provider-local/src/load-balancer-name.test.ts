import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadBalancerName, maxLoadBalancerNameLength } from './load-balancer-name.ts';

test('short names are sluice-<namespace>-<name>', () => {
  assert.equal(loadBalancerName({ namespace: 'default', name: 'web' }), 'sluice-default-web');
});

test('long names are cut to the limit with a stable hash suffix', () => {
  const long = { namespace: 'payments-production', name: 'checkout-frontend-canary' };
  const name = loadBalancerName(long);
  assert.equal(name.length, maxLoadBalancerNameLength);
  assert.match(name, /^sluice-payments-product-[0-9a-f]{8}$/);
  assert.equal(loadBalancerName({ ...long }), name);
  assert.notEqual(loadBalancerName({ ...long, name: 'checkout-frontend-stable' }), name);
});

test('a name exactly at the limit is kept whole', () => {
  const service = { namespace: 'ns', name: 'a'.repeat(maxLoadBalancerNameLength - 'sluice-ns-'.length) };
  assert.equal(loadBalancerName(service), `sluice-ns-${service.name}`);
});
