import assert from 'node:assert/strict';
import { test } from 'node:test';
import { instanceName, placement, wantedByZone } from './neg-sync.ts';

test('a node named by its FQDN is the VM of its first label (Compute instance names have no dots)', () => {
  assert.equal(instanceName('node-1.us-central1-a.c.proj.internal'), 'node-1');
  assert.equal(instanceName('gke-pool-1-abcd'), 'gke-pool-1-abcd');
  const { zones } = wantedByZone([{ servicePort: 'http', ip: '10.0.0.5', port: 8080, podUid: 'u', podName: 'p', weight: 1, nodeName: 'vm-7.c.proj.internal', zone: 'z-a' }]);
  assert.deepEqual([...(zones.get('z-a')?.values() ?? [])], [{ ipAddress: '10.0.0.5', port: 8080, instance: 'vm-7' }]);
});

test("a node's GCE provider ID names the VM and its zone, whatever the node is called", () => {
  const base = { servicePort: 'http', ip: '10.0.0.5', port: 8080, podUid: 'u', podName: 'p', weight: 1 };
  assert.deepEqual(placement({ ...base, nodeName: 'worker-3', zone: 'z-a', nodeProviderId: 'gce://proj/us-central1-b/pool-a-vm-9' }), { zone: 'us-central1-b', instance: 'pool-a-vm-9' });
  assert.deepEqual(placement({ ...base, nodeName: 'worker-3', zone: 'z-a', nodeProviderId: 'aws:///eu-west-1a/i-0abc' }), { zone: 'z-a', instance: 'worker-3' }, 'not a GCE ID: the node name');
  assert.equal(placement({ ...base, nodeName: 'worker-3' }), undefined, 'no zone and no provider ID: nowhere to place it');
  const { zones, unplaced } = wantedByZone([{ ...base, nodeProviderId: 'gce://proj/us-central1-b/pool-a-vm-9' }]);
  assert.deepEqual([[...zones.keys()], [...(zones.get('us-central1-b')?.values() ?? [])], unplaced], [['us-central1-b'], [{ ipAddress: '10.0.0.5', port: 8080, instance: 'pool-a-vm-9' }], []]);
});
