import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createGcpProvider, GcpLoadBalancer } from './index.ts';

test('createGcpProvider builds a provider with the gcp capabilities and sends nothing', () => {
  const saved = { ...process.env };
  Object.assign(process.env, { GOOGLE_CLOUD_PROJECT: 'proj-1', GCP_REGION: 'europe-west1', GCP_NETWORK: 'default', GCP_COMPUTE_ENDPOINT: 'http://127.0.0.1:1' });
  try {
    const p = createGcpProvider({ clusterName: 'c1' });
    assert.ok(p instanceof GcpLoadBalancer);
    assert.equal(p.providerName, 'gcp');
    assert.deepEqual(p.capabilities, { weights: false, drainInPlace: false, drainMode: 'deregister', maxBatch: 500, protocols: ['TCP'], tracksPodUid: false, honours: { sourceRanges: false, loadBalancerIP: false, sessionAffinity: false, ipFamilies: ['IPv4'] }, ipMode: 'Proxy', healthCheckIntervalMs: 5_000, nodeProviderIds: true });
    assert.match(p.getLoadBalancerName('c1', { uid: 'u', namespace: 'n', name: 'x', ports: [], annotations: {} }), /^sl-[0-9a-f]{10}$/);
  } finally {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  }
});
