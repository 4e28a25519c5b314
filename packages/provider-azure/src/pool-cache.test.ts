import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PoolCache } from './pool-cache.ts';

test('pools come from load balancer reads and pool writes; a write leaves only the written pool (the others now carry a stale ETag)', () => {
  const c = new PoolCache();
  c.rememberLoadBalancer('lb', { backendAddressPools: [{ name: 'http', etag: 'e1' }, { name: 'https', etag: 'e1' }] });
  assert.equal(c.get('lb', 'http')?.etag, 'e1');
  assert.equal(c.get('lb', 'https')?.etag, 'e1');
  c.written('lb', 'http', { name: 'http', etag: 'e2' });
  assert.equal(c.get('lb', 'http')?.etag, 'e2');
  assert.equal(c.get('lb', 'https'), undefined);
  c.set('lb', 'https', { name: 'https', etag: 'e2' });
  c.forget('lb', 'http');
  assert.equal(c.get('lb', 'http'), undefined);
  assert.equal(c.get('lb', 'https')?.etag, 'e2');
  c.forget('lb');
  assert.equal(c.get('lb', 'https'), undefined);
  // Another load balancer's pools are its own.
  c.rememberLoadBalancer('other', { backendAddressPools: [{ name: 'http', etag: 'x' }] });
  assert.equal(c.get('lb', 'http'), undefined);
});
