/**
 * The twin's network security groups as the data plane's firewall rules (pure). Every subnet
 * of every virtual network is filtered by the group associated with it; a flow to a pod
 * address is judged by the group of the subnet holding the address, inbound rules only, the
 * lowest priority number first and the first match decides ("Network security groups: How
 * network security groups filter network traffic"). TCP flows only, so Udp/Icmp/Esp/Ah rules
 * never match here.
 *
 * Source prefixes and service tags ("Azure service tags overview"):
 * - `*`: every source; an IP or CIDR: that range;
 * - `Internet`: the address space outside the virtual network (the load generator's loopback
 *   clients are "Internet" to the pods' network, since a Standard LB keeps the client's address);
 * - `VirtualNetwork`: the virtual network's address space;
 * - `AzureLoadBalancer`: the health probes (tag AzureLoadBalancer, 168.63.129.16);
 * - any other tag matches no traffic the twin carries.
 * Destinations are cut to the subnet: `*` and `VirtualNetwork` mean the whole subnet, a range
 * only the part of it inside the subnet (a rule whose destination misses the subnet is left out).
 *
 * A subnet without a group: "Standard load balancers and standard public IP addresses are
 * closed to inbound connections unless opened by network security groups" ("Azure Load
 * Balancer SKUs" / "secure by default"): client flows to it are dropped; probes are let
 * through (the platform's probes are not client traffic).
 */
import type { FirewallMatch, FirewallRule } from '@sluice/dataplane';
import { formatIpv4, parseCidr } from '@sluice/testbed/harness';
import type { ArmStore, ResourceRecord } from './arm-store.ts';
import { isObject, type JsonObject, objectAt, refAt, stringAt } from './json.ts';
import { DEFAULT_SECURITY_RULES, NSG_TYPE, storedRules } from './nsg.ts';
import { idKey } from './resource-ids.ts';
import { addressPrefixes, VNET_TYPE } from './virtual-network.ts';

/** Where the platform's health probes come from ("Azure Load Balancer health probes: probe source IP address"). */
export const AZURE_PROBE_ADDRESS = '168.63.129.16';

interface Range {
  readonly start: number;
  readonly end: number;
}

const rangeOf = (cidr: string): Range => {
  const r = parseCidr(cidr);
  return { start: r.start, end: r.start + r.size };
};

/** The smallest list of CIDRs covering [start, end). */
function cidrsOf(start: number, end: number): string[] {
  const out: string[] = [];
  let at = start;
  while (at < end) {
    let size = 1;
    while (at % (size * 2) === 0 && at + size * 2 <= end && size < 2 ** 32) size *= 2;
    out.push(`${formatIpv4(at)}/${32 - Math.log2(size)}`);
    at += size;
  }
  return out;
}

/** IPv4 space outside `prefixes`, as CIDRs. */
export function complementV4(prefixes: readonly string[]): string[] {
  const ranges = prefixes.map(rangeOf).sort((a, b) => a.start - b.start);
  const out: string[] = [];
  let at = 0;
  for (const r of ranges) {
    if (r.start > at) out.push(...cidrsOf(at, r.start));
    at = Math.max(at, r.end);
  }
  if (at < 2 ** 32) out.push(...cidrsOf(at, 2 ** 32));
  return out;
}

const list = (p: JsonObject, one: string, many: string): string[] => {
  const m = p[many];
  if (Array.isArray(m) && m.length > 0) return m.filter((x): x is string => typeof x === 'string');
  const o = p[one];
  return typeof o === 'string' ? [o] : [];
};

/** The firewall match of a rule's sources; undefined for `*` (every source). */
function sourceMatch(prefixes: readonly string[], vnetSpace: readonly string[]): FirewallMatch | undefined {
  if (prefixes.includes('*')) return undefined;
  const cidrs: string[] = [];
  const tags: string[] = [];
  for (const p of prefixes) {
    if (p === 'Internet') cidrs.push(...complementV4(vnetSpace), '::/0');
    else if (p === 'VirtualNetwork') cidrs.push(...vnetSpace);
    else if (p === 'AzureLoadBalancer') {
      tags.push('AzureLoadBalancer');
      cidrs.push(`${AZURE_PROBE_ADDRESS}/32`);
    } else if (/^[\d.]+(\/\d+)?$/.test(p)) cidrs.push(p.includes('/') ? p : `${p}/32`);
    else tags.push(p);
  }
  return { cidrs, tags };
}

/** The rule's destinations inside `subnet`; empty when it misses the subnet. */
function destinationCidrs(prefixes: readonly string[], subnet: string): string[] {
  const s = rangeOf(subnet);
  const out: string[] = [];
  for (const p of prefixes) {
    if (p === '*' || p === 'VirtualNetwork') out.push(subnet);
    else if (/^[\d.]+(\/\d+)?$/.test(p)) {
      const r = rangeOf(p.includes('/') ? p : `${p}/32`);
      const start = Math.max(r.start, s.start);
      const end = Math.min(r.end, s.end);
      if (start < end) out.push(...cidrsOf(start, end));
    }
  }
  return [...new Set(out)];
}

function subnetRules(nsg: ResourceRecord, subnet: string, vnetSpace: readonly string[]): FirewallRule[] {
  const out: FirewallRule[] = [];
  for (const r of [...storedRules(nsg), ...DEFAULT_SECURITY_RULES]) {
    const p = objectAt(r, 'properties') ?? {};
    if (p['direction'] !== 'Inbound' || !(p['protocol'] === 'Tcp' || p['protocol'] === '*')) continue;
    const destination = destinationCidrs(list(p, 'destinationAddressPrefix', 'destinationAddressPrefixes'), subnet);
    if (destination.length === 0) continue;
    const source = sourceMatch(list(p, 'sourceAddressPrefix', 'sourceAddressPrefixes'), vnetSpace);
    const ports = list(p, 'destinationPortRange', 'destinationPortRanges').filter((x) => x !== '*');
    out.push({
      name: `nsg|${idKey(nsg.id)}|${subnet}|${stringAt(r, 'name')}`,
      priority: Number(p['priority']),
      direction: 'to-target',
      action: p['access'] === 'Allow' ? 'allow' : 'deny',
      ...(source ? { source } : {}),
      destination: { cidrs: destination },
      ...(ports.length > 0 ? { ports } : {}),
    });
  }
  return out;
}

function closedSubnet(subnet: string): FirewallRule[] {
  return [
    { name: `no-nsg|${subnet}|probes`, priority: 65001, direction: 'to-target', action: 'allow', source: { tags: ['AzureLoadBalancer'] }, destination: { cidrs: [subnet] } },
    { name: `no-nsg|${subnet}|closed`, priority: 65500, direction: 'to-target', action: 'deny', destination: { cidrs: [subnet] } },
  ];
}

/** Every firewall rule the store's subnets and groups ask for. */
export function nsgFirewall(store: ArmStore): FirewallRule[] {
  const out: FirewallRule[] = [];
  for (const vnet of store.list(VNET_TYPE)) {
    const space = addressPrefixes(vnet).filter((p) => !p.includes(':'));
    const subnets = objectAt(vnet.body, 'properties')?.['subnets'];
    for (const s of Array.isArray(subnets) ? subnets.filter(isObject) : []) {
      const props = objectAt(s, 'properties');
      const prefix = stringAt(props, 'addressPrefix');
      if (prefix === undefined || prefix.includes(':')) continue;
      const nsgId = refAt(props, 'networkSecurityGroup');
      const nsg = nsgId === undefined ? undefined : store.get(nsgId);
      out.push(...(nsg !== undefined && nsg.type === NSG_TYPE ? subnetRules(nsg, prefix, space) : closedSubnet(prefix)));
    }
  }
  return out;
}
