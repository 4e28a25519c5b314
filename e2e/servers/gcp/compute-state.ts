/** What a test sees and seeds: networks, subnetworks, zones, resources, endpoint health overrides. */
import type { ComputeContext, StoredEndpoint } from './compute-context.ts';
import type { HealthState } from './endpoint-health.ts';
import type { JsonObject } from './json.ts';
import { relativeName } from './resource-refs.ts';

export interface NetworkSeed {
  readonly project: string;
  readonly name: string;
}

export interface SubnetworkSeed {
  readonly project: string;
  readonly region: string;
  readonly name: string;
  readonly network: string;
  /** e.g. `10.0.0.0/16`; documentation only: endpoint IPs are not checked against it. */
  readonly ipCidrRange: string;
}

export interface NegView {
  readonly body: JsonObject;
  readonly endpoints: readonly StoredEndpoint[];
}

export interface ComputeState {
  addZone(project: string, zone: string, region: string): void;
  addNetwork(seed: NetworkSeed): JsonObject;
  addSubnetwork(seed: SubnetworkSeed): JsonObject;
  /** Overrides the TCP probe for ip:port; `undefined` removes the override. */
  setHealth(ip: string, port: number, state: HealthState | undefined): void;
  networkEndpointGroups(): NegView[];
  backendServices(): JsonObject[];
  healthChecks(): JsonObject[];
  targetTcpProxies(): JsonObject[];
  forwardingRules(): JsonObject[];
  operations(): JsonObject[];
}

export function createComputeState(ctx: ComputeContext): ComputeState {
  const bodies = (collection: string) => ctx.store.all(collection).map((s) => structuredClone(s.body));
  return {
    addZone(project, zone, region) {
      const zones = ctx.zones.get(project) ?? new Map<string, string>();
      zones.set(zone, region);
      ctx.zones.set(project, zones);
    },
    addNetwork({ project, name }) {
      return ctx.store.insert({ project, scopeKind: 'global', scope: '', collection: 'networks', name }, 'compute#network', { autoCreateSubnetworks: false, routingConfig: { routingMode: 'REGIONAL' } }).body;
    },
    addSubnetwork({ project, region, name, network, ipCidrRange }) {
      const net = ctx.store.get({ project, scopeKind: 'global', scope: '', collection: 'networks', name: network });
      const sub = ctx.store.insert({ project, scopeKind: 'regions', scope: region, collection: 'subnetworks', name }, 'compute#subnetwork', { network: net.body.selfLink as string, ipCidrRange });
      net.body.subnetworks = [...((net.body.subnetworks as string[] | undefined) ?? []), sub.body.selfLink as string];
      return sub.body;
    },
    setHealth(ip, port, state) {
      ctx.health.set(ip, port, state);
    },
    networkEndpointGroups() {
      return ctx.store.all('networkEndpointGroups').map((s) => ({
        body: { ...structuredClone(s.body), size: ctx.endpoints.get(relativeName(s.ref))?.length ?? 0 },
        endpoints: structuredClone(ctx.endpoints.get(relativeName(s.ref)) ?? []),
      }));
    },
    backendServices: () => bodies('backendServices'),
    healthChecks: () => bodies('healthChecks'),
    targetTcpProxies: () => bodies('targetTcpProxies'),
    forwardingRules: () => bodies('forwardingRules'),
    operations: () => ctx.operations.list(),
  };
}
