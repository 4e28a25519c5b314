/**
 * Network security groups and their security rules, validated the way the network resource
 * provider does ("Network security groups: Security rules" and "Azure service tags" in the
 * Azure Virtual Network documentation):
 * - `priority` is a whole number from 100 to 4096 (`SecurityRuleInvalidPriority`), unique per
 *   direction within the group (`SecurityRuleConflict`: "Rules cannot have the same Priority
 *   and Direction");
 * - `protocol` is Tcp, Udp, Icmp, Esp, Ah or `*`; `access` Allow or Deny; `direction` Inbound
 *   or Outbound (all required);
 * - a side names either one `…AddressPrefix` (an IP, a CIDR, `*` or a service tag) or a list
 *   `…AddressPrefixes` of IPs and CIDRs ("augmented security rules"), not both and not neither
 *   (`SecurityRuleInvalidAddressPrefix`); a word that is no service tag is refused;
 * - port ranges are `*`, `N` or `N-M` within 0-65535, one `…PortRange` or a list `…PortRanges`
 *   (`SecurityRuleInvalidPortRange`).
 * Every group carries the six default rules Azure puts in it (AllowVnetInBound 65000,
 * AllowAzureLoadBalancerInBound 65001, DenyAllInBound 65500 and their outbound three); they
 * are rendered, never stored, and cannot be written.
 */
import { isIPv4 } from 'node:net';
import { badRequest, invalidRequestFormat } from './arm-errors.ts';
import type { ResourceRecord } from './arm-store.ts';
import { isObject, type Json, type JsonObject, objectAt, stringAt } from './json.ts';
import { enumValue, objectValue, stringValue } from './validate.ts';

export const NSG_TYPE = 'Microsoft.Network/networkSecurityGroups';

/** Service tags the twin knows ("Azure service tags overview": available service tags, the ones NSG rules for load balancers use and a few common others). */
export const SERVICE_TAGS: readonly string[] = ['Internet', 'VirtualNetwork', 'AzureLoadBalancer', 'AzureCloud', 'AzureTrafficManager', 'GatewayManager', 'Storage', 'Sql', 'AzureMonitor'];

const PROTOCOLS = ['Tcp', 'Udp', 'Icmp', 'Esp', 'Ah', '*'] as const;

function isCidrOrIp(value: string): boolean {
  const [ip, bits, ...rest] = value.split('/');
  if (rest.length > 0 || ip === undefined || !isIPv4(ip)) return false;
  return bits === undefined || (/^\d{1,2}$/.test(bits) && Number(bits) <= 32);
}

function prefixOk(value: string, single: boolean): boolean {
  if (isCidrOrIp(value)) return true;
  if (!single) return false;
  return value === '*' || SERVICE_TAGS.some((t) => t === value.split('.')[0]);
}

function prefixes(props: JsonObject, side: 'source' | 'destination', ruleId: string): Pick<JsonObject, string> {
  const one = props[`${side}AddressPrefix`];
  const many = props[`${side}AddressPrefixes`];
  const list = Array.isArray(many) ? many : [];
  const bad = (value: Json | undefined) =>
    badRequest('SecurityRuleInvalidAddressPrefix', `Security rule ${ruleId} has invalid ${side} address prefix. Value provided: ${JSON.stringify(value ?? null)}.`);
  if (one !== undefined && one !== null && list.length > 0) {
    throw badRequest('SecurityRuleInvalidAddressPrefix', `Security rule ${ruleId} names both ${side}AddressPrefix and ${side}AddressPrefixes; it may name only one of them.`);
  }
  if (list.length > 0) {
    // Augmented rules list IP addresses and ranges; a service tag goes alone in the single field.
    for (const p of list) if (typeof p !== 'string' || !prefixOk(p, false)) throw bad(p);
    return { [`${side}AddressPrefixes`]: list };
  }
  if (typeof one !== 'string' || !prefixOk(one, true)) throw bad(one);
  return { [`${side}AddressPrefix`]: one };
}

function portRangeOk(value: string): boolean {
  if (value === '*') return true;
  const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(value);
  if (!m) return false;
  const lo = Number(m[1]);
  const hi = m[2] === undefined ? lo : Number(m[2]);
  return lo <= hi && hi <= 65535;
}

function ports(props: JsonObject, side: 'source' | 'destination', ruleId: string): JsonObject {
  const one = props[`${side}PortRange`];
  const many = props[`${side}PortRanges`];
  const list = Array.isArray(many) ? many : [];
  const bad = (value: Json | undefined) =>
    badRequest(
      'SecurityRuleInvalidPortRange',
      `Security rule ${ruleId} has invalid ${side} port range. Value provided: ${JSON.stringify(value ?? null)}. Value should be an integer OR integer range with '-' delimiter. Valid range 0-65535.`,
    );
  if (list.length > 0) {
    for (const p of list) if (typeof p !== 'string' || !portRangeOk(p)) throw bad(p);
    return { [`${side}PortRanges`]: list };
  }
  if (typeof one !== 'string' || !portRangeOk(one)) throw bad(one);
  return { [`${side}PortRange`]: one };
}

/** Validates one security rule's `properties` and returns what is stored. */
export function normalizeSecurityRule(input: JsonObject, path: string, ruleId: string): JsonObject {
  const props = objectValue(input, path) ?? {};
  const protocol = enumValue(props['protocol'], PROTOCOLS, `${path}.protocol`, 'SecurityRuleProtocol');
  if (protocol === undefined) throw invalidRequestFormat(`${path}.protocol`, 'Required property protocol is missing.');
  const access = enumValue(props['access'], ['Allow', 'Deny'] as const, `${path}.access`, 'SecurityRuleAccess');
  if (access === undefined) throw invalidRequestFormat(`${path}.access`, 'Required property access is missing.');
  const direction = enumValue(props['direction'], ['Inbound', 'Outbound'] as const, `${path}.direction`, 'SecurityRuleDirection');
  if (direction === undefined) throw invalidRequestFormat(`${path}.direction`, 'Required property direction is missing.');
  const priority = props['priority'];
  if (typeof priority !== 'number' || !Number.isInteger(priority) || priority < 100 || priority > 4096) {
    throw badRequest('SecurityRuleInvalidPriority', `Security rule ${ruleId} has invalid Priority. Value provided: ${JSON.stringify(priority ?? null)}. Allowed values are from 100 to 4096.`);
  }
  const out: JsonObject = {
    protocol,
    ...ports(props, 'source', ruleId),
    ...ports(props, 'destination', ruleId),
    ...prefixes(props, 'source', ruleId),
    ...prefixes(props, 'destination', ruleId),
    access,
    priority,
    direction,
  };
  const description = stringValue(props['description'], `${path}.description`);
  if (description !== undefined) out['description'] = description;
  return out;
}

/** Refuses two rules with the same priority and direction. */
export function checkRuleConflicts(rules: readonly JsonObject[]): void {
  const seen = new Map<string, string>();
  for (const r of rules) {
    const p = objectAt(r, 'properties') ?? {};
    const key = `${p['direction']}/${p['priority']}`;
    const other = seen.get(key);
    if (other !== undefined) {
      throw badRequest('SecurityRuleConflict', `Security rule ${other} conflicts with rule ${stringAt(r, 'name')}. Rules cannot have the same Priority and Direction.`);
    }
    seen.set(key, String(stringAt(r, 'name')));
  }
}

/** The security rules stored in a group. */
export function storedRules(record: ResourceRecord): JsonObject[] {
  const list = objectAt(record.body, 'properties')?.['securityRules'];
  return Array.isArray(list) ? list.filter(isObject) : [];
}

const rule = (name: string, description: string, direction: string, priority: number, source: string, destination: string, access: 'Allow' | 'Deny'): JsonObject => ({
  name,
  properties: {
    description,
    protocol: '*',
    sourcePortRange: '*',
    destinationPortRange: '*',
    sourceAddressPrefix: source,
    destinationAddressPrefix: destination,
    access,
    priority,
    direction,
  },
});

/** The default rules of every group, as the published NetworkSecurityGroupGet example shows them. */
export const DEFAULT_SECURITY_RULES: readonly JsonObject[] = [
  rule('AllowVnetInBound', 'Allow inbound traffic from all VMs in VNET', 'Inbound', 65000, 'VirtualNetwork', 'VirtualNetwork', 'Allow'),
  rule('AllowAzureLoadBalancerInBound', 'Allow inbound traffic from azure load balancer', 'Inbound', 65001, 'AzureLoadBalancer', '*', 'Allow'),
  rule('DenyAllInBound', 'Deny all inbound traffic', 'Inbound', 65500, '*', '*', 'Deny'),
  rule('AllowVnetOutBound', 'Allow outbound traffic from all VMs to all VMs in VNET', 'Outbound', 65000, 'VirtualNetwork', 'VirtualNetwork', 'Allow'),
  rule('AllowInternetOutBound', 'Allow outbound traffic from all VMs to Internet', 'Outbound', 65001, '*', 'Internet', 'Allow'),
  rule('DenyAllOutBound', 'Deny all outbound traffic', 'Outbound', 65500, '*', '*', 'Deny'),
];

export function renderRule(record: ResourceRecord, kind: 'securityRules' | 'defaultSecurityRules', r: JsonObject): JsonObject {
  const name = stringAt(r, 'name')!;
  return {
    name,
    id: `${record.id}/${kind}/${name}`,
    etag: record.etag,
    type: `${NSG_TYPE}/${kind}`,
    properties: { provisioningState: record.provisioningState, ...(objectAt(r, 'properties') ?? {}) },
  };
}

/** The ARM representation of a group: its rules, the default rules, and the subnets that use it. */
export function renderNsg(record: ResourceRecord, subnetIds: readonly string[]): JsonObject {
  const out: JsonObject = {
    name: record.ref.names[0]!,
    id: record.id,
    etag: record.etag,
    type: NSG_TYPE,
    location: stringAt(record.body, 'location') ?? '',
    properties: {
      provisioningState: record.provisioningState,
      resourceGuid: record.resourceGuid,
      flushConnection: objectAt(record.body, 'properties')?.['flushConnection'] ?? false,
      securityRules: storedRules(record).map((r) => renderRule(record, 'securityRules', r)),
      defaultSecurityRules: DEFAULT_SECURITY_RULES.map((r) => renderRule(record, 'defaultSecurityRules', r)),
      ...(subnetIds.length > 0 ? { subnets: subnetIds.map((id) => ({ id })) } : {}),
    },
  };
  const tags = objectAt(record.body, 'tags');
  if (tags) out['tags'] = tags;
  return out;
}
