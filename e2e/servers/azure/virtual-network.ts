/**
 * Virtual networks and their subnets: created by tests through the state API, readable
 * through ARM (GET, list) so a client can look one up. They give backend addresses and
 * private frontends something to reference: ARM refuses a reference to a missing network
 * or subnet, and a private frontend takes the next free address of its subnet (Azure keeps
 * the first four of every subnet for itself, so the first one handed out ends in .4).
 */
import { isIPv4 } from 'node:net';
import { formatIpv4, parseCidr, parseIpv4 } from '@sluice/testbed/harness';
import type { ArmStore, ResourceRecord } from './arm-store.ts';
import { arrayAt, isObject, type Json, type JsonObject, objectAt, stringAt } from './json.ts';
import { idKey, networkId, parseResourceId } from './resource-ids.ts';

export const VNET_TYPE = 'Microsoft.Network/virtualNetworks';

export interface SubnetSpec {
  readonly name: string;
  readonly addressPrefix: string;
  /** The network security group associated with the subnet (its flows are filtered by it). @default none */
  readonly networkSecurityGroupId?: string;
}

export interface VirtualNetworkSpec {
  readonly addressPrefixes: readonly string[];
  /**
   * Subnets; each prefix must lie in the address space.
   * @default one subnet `default` spanning the first address prefix
   */
  readonly subnets?: readonly SubnetSpec[];
  readonly location: string;
  readonly tags?: Readonly<Record<string, string>>;
}

/** True when `ip` is an IPv4 address inside `cidr`. */
export function cidrContains(cidr: string, ip: string): boolean {
  if (!isIPv4(ip)) return false;
  const range = parseCidr(cidr);
  const value = parseIpv4(ip);
  return value >= range.start && value < range.start + range.size;
}

export function createVirtualNetwork(store: ArmStore, subscriptionId: string, resourceGroup: string, name: string, spec: VirtualNetworkSpec): ResourceRecord {
  for (const p of spec.addressPrefixes) parseCidr(p);
  const subnets = spec.subnets ?? [{ name: 'default', addressPrefix: spec.addressPrefixes[0]! }];
  for (const s of subnets) {
    const start = formatIpv4(parseCidr(s.addressPrefix).start);
    if (!spec.addressPrefixes.some((p) => cidrContains(p, start))) {
      throw new Error(`subnet ${s.name} (${s.addressPrefix}) is outside the address space ${spec.addressPrefixes.join(', ')} of virtual network ${name}`);
    }
  }
  const body: JsonObject = {
    location: spec.location,
    properties: {
      addressSpace: { addressPrefixes: [...spec.addressPrefixes] },
      subnets: subnets.map((s) => ({
        name: s.name,
        properties: { addressPrefix: s.addressPrefix, ...(s.networkSecurityGroupId ? { networkSecurityGroup: { id: s.networkSecurityGroupId } } : {}) },
      })),
    },
  };
  if (spec.tags) body['tags'] = { ...spec.tags };
  return store.create(networkId(subscriptionId, resourceGroup, 'virtualNetworks', name), body, 'Succeeded');
}

function subnetList(record: ResourceRecord): JsonObject[] {
  return (arrayAt(objectAt(record.body, 'properties'), 'subnets') ?? []).filter(isObject);
}

/** The address prefixes of a virtual network. */
export function addressPrefixes(record: ResourceRecord): string[] {
  const prefixes = arrayAt(objectAt(objectAt(record.body, 'properties'), 'addressSpace'), 'addressPrefixes') ?? [];
  return prefixes.filter((p): p is string => typeof p === 'string');
}

export interface SubnetLookup {
  readonly network: ResourceRecord;
  readonly name: string;
  readonly addressPrefix: string;
}

/** The subnet a subnet id names, if its network and the subnet exist. */
export function findSubnet(store: ArmStore, subnetId: string): SubnetLookup | undefined {
  const ref = parseResourceId(subnetId);
  if (ref === undefined || ref.types.length !== 2 || ref.types[1]!.toLowerCase() !== 'subnets') return undefined;
  const network = store.get(networkId(ref.subscriptionId, ref.resourceGroup, 'virtualNetworks', ref.names[0]!));
  if (network === undefined || network.type.toLowerCase() !== VNET_TYPE.toLowerCase()) return undefined;
  const subnet = subnetList(network).find((s) => stringAt(s, 'name')?.toLowerCase() === ref.names[1]!.toLowerCase());
  const prefix = stringAt(objectAt(subnet, 'properties'), 'addressPrefix');
  if (subnet === undefined || prefix === undefined) return undefined;
  return { network, name: stringAt(subnet, 'name')!, addressPrefix: prefix };
}

/** The virtual network an id names, if it exists. */
export function findVirtualNetwork(store: ArmStore, id: string): ResourceRecord | undefined {
  const record = store.get(id);
  return record && record.type.toLowerCase() === VNET_TYPE.toLowerCase() ? record : undefined;
}

/** The first address of `prefix` from .4 on that is not in `used`; undefined when the subnet is full. */
export function nextFreeAddress(prefix: string, used: ReadonlySet<string>): string | undefined {
  const range = parseCidr(prefix);
  for (let v = range.start + 4; v < range.start + range.size - 1; v++) {
    const ip = formatIpv4(v);
    if (!used.has(ip)) return ip;
  }
  return undefined;
}

/** The ARM representation of a virtual network. */
export function renderVirtualNetwork(record: ResourceRecord): JsonObject {
  const props = objectAt(record.body, 'properties') ?? {};
  const subnets: Json[] = subnetList(record).map((s) => {
    const name = stringAt(s, 'name')!;
    return {
      name,
      id: `${record.id}/subnets/${name}`,
      etag: record.etag,
      type: `${VNET_TYPE}/subnets`,
      properties: { provisioningState: record.provisioningState, ...(objectAt(s, 'properties') ?? {}) },
    };
  });
  const out: JsonObject = {
    name: record.ref.names[0]!,
    id: record.id,
    etag: record.etag,
    type: VNET_TYPE,
    location: stringAt(record.body, 'location') ?? '',
    properties: { provisioningState: record.provisioningState, resourceGuid: record.resourceGuid, addressSpace: props['addressSpace'] ?? { addressPrefixes: [] }, subnets },
  };
  const tags = objectAt(record.body, 'tags');
  if (tags) out['tags'] = tags;
  return out;
}

/** One subnet as ARM answers `GET …/virtualNetworks/{vnet}/subnets/{subnet}`. */
export function renderSubnet(record: ResourceRecord, subnetName: string): JsonObject | undefined {
  const subnets = (objectAt(renderVirtualNetwork(record), 'properties')?.['subnets'] ?? []) as Json[];
  return subnets.filter(isObject).find((s) => idKey(String(s['name'])) === idKey(subnetName));
}
