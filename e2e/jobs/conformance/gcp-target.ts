/**
 * The gcp provider as a conformance target: the real `@sluice/provider-gcp` and
 * `@google-cloud/compute` clients against the Compute REST test server (every exchange checked
 * against the SDK's protos), with a network, a subnetwork and two zones seeded. Backends are
 * on loopback, standing in for pod IPs (the server probes endpoints with real connections).
 * The provider makes no SDK retries by design, so one armed fault surfaces.
 *
 * Faults, each on the provider's first calls of a new Service:
 * - `throttled`: the server answers the health check GET `429 rateLimitExceeded`;
 * - `unavailable`: the server answers the health check GET `503 backendError`;
 * - `rejected`: the health check insert is accepted, and its operation ends DONE with a
 *   `400 INVALID_USAGE` error, as Compute reports what it refuses while an operation runs.
 * The foreign resource is a NEG with the Service's NEG name in another zone, recorded as
 * another cluster's (delete lists NEGs by name).
 */
import type { Backend } from '@sluice/core';
import { annotated, type ConformanceTarget, type FaultKind } from '@sluice/core/testing';
import { createGcpProvider, type GcpLoadBalancer, HEALTHCHECK_INTERVAL_ANNOTATION, ownerDescription, ResourceNames } from '@sluice/provider-gcp';
import type { HarnessLogger } from '@sluice/testbed/harness';
import { type ComputeServer, computeCallBudget, startComputeServer } from '../../servers/gcp/index.ts';
import { CLUSTER, faultCounts, type JobTarget, onLoopback, started } from './job-target.ts';

const PROJECT = 'sluice-conformance';
const REGION = 'us-central1';
/** Where the backends are. */
const BACKEND_ZONE = `${REGION}-b`;
/** Where the foreign NEG goes: a zone the Service has no backend in. */
const FOREIGN_ZONE = `${REGION}-d`;
const HEALTH_CHECK_GET = 'compute.regionHealthChecks.get';
const HEALTH_CHECK_INSERT = 'compute.regionHealthChecks.insert';

interface Gcp {
  readonly server: ComputeServer;
  readonly provider: GcpLoadBalancer;
}

export function gcpTarget(): JobTarget {
  let gcp: Gcp | undefined;

  const arm: Record<FaultKind, (g: Gcp) => void> = {
    throttled: (g) => g.server.faults.throttleNext(1, 1, HEALTH_CHECK_GET),
    unavailable: (g) => g.server.faults.failNext(1, 503, HEALTH_CHECK_GET),
    rejected: (g) =>
      g.server.faults.failOperation(
        1,
        { code: 'INVALID_USAGE', message: 'The health check cannot be created: Compute refused it while the operation ran.', httpStatus: 400 },
        HEALTH_CHECK_INSERT,
      ),
  };

  const target: ConformanceTarget = {
    name: 'gcp (Compute test server)',
    clusterName: CLUSTER,
    drain: 'absent',
    faults: ['throttled', 'unavailable', 'rejected'],
    invalidService: annotated(HEALTHCHECK_INTERVAL_ANNOTATION, '0'),
    backend: (base): Backend => ({ ...base, ip: onLoopback(base.ip), zone: BACKEND_ZONE }),
    create() {
      const g = started(gcp, 'the gcp target');
      return {
        provider: g.provider,
        vendorWrites: () => computeCallBudget(g.server.requests.entries()).writes,
        injectFault: (kind) => arm[kind](g),
        async plantForeign(clusterName, service) {
          const name = new ResourceNames(clusterName, service, REGION).neg(FOREIGN_ZONE);
          const res = await fetch(`${g.server.url}/compute/v1/projects/${PROJECT}/zones/${FOREIGN_ZONE}/networkEndpointGroups`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ name, description: ownerDescription('other-cluster', service), networkEndpointType: 'GCE_VM_IP_PORT', network: 'global/networks/default' }),
          });
          if (res.status !== 200) throw new Error(`the Compute test server refused the foreign NEG ${name}: ${res.status} ${await res.text()}`);
          const exists = () => g.server.state.networkEndpointGroups().some((n) => n.body['name'] === name && String(n.body['zone']).endsWith(`/${FOREIGN_ZONE}`));
          return { description: `NEG ${name} in ${FOREIGN_ZONE} recorded as cluster other-cluster's`, exists };
        },
        async cleanup() {
          // The provider is shared by every case; a fault nobody met is disarmed.
          g.server.faults.clear();
        },
      };
    },
  };

  return {
    target,
    async start(log: HarnessLogger) {
      const server = await startComputeServer();
      try {
        for (const zone of [BACKEND_ZONE, FOREIGN_ZONE]) server.state.addZone(PROJECT, zone, REGION);
        server.state.addNetwork({ project: PROJECT, name: 'default' });
        server.state.addSubnetwork({ project: PROJECT, region: REGION, name: 'default', network: 'default', ipCidrRange: '127.0.0.0/8' });
        server.state.addSubnetwork({ project: PROJECT, region: REGION, name: 'proxy-only', network: 'default', ipCidrRange: '10.129.0.0/23', purpose: 'REGIONAL_MANAGED_PROXY' });
        // The VMs the conformance backends name, whose alias range holds their (loopback) pod IPs.
        for (const [i, name] of ['node-0', 'node-1', 'node-2', 'node-a'].entries()) {
          server.state.addInstance({ project: PROJECT, zone: BACKEND_ZONE, name, network: 'default', subnetwork: 'default', networkIP: `127.1.0.${i + 1}`, aliasIpRanges: ['127.77.0.0/16'] });
        }
        // The operator's firewall rules the provider checks for: health checks and proxies to the pods.
        for (const [name, sourceRanges] of [
          ['allow-health-checks', ['35.191.0.0/16', '130.211.0.0/22']],
          ['allow-proxies', ['10.129.0.0/23']],
        ] as const) {
          const res = await fetch(`${server.url}/compute/v1/projects/${PROJECT}/global/firewalls`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ name, sourceRanges, allowed: [{ IPProtocol: 'tcp' }] }),
          });
          if (res.status !== 200) throw new Error(`the Compute test server refused firewall rule ${name}: ${res.status} ${await res.text()}`);
        }
        const provider = createGcpProvider({ clusterName: CLUSTER, project: PROJECT, region: REGION, network: 'default', subnetwork: 'default', apiEndpoint: server.url });
        gcp = { server, provider };
      } catch (error) {
        await server.close();
        throw error;
      }
      log.info(`gcp provider: Compute test server ${server.url}, project ${PROJECT}, region ${REGION}`);
    },
    async stop() {
      const g = gcp;
      gcp = undefined;
      if (!g) return;
      await g.provider.close();
      await g.server.close();
    },
    summary() {
      if (!gcp) return 'gcp: not started';
      const budget = computeCallBudget(gcp.server.requests.entries());
      const failed = gcp.server.state.operations().filter((op) => op['error'] !== undefined).length;
      return `gcp: ${budget.reads} reads, ${budget.writes} writes, ${budget.polls} operation polls; faults: ${faultCounts(gcp.server.requests.entries())}; operations ended with an error: ${failed}`;
    },
  };
}
