import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isTerminalError } from '@sluice/core';
import { backend, PROJECT, REGION, service, startHarness } from './test-support/harness.ts';

const signal = () => new AbortController().signal;
const sub = (name: string, network: string, purpose?: string) => ({ name, network: `https://www.googleapis.com/compute/v1/projects/${PROJECT}/global/networks/${network}`, ...(purpose ? { purpose } : {}) });

test('without the subnetwork option every NEG names the network\'s one ordinary subnetwork in the region', async () => {
  const h = await startHarness({ subnetwork: undefined });
  try {
    h.fake.seed(`projects/${PROJECT}/regions/${REGION}/subnetworks/pods`, sub('pods', 'vpc-1', 'PRIVATE'));
    h.fake.seed(`projects/${PROJECT}/regions/${REGION}/subnetworks/proxy-only`, sub('proxy-only', 'vpc-1', 'REGIONAL_MANAGED_PROXY'));
    h.fake.seed(`projects/${PROJECT}/regions/${REGION}/subnetworks/elsewhere`, sub('elsewhere', 'other-vpc'));
    await h.provider.ensureLoadBalancer('c1', service(), [backend(1)], signal());
    const inserts = h.fake.calls.filter((c) => c.method === 'POST' && /\/networkEndpointGroups$/.test(c.path));
    assert.equal(inserts.length, 1);
    assert.equal(inserts[0]?.body?.['subnetwork'], `projects/${PROJECT}/regions/${REGION}/subnetworks/pods`);
  } finally {
    await h.close();
  }
});

test('two ordinary subnetworks and no option: one sentence asking for it, no NEG', async () => {
  const h = await startHarness({ subnetwork: undefined });
  try {
    h.fake.seed(`projects/${PROJECT}/regions/${REGION}/subnetworks/a`, sub('a', 'vpc-1'));
    h.fake.seed(`projects/${PROJECT}/regions/${REGION}/subnetworks/b`, sub('b', 'vpc-1'));
    await assert.rejects(h.provider.ensureLoadBalancer('c1', service(), [backend(1)], signal()), (e: unknown) => {
      assert.ok(isTerminalError(e));
      assert.equal(
        (e as Error).message,
        `GCP provider option subnetwork is not set and network vpc-1 has 2 subnetworks (a, b) in region ${REGION}, so the NEGs cannot name the pods' subnetwork: pass --gcp-subnetwork or set GCP_SUBNETWORK.`,
      );
      return true;
    });
    assert.equal(h.fake.calls.filter((c) => c.method === 'POST' && /\/networkEndpointGroups$/.test(c.path)).length, 0);
  } finally {
    await h.close();
  }
});
