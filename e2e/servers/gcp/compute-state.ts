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
  /** e.g. `10.0.0.0/16`. */
  readonly ipCidrRange: string;
  /** `REGIONAL_MANAGED_PROXY` makes it a proxy-only subnet. @default 'PRIVATE' */
  readonly purpose?: string;
  /** A proxy-only subnet's role: `ACTIVE` or `BACKUP`. @default 'ACTIVE' for a proxy-only subnet */
  readonly role?: string;
}

/** A VM as NEG endpoint validation and the firewall see it. */
export interface InstanceSeed {
  readonly project: string;
  readonly zone: string;
  readonly name: string;
  readonly network: string;
  readonly subnetwork: string;
  /** The primary internal IP. */
  readonly networkIP: string;
  /** Alias IP ranges (pod ranges), CIDRs. @default [] */
  readonly aliasIpRanges?: readonly string[];
  /** Network tags. @default [] */
  readonly tags?: readonly string[];
  /** Service account emails. @default [] */
  readonly serviceAccounts?: readonly string[];
}

export interface NegView {
  readonly body: JsonObject;
  readonly endpoints: readonly StoredEndpoint[];
}

export interface ComputeState {
  addZone(project: string, zone: string, region: string): void;
  addNetwork(seed: NetworkSeed): JsonObject;
  addSubnetwork(seed: SubnetworkSeed): JsonObject;
  addInstance(seed: InstanceSeed): JsonObject;
  firewalls(): JsonObject[];
  addresses(): JsonObject[];
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
    addSubnetwork({ project, region, name, network, ipCidrRange, purpose = 'PRIVATE', role }) {
      const net = ctx.store.get({ project, scopeKind: 'global', scope: '', collection: 'networks', name: network });
      const proxyOnly = purpose === 'REGIONAL_MANAGED_PROXY';
      const sub = ctx.store.insert({ project, scopeKind: 'regions', scope: region, collection: 'subnetworks', name }, 'compute#subnetwork', {
        network: net.body.selfLink as string,
        ipCidrRange,
        purpose,
        ...(proxyOnly ? { role: role ?? 'ACTIVE' } : {}),
      });
      net.body.subnetworks = [...((net.body.subnetworks as string[] | undefined) ?? []), sub.body.selfLink as string];
      void ctx.twin?.sync(ctx);
      return sub.body;
    },
    addInstance({ project, zone, name, network, subnetwork, networkIP, aliasIpRanges = [], tags = [], serviceAccounts = [] }) {
      const region = ctx.zones.get(project)?.get(zone);
      if (region === undefined) throw new Error(`zone ${zone} of project ${project} is not seeded (addZone first)`);
      const net = ctx.store.get({ project, scopeKind: 'global', scope: '', collection: 'networks', name: network });
      const sub = ctx.store.get({ project, scopeKind: 'regions', scope: region, collection: 'subnetworks', name: subnetwork });
      const vm = ctx.store.insert({ project, scopeKind: 'zones', scope: zone, collection: 'instances', name }, 'compute#instance', {
        status: 'RUNNING',
        networkInterfaces: [
          { name: 'nic0', network: net.body.selfLink as string, subnetwork: sub.body.selfLink as string, networkIP, aliasIpRanges: aliasIpRanges.map((ipCidrRange) => ({ ipCidrRange })) },
        ],
        tags: { items: [...tags] },
        serviceAccounts: serviceAccounts.map((email) => ({ email, scopes: ['https://www.googleapis.com/auth/cloud-platform'] })),
      });
      void ctx.twin?.sync(ctx);
      return vm.body;
    },
    firewalls: () => bodies('firewalls'),
    addresses: () => bodies('addresses'),
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
