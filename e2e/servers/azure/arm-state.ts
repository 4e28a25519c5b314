/**
 * The state API tests use beside ARM: seed what a test needs (resource groups, virtual
 * networks, network interfaces), read what a client created exactly as ARM would answer a
 * GET, see backend pools as plain address lists, and fix the health the server reports for
 * an address. Every read first settles due asynchronous operations, so it agrees with what
 * a client polling the server would see at that moment.
 */
import type { ArmStore } from './arm-store.ts';
import { ADMIN_STATES, type AdminState } from './backend-pool.ts';
import type { BackendHealth, HealthState } from './backend-health.ts';
import { privateIpsInSubnet, publicIpUsers } from './ip-usage.ts';
import { isObject, type JsonObject, objectAt, refAt, stringAt } from './json.ts';
import { storedChildren } from './load-balancer.ts';
import { renderLoadBalancer } from './load-balancer-view.ts';
import { createNetworkInterfaceRecord, renderNetworkInterface } from './network-interface.ts';
import { checkRuleConflicts, NSG_TYPE, normalizeSecurityRule, renderNsg } from './nsg.ts';
import type { ArmOperations } from './arm-operations.ts';
import { ensureAddressAssigned, renderPublicIp } from './public-ip.ts';
import { renderResourceGroup } from './routes-resource-groups.ts';
import { LB_TYPE, networkId, PIP_TYPE } from './resource-ids.ts';
import { normalizeLocation } from './validate.ts';
import { cidrContains, createVirtualNetwork, findSubnet, nextFreeAddress, renderVirtualNetwork, type SubnetSpec, VNET_TYPE } from './virtual-network.ts';

export interface ResourceFilter {
  readonly subscriptionId?: string;
  readonly resourceGroup?: string;
}

export interface BackendAddressView {
  readonly name: string;
  readonly ipAddress: string | undefined;
  /** `None` when the address has no adminState. */
  readonly adminState: AdminState;
  readonly virtualNetworkId: string | undefined;
  readonly subnetId: string | undefined;
}

export interface BackendPoolView {
  readonly id: string;
  readonly name: string;
  /** The load balancer's etag, which the pool shares. */
  readonly etag: string;
  readonly provisioningState: string;
  readonly addresses: readonly BackendAddressView[];
}

export interface VirtualNetworkOptions {
  /** @default the resource group's location */
  readonly location?: string;
  /** @default one subnet `default` spanning the first address prefix */
  readonly subnets?: readonly SubnetSpec[];
  readonly tags?: Readonly<Record<string, string>>;
}

export interface NetworkInterfaceOptions {
  readonly subnetId: string;
  /** @default the next free address of the subnet */
  readonly privateIPAddress?: string;
  /** @default 'ipconfig1' */
  readonly ipConfigurationName?: string;
  readonly publicIPAddressId?: string;
  readonly backendPoolIds?: readonly string[];
  readonly inboundNatRuleIds?: readonly string[];
  /** @default the resource group's location */
  readonly location?: string;
}

export interface ArmState {
  /** Creates (or updates the tags of) a resource group; its subscription then exists. Returns the ARM body. */
  createResourceGroup(subscriptionId: string, name: string, location: string, tags?: Readonly<Record<string, string>>): JsonObject;
  /** Creates a virtual network with an address space (one prefix or several). Returns the ARM body. */
  createVirtualNetwork(subscriptionId: string, resourceGroup: string, name: string, addressPrefix: string | readonly string[], options?: VirtualNetworkOptions): JsonObject;
  /**
   * Creates a network security group (rules validated as ARM does; the default rules come with
   * it), as an operator would before the cluster. Returns the ARM body.
   */
  createNetworkSecurityGroup(subscriptionId: string, resourceGroup: string, name: string, rules?: readonly JsonObject[]): JsonObject;
  /** Network security groups as GET answers them. */
  networkSecurityGroup(subscriptionId: string, resourceGroup: string, name: string): JsonObject | undefined;
  /** Creates a network interface with one IP configuration. Returns the ARM body. */
  createNetworkInterface(subscriptionId: string, resourceGroup: string, name: string, options: NetworkInterfaceOptions): JsonObject;
  resourceGroups(subscriptionId?: string): JsonObject[];
  /** Load balancers as GET answers them. */
  loadBalancers(filter?: ResourceFilter): JsonObject[];
  loadBalancer(subscriptionId: string, resourceGroup: string, name: string): JsonObject | undefined;
  backendPools(subscriptionId: string, resourceGroup: string, loadBalancer: string): BackendPoolView[];
  backendPool(subscriptionId: string, resourceGroup: string, loadBalancer: string, pool: string): BackendPoolView | undefined;
  publicIpAddresses(filter?: ResourceFilter): JsonObject[];
  publicIpAddress(subscriptionId: string, resourceGroup: string, name: string): JsonObject | undefined;
  virtualNetwork(subscriptionId: string, resourceGroup: string, name: string): JsonObject | undefined;
  /** Fixes the health reported for `ip` (adminState still wins); undefined goes back to probing. */
  setHealth(ip: string, state: HealthState | undefined): void;
  /** Asynchronous operations not yet ended. */
  pendingOperations(): number;
}

/** The location for a new resource: the one given, else its group's; the group must exist. */
function requireGroupFor(store: ArmStore, subscriptionId: string, resourceGroup: string, location: string | undefined): string {
  const group = store.group(subscriptionId, resourceGroup);
  if (group === undefined) throw new Error(`resource group ${subscriptionId}/${resourceGroup} does not exist; create it with state.createResourceGroup first`);
  return location ?? group.location;
}

function poolView(lbId: string, etag: string, provisioningState: string, pool: JsonObject): BackendPoolView {
  const addresses = objectAt(pool, 'properties')?.['loadBalancerBackendAddresses'];
  return {
    id: `${lbId}/backendAddressPools/${stringAt(pool, 'name')}`,
    name: stringAt(pool, 'name')!,
    etag,
    provisioningState,
    addresses: (Array.isArray(addresses) ? addresses.filter(isObject) : []).map((a) => {
      const p = objectAt(a, 'properties');
      const admin = stringAt(p, 'adminState');
      return {
        name: stringAt(a, 'name')!,
        ipAddress: stringAt(p, 'ipAddress'),
        adminState: (ADMIN_STATES as readonly string[]).includes(admin ?? '') ? (admin as AdminState) : 'None',
        virtualNetworkId: refAt(p, 'virtualNetwork'),
        subnetId: refAt(p, 'subnet'),
      };
    }),
  };
}

export function createArmState(store: ArmStore, operations: ArmOperations, health: BackendHealth): ArmState {
  const settle = () => operations.settle();
  const matches = (f: ResourceFilter | undefined) => f ?? {};
  const lbRecord = (sub: string, rg: string, name: string) => {
    settle();
    const r = store.get(networkId(sub, rg, 'loadBalancers', name));
    return r?.type === LB_TYPE ? r : undefined;
  };
  const backendPools = (subscriptionId: string, resourceGroup: string, loadBalancer: string): BackendPoolView[] => {
    const r = lbRecord(subscriptionId, resourceGroup, loadBalancer);
    return r ? storedChildren(r, 'backendAddressPools').map((p) => poolView(r.id, r.etag, r.provisioningState, p)) : [];
  };
  return {
    createResourceGroup(subscriptionId, name, location, tags) {
      const { group } = store.putGroup(subscriptionId, name, normalizeLocation(location), tags ? { ...tags } : undefined);
      return renderResourceGroup(group);
    },
    createVirtualNetwork(subscriptionId, resourceGroup, name, addressPrefix, options = {}) {
      const location = requireGroupFor(store, subscriptionId, resourceGroup, options.location);
      const prefixes = typeof addressPrefix === 'string' ? [addressPrefix] : [...addressPrefix];
      const record = createVirtualNetwork(store, subscriptionId, resourceGroup, name, {
        addressPrefixes: prefixes,
        location: normalizeLocation(location),
        ...(options.subnets ? { subnets: options.subnets } : {}),
        ...(options.tags ? { tags: options.tags } : {}),
      });
      return renderVirtualNetwork(record);
    },
    createNetworkSecurityGroup(subscriptionId, resourceGroup, name, rules = []) {
      const location = requireGroupFor(store, subscriptionId, resourceGroup, undefined);
      const id = networkId(subscriptionId, resourceGroup, 'networkSecurityGroups', name);
      const normalized = rules.map((r) => ({ name: String(r['name']), properties: normalizeSecurityRule(objectAt(r, 'properties') ?? {}, 'properties', `${id}/securityRules/${r['name']}`) }));
      checkRuleConflicts(normalized);
      const record = store.create(id, { location: normalizeLocation(location), properties: { flushConnection: false, securityRules: normalized } }, 'Succeeded');
      return renderNsg(record, []);
    },
    networkSecurityGroup(subscriptionId, resourceGroup, name) {
      settle();
      const record = store.get(networkId(subscriptionId, resourceGroup, 'networkSecurityGroups', name));
      return record?.type === NSG_TYPE ? renderNsg(record, []) : undefined;
    },
    createNetworkInterface(subscriptionId, resourceGroup, name, options) {
      const location = requireGroupFor(store, subscriptionId, resourceGroup, options.location);
      const subnet = findSubnet(store, options.subnetId);
      if (subnet === undefined) throw new Error(`subnet ${options.subnetId} does not exist; create its virtual network first`);
      const used = privateIpsInSubnet(store, options.subnetId);
      const ip = options.privateIPAddress ?? nextFreeAddress(subnet.addressPrefix, used);
      if (ip === undefined || !cidrContains(subnet.addressPrefix, ip) || used.has(ip)) {
        throw new Error(`no usable private address ${options.privateIPAddress ?? ''} in subnet ${options.subnetId} (${subnet.addressPrefix})`);
      }
      const pip = options.publicIPAddressId === undefined ? undefined : store.get(options.publicIPAddressId);
      if (options.publicIPAddressId !== undefined && (pip === undefined || pip.type !== PIP_TYPE)) throw new Error(`public IP ${options.publicIPAddressId} does not exist`);
      if (pip !== undefined && publicIpUsers(store, pip.id).length > 0) throw new Error(`public IP ${pip.id} is already in use`);
      const record = createNetworkInterfaceRecord(store, subscriptionId, resourceGroup, name, {
        location: normalizeLocation(location),
        subnetId: options.subnetId,
        privateIPAddress: ip,
        ...(options.ipConfigurationName ? { ipConfigurationName: options.ipConfigurationName } : {}),
        ...(options.publicIPAddressId ? { publicIPAddressId: options.publicIPAddressId } : {}),
        ...(options.backendPoolIds ? { loadBalancerBackendAddressPoolIds: options.backendPoolIds } : {}),
        ...(options.inboundNatRuleIds ? { loadBalancerInboundNatRuleIds: options.inboundNatRuleIds } : {}),
      });
      if (pip !== undefined) ensureAddressAssigned(store, pip);
      return renderNetworkInterface(record);
    },
    resourceGroups(subscriptionId) {
      return store.groups(subscriptionId).map(renderResourceGroup);
    },
    loadBalancers(filter) {
      settle();
      const f = matches(filter);
      return store.list(LB_TYPE, f.subscriptionId, f.resourceGroup).map((r) => renderLoadBalancer(r, store));
    },
    loadBalancer(subscriptionId, resourceGroup, name) {
      const r = lbRecord(subscriptionId, resourceGroup, name);
      return r && renderLoadBalancer(r, store);
    },
    backendPools,
    backendPool(subscriptionId, resourceGroup, loadBalancer, pool) {
      return backendPools(subscriptionId, resourceGroup, loadBalancer).find((p) => p.name.toLowerCase() === pool.toLowerCase());
    },
    publicIpAddresses(filter) {
      settle();
      const f = matches(filter);
      return store.list(PIP_TYPE, f.subscriptionId, f.resourceGroup).map((r) => renderPublicIp(r, store));
    },
    publicIpAddress(subscriptionId, resourceGroup, name) {
      settle();
      const r = store.get(networkId(subscriptionId, resourceGroup, 'publicIPAddresses', name));
      return r?.type === PIP_TYPE ? renderPublicIp(r, store) : undefined;
    },
    virtualNetwork(subscriptionId, resourceGroup, name) {
      const r = store.get(networkId(subscriptionId, resourceGroup, 'virtualNetworks', name));
      return r?.type === VNET_TYPE ? renderVirtualNetwork(r) : undefined;
    },
    setHealth(ip, state) {
      health.set(ip, state);
    },
    pendingOperations() {
      settle();
      return operations.running().length;
    },
  };
}
