import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NegCache } from './neg-cache.ts';

const ep = (ip: string) => ({ ipAddress: ip, port: 8080, instance: 'node-1' });
const ips = (c: NegCache, zone: string, neg: string) => c.endpoints(zone, neg)?.map((e) => e.ipAddress).sort();

test('endpoints follow the last list and Sluice\'s own changes; a NEG that leaves the backend service takes its endpoints along', () => {
  const c = new NegCache();
  assert.equal(c.negs('bs'), undefined);
  c.setNegs('bs', new Map([['z-a', 'neg-a'], ['z-b', 'neg-b']]));
  c.setEndpoints('z-a', 'neg-a', [ep('10.0.0.1'), ep('10.0.0.2')]);
  c.setEndpoints('z-b', 'neg-b', [ep('10.0.1.1')]);
  c.changed('z-a', 'neg-a', { attached: [ep('10.0.0.3')], detached: [ep('10.0.0.1')] });
  assert.deepEqual(ips(c, 'z-a', 'neg-a'), ['10.0.0.2', '10.0.0.3']);
  // A change to a NEG never listed is not a fact about all of it: still unknown.
  c.changed('z-c', 'neg-c', { attached: [ep('10.0.2.1')] });
  assert.equal(c.endpoints('z-c', 'neg-c'), undefined);
  // The backend service read again: neg-b is gone, neg-a unchanged keeps what is known.
  c.setNegs('bs', new Map([['z-a', 'neg-a']]));
  assert.deepEqual(ips(c, 'z-a', 'neg-a'), ['10.0.0.2', '10.0.0.3']);
  assert.equal(c.endpoints('z-b', 'neg-b'), undefined);
  c.forgetEndpoints('z-a', 'neg-a');
  assert.equal(c.endpoints('z-a', 'neg-a'), undefined);
  c.setEndpoints('z-a', 'neg-a', [ep('10.0.0.9')]);
  c.forget('bs');
  assert.equal(c.negs('bs'), undefined);
  assert.equal(c.endpoints('z-a', 'neg-a'), undefined);
});
