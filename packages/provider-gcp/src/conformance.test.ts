/**
 * The provider conformance suite of @sluice/core/testing against the gcp provider, through the
 * real SDK to the fake Compute API (test-support/). The same target, pointed at the Compute
 * test server, is the e2e job's business.
 */
import { after, test } from 'node:test';
import { annotated, type ConformanceTarget, type FaultKind, runConformance } from '@sluice/core/testing';
import { ResourceNames } from './names.ts';
import { ownerDescription } from './ownership.ts';
import { PROJECT, REGION, startHarness } from './test-support/harness.ts';

/** What the fake answers the provider's first call (the health check GET) with, per fault. */
const FAULTS: Record<FaultKind, [status: number, reason: string, message: string]> = {
  throttled: [429, 'rateLimitExceeded', 'Rate Limit Exceeded'],
  unavailable: [503, 'backendError', 'Backend Error'],
  rejected: [400, 'invalid', 'Invalid value for field resource.name'],
};

const target: ConformanceTarget = {
  name: 'gcp (fake Compute)',
  clusterName: 'c1',
  drain: 'absent',
  faults: ['throttled', 'unavailable', 'rejected'],
  invalidService: annotated('sluice.dev/gcp-healthcheck-interval', '0'),
  backend: (b) => ({ ...b, zone: `${REGION}-b` }),
  async create() {
    const h = await startHarness();
    return {
      provider: h.provider,
      vendorWrites: () => h.fake.writes().length,
      injectFault: (kind) => h.fake.failNext('GET', '/healthChecks/', ...FAULTS[kind]),
      plantForeign(clusterName, service) {
        // A NEG with the Service's name prefix in another zone (delete lists NEGs by it), recorded as another cluster's.
        const zone = `${REGION}-d`;
        const name = new ResourceNames(clusterName, service, REGION).neg(zone);
        const path = `projects/${PROJECT}/zones/${zone}/networkEndpointGroups/${name}`;
        h.fake.seed(path, { name, description: ownerDescription('other-cluster', service), networkEndpointType: 'GCE_VM_IP_PORT' });
        return { description: `NEG ${name} recorded as cluster other-cluster's`, exists: () => h.fake.resources.has(path) };
      },
      cleanup: () => h.close(),
    };
  },
};

runConformance([target], { test, after });
