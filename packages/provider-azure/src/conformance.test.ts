/**
 * The provider conformance suite of @sluice/core/testing against the azure provider, through
 * the real SDK over TLS to the fake ARM (test-support/). The same target, pointed at the ARM
 * test server, is the e2e job's business.
 */
import { after, test } from 'node:test';
import { annotated, type ConformanceTarget, type FaultKind, runConformance } from '@sluice/core/testing';
import type { FakeFault } from './test-support/fake-arm.ts';
import { CLUSTER, startHarness, WRITE } from './test-support/harness.ts';

/** What the fake answers the provider's first call (loadBalancers.get) with, per fault. */
const FAULTS: Record<FaultKind, FakeFault> = {
  throttled: { status: 429, code: 'SubscriptionRequestsThrottled', message: 'Number of read requests exceeded the limit.', headers: { 'Retry-After': '1' }, times: 1 },
  unavailable: { status: 503, code: 'ServerBusy', message: 'The server is busy.', times: 1 },
  rejected: { status: 400, code: 'InvalidRequestFormat', message: 'Cannot parse the request.', times: 1 },
};

const target: ConformanceTarget = {
  name: 'azure (fake ARM)',
  clusterName: CLUSTER,
  drain: 'draining',
  faults: ['throttled', 'unavailable', 'rejected'],
  invalidService: annotated('sluice.dev/azure-probe-interval', '1'),
  async create() {
    const h = await startHarness();
    return {
      provider: h.provider,
      vendorWrites: () => h.fake.calls.filter((c) => WRITE.test(c.operation)).length,
      injectFault: (kind) => h.fake.fail('loadBalancers.get', FAULTS[kind]),
      plantForeign(clusterName, service) {
        // The public IP Sluice created for the load balancer, now tagged as another cluster's:
        // the delete must take the load balancer and leave the IP.
        const name = `${h.provider.getLoadBalancerName(clusterName, service)}-pip`;
        const pip = h.fake.publicIps.get(name.toLowerCase());
        if (!pip) throw new Error(`the fake holds no public IP ${name}`);
        pip.tags = { 'sluice-managed-by': 'sluice', 'sluice-cluster': 'other', 'sluice-service-uid': service.uid };
        return { description: `public IP ${name} tagged for cluster "other"`, exists: () => h.fake.publicIps.has(name.toLowerCase()) };
      },
      cleanup: () => h.close(),
    };
  },
};

runConformance([target], { test, after });
