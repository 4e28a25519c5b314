/**
 * Network interfaces, as far as load balancers see them: an IP configuration in a subnet
 * that may hold a public IP and join backend pools or inbound NAT rules. Tests create them
 * through the state API (the ARM server only reads them back) so NIC-based pools, the
 * `backendIPConfigurations` / `ipConfiguration` back-references and the health answer's
 * `networkInterfaceIPConfigurationId` can be exercised.
 */
import type { ArmStore, ResourceRecord } from './arm-store.ts';
import { isObject, type Json, type JsonObject, objectAt, refAt, stringAt } from './json.ts';
import { networkId } from './resource-ids.ts';

export const NIC_TYPE = 'Microsoft.Network/networkInterfaces';

export interface NetworkInterfaceSpec {
  readonly location: string;
  /** The subnet id of the (single) IP configuration. */
  readonly subnetId: string;
  /**
   * Name of the IP configuration.
   * @default 'ipconfig1'
   */
  readonly ipConfigurationName?: string;
  /** The private address; the caller has already checked or allocated it. */
  readonly privateIPAddress: string;
  /** @default none */
  readonly publicIPAddressId?: string;
  /** @default [] */
  readonly loadBalancerBackendAddressPoolIds?: readonly string[];
  /** @default [] */
  readonly loadBalancerInboundNatRuleIds?: readonly string[];
}

export function createNetworkInterfaceRecord(store: ArmStore, subscriptionId: string, resourceGroup: string, name: string, spec: NetworkInterfaceSpec): ResourceRecord {
  const config: JsonObject = {
    privateIPAddress: spec.privateIPAddress,
    privateIPAllocationMethod: 'Dynamic',
    privateIPAddressVersion: 'IPv4',
    primary: true,
    subnet: { id: spec.subnetId },
  };
  if (spec.publicIPAddressId) config['publicIPAddress'] = { id: spec.publicIPAddressId };
  if (spec.loadBalancerBackendAddressPoolIds?.length) config['loadBalancerBackendAddressPools'] = spec.loadBalancerBackendAddressPoolIds.map((id) => ({ id }));
  if (spec.loadBalancerInboundNatRuleIds?.length) config['loadBalancerInboundNatRules'] = spec.loadBalancerInboundNatRuleIds.map((id) => ({ id }));
  const body: JsonObject = {
    location: spec.location,
    properties: { ipConfigurations: [{ name: spec.ipConfigurationName ?? 'ipconfig1', properties: config }] },
  };
  return store.create(networkId(subscriptionId, resourceGroup, 'networkInterfaces', name), body, 'Succeeded');
}

/** One NIC IP configuration with the references load balancers care about. */
export interface NicIpConfiguration {
  readonly id: string;
  readonly nic: ResourceRecord;
  readonly privateIPAddress: string | undefined;
  readonly subnetId: string | undefined;
  readonly publicIPAddressId: string | undefined;
  readonly backendPoolIds: readonly string[];
  readonly inboundNatRuleIds: readonly string[];
}

function refs(value: Json | undefined): string[] {
  return Array.isArray(value) ? value.filter(isObject).map((r) => stringAt(r, 'id')).filter((id): id is string => id !== undefined) : [];
}

/** Every NIC IP configuration in the store. */
export function nicIpConfigurations(store: ArmStore): NicIpConfiguration[] {
  const out: NicIpConfiguration[] = [];
  for (const nic of store.list(NIC_TYPE)) {
    const configs = objectAt(nic.body, 'properties')?.['ipConfigurations'];
    if (!Array.isArray(configs)) continue;
    for (const c of configs.filter(isObject)) {
      const p = objectAt(c, 'properties');
      out.push({
        id: `${nic.id}/ipConfigurations/${stringAt(c, 'name')}`,
        nic,
        privateIPAddress: stringAt(p, 'privateIPAddress'),
        subnetId: refAt(p, 'subnet'),
        publicIPAddressId: refAt(p, 'publicIPAddress'),
        backendPoolIds: refs(p?.['loadBalancerBackendAddressPools']),
        inboundNatRuleIds: refs(p?.['loadBalancerInboundNatRules']),
      });
    }
  }
  return out;
}

/** The ARM representation of a network interface. */
export function renderNetworkInterface(record: ResourceRecord): JsonObject {
  const configs = objectAt(record.body, 'properties')?.['ipConfigurations'];
  const ipConfigurations: Json[] = (Array.isArray(configs) ? configs.filter(isObject) : []).map((c) => ({
    name: stringAt(c, 'name')!,
    id: `${record.id}/ipConfigurations/${stringAt(c, 'name')}`,
    etag: record.etag,
    type: `${NIC_TYPE}/ipConfigurations`,
    properties: { provisioningState: record.provisioningState, ...(objectAt(c, 'properties') ?? {}) },
  }));
  return {
    name: record.ref.names[0]!,
    id: record.id,
    etag: record.etag,
    type: NIC_TYPE,
    location: stringAt(record.body, 'location') ?? '',
    properties: { provisioningState: record.provisioningState, resourceGuid: record.resourceGuid, ipConfigurations },
  };
}
