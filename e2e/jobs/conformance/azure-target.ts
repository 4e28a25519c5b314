/**
 * The azure provider as a conformance target: the real `@sluice/provider-azure`,
 * `@azure/arm-network` and `@azure/identity` (a client secret credential that gets its token
 * from the server's Entra endpoint) against the ARM test server over HTTPS. The pods' virtual
 * network has loopback as its address space, standing in for pod IPs (the server probes
 * backends with real connections). The SDK's retry policy is off (the work queue is Sluice's
 * retry), so one armed fault surfaces.
 *
 * Faults, each on the provider's first call of a new Service unless said otherwise:
 * - `throttled`: the server answers loadBalancers.get `429 TooManyRequests` with Retry-After;
 * - `unavailable`: the server answers loadBalancers.get `503`;
 * - `rejected`: ARM's own validation, which the server's fault box does not fake: the pods'
 *   virtual network is re-created without the pods' address space, so the pool write that
 *   follows the new load balancer is refused `400 InvalidBackendAddress` (the address is not
 *   in the network it names). The address space is put back as soon as the server has
 *   answered that 400, before the client reads it, so the next ensure succeeds.
 * The foreign resource is the public IP Sluice made for the load balancer, re-tagged as
 * another cluster's: deleting the load balancer must leave it.
 */
import { randomUUID } from 'node:crypto';
import { NetworkManagementClient } from '@azure/arm-network';
import { ClientSecretCredential } from '@azure/identity';
import type { Backend } from '@sluice/core';
import { annotated, type ConformanceTarget, type FaultKind } from '@sluice/core/testing';
import { type AzureLoadBalancer, createAzureProvider, MANAGED_BY, ownedPublicIpName, PROBE_INTERVAL_ANNOTATION, TAG_CLUSTER, TAG_MANAGED_BY, TAG_SERVICE_UID } from '@sluice/provider-azure';
import type { HarnessLogger } from '@sluice/testbed/harness';
import { type ArmServer, armCallBudget, startArmServer } from '../../servers/azure/index.ts';
import { CLUSTER, faultCounts, type JobTarget, onLoopback, started } from './job-target.ts';

const RG = 'sluice-conformance';
const LOCATION = 'westeurope';
const VNET = 'pods';
/** Where the pods live: loopback, so probes stay on this host. */
const POD_SPACE = ['127.0.0.0/8'];
/** The network without the pods' addresses, while a rejection is armed. */
const MOVED_SPACE = ['10.0.0.0/8'];

interface Azure {
  readonly arm: ArmServer;
  readonly subscriptionId: string;
  /** The test's own client. */
  readonly client: NetworkManagementClient;
  readonly provider: AzureLoadBalancer;
}

/** Seeds the resource group and the pods' network, and builds the clients and the provider (nothing is sent yet). */
function connect(server: ArmServer): Azure {
  const subscriptionId = randomUUID();
  server.state.createResourceGroup(subscriptionId, RG, LOCATION);
  const vnet = server.state.createVirtualNetwork(subscriptionId, RG, VNET, POD_SPACE);
  const credential = new ClientSecretCredential(server.identity.tenantId, server.identity.clientId, server.identity.clientSecret, {
    authorityHost: server.authorityHost,
    disableInstanceDiscovery: true,
    tlsOptions: { ca: server.caPem },
  });
  const clientOptions = (maxRetries: number) => ({ endpoint: server.endpoint, tlsOptions: { ca: server.caPem }, retryOptions: { maxRetries, retryDelayInMs: 10 } });
  const provider = createAzureProvider({
    clusterName: CLUSTER,
    subscriptionId,
    resourceGroup: RG,
    location: LOCATION,
    virtualNetworkId: String(vnet['id']),
    networkClient: new NetworkManagementClient(credential, subscriptionId, clientOptions(0)),
    pollIntervalMs: 10,
  });
  return { arm: server, subscriptionId, client: new NetworkManagementClient(credential, subscriptionId, clientOptions(3)), provider };
}

export function azureTarget(): JobTarget {
  let azure: Azure | undefined;
  /** Puts the pods' address space back; set while a rejection is armed. */
  let restore: (() => void) | undefined;
  let rejected = 0;

  function armRejection(a: Azure): void {
    a.arm.state.createVirtualNetwork(a.subscriptionId, RG, VNET, MOVED_SPACE);
    const unsubscribe = a.arm.requests.subscribe((entry) => {
      if (entry.service === 'arm' && entry.status === 400) {
        rejected++;
        restore?.();
      }
    });
    restore = () => {
      unsubscribe();
      a.arm.state.createVirtualNetwork(a.subscriptionId, RG, VNET, POD_SPACE);
      restore = undefined;
    };
  }

  const arm: Record<FaultKind, (a: Azure) => void> = {
    throttled: (a) => a.arm.faults.throttleNext(1, 1, 'LoadBalancers_Get'),
    unavailable: (a) => a.arm.faults.failNext(1, 503, 'LoadBalancers_Get'),
    rejected: armRejection,
  };

  const target: ConformanceTarget = {
    name: 'azure (ARM test server)',
    clusterName: CLUSTER,
    drain: 'draining',
    faults: ['throttled', 'unavailable', 'rejected'],
    invalidService: annotated(PROBE_INTERVAL_ANNOTATION, '1'),
    backend: (base): Backend => ({ ...base, ip: onLoopback(base.ip) }),
    create() {
      const a = started(azure, 'the azure target');
      return {
        provider: a.provider,
        vendorWrites: () => armCallBudget(a.arm.requests.entries()).writes,
        injectFault: (kind) => arm[kind](a),
        async plantForeign(clusterName, service) {
          const name = ownedPublicIpName(a.provider.getLoadBalancerName(clusterName, service));
          if (!a.arm.state.publicIpAddress(a.subscriptionId, RG, name)) throw new Error(`the ARM test server holds no public IP ${name}`);
          await a.client.publicIPAddresses.updateTags(RG, name, { tags: { [TAG_MANAGED_BY]: MANAGED_BY, [TAG_CLUSTER]: 'other', [TAG_SERVICE_UID]: service.uid } });
          return {
            description: `public IP ${name} tagged for cluster "other"`,
            exists: () => a.arm.state.publicIpAddress(a.subscriptionId, RG, name) !== undefined,
          };
        },
        async cleanup() {
          // The provider is shared by every case; an armed rejection nobody met is put back.
          restore?.();
          a.arm.faults.clear();
        },
      };
    },
  };

  return {
    target,
    async start(log: HarnessLogger) {
      const server = await startArmServer({ retryAfterSeconds: 0, operations: { durationMs: 30 }, discoveryProxy: false });
      try {
        azure = connect(server);
      } catch (error) {
        await server.stop();
        throw error;
      }
      log.info(`azure provider: ARM test server ${server.endpoint}, resource group ${RG}, virtual network ${VNET} (${POD_SPACE.join(', ')})`);
    },
    async stop() {
      const a = azure;
      azure = undefined;
      if (!a) return;
      await a.provider.close();
      await a.arm.stop();
    },
    summary() {
      if (!azure) return 'azure: not started';
      const budget = armCallBudget(azure.arm.requests.entries());
      return `azure: ${budget.reads} reads, ${budget.writes} writes, ${budget.polls} operation polls; faults: ${faultCounts(azure.arm.requests.entries())}; refused by ARM validation while the address space was moved: ${rejected}`;
    },
  };
}
