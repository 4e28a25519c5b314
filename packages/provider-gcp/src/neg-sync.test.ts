import assert from 'node:assert/strict';
import { test } from 'node:test';
import { instanceName, wantedByZone } from './neg-sync.ts';

test('a node named by its FQDN is the VM of its first label (Compute instance names have no dots)', () => {
  assert.equal(instanceName('node-1.us-central1-a.c.proj.internal'), 'node-1');
  assert.equal(instanceName('gke-pool-1-abcd'), 'gke-pool-1-abcd');
  const { zones } = wantedByZone([{ servicePort: 'http', ip: '10.0.0.5', port: 8080, podUid: 'u', podName: 'p', weight: 1, nodeName: 'vm-7.c.proj.internal', zone: 'z-a' }]);
  assert.deepEqual([...(zones.get('z-a')?.values() ?? [])], [{ ipAddress: '10.0.0.5', port: 8080, instance: 'vm-7' }]);
});
