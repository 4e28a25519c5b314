/**
 * The network security rules a Service needs, and the comparison that decides whether one
 * must be written. Pure.
 *
 * A Standard load balancer is closed to inbound flows unless a network security group allows
 * them, while its probes pass on the default AllowAzureLoadBalancerInBound rule ("Azure Load
 * Balancer SKUs: secure by default", "Network security groups: default security rules"), so
 * without a rule the gates open and clients time out. Per Service port Sluice owns one Allow
 * rule in the group the operator names: source the Service's `loadBalancerSourceRanges` (else
 * the `Internet` service tag), destination the addresses of the port's pods (not their whole
 * network: another Service's pods on the same port would then be open to this Service's
 * sources), destination port the port the pods listen on, priority from the range Sluice owns.
 * A port without pods has no rule. A rule is Sluice's, for this Service,
 * when its name starts `sluice-<hash of cluster and Service UID>-`; every other rule is left alone.
 */
import type { SecurityRule } from '@azure/arm-network';
import type { ServiceSpecView } from '@sluice/core';
import type { PortSpec } from './lb-spec.ts';
import { serviceHash } from './names.ts';

/** The priorities Sluice may give its rules (Azure allows 100-4096 for rules of one's own). */
export interface PriorityRange {
  readonly min: number;
  readonly max: number;
}

/** `3000-3999`: above what operators usually hand-write (100-2999), below the 4096 Azure allows. */
export const DEFAULT_NSG_PRIORITIES: PriorityRange = { min: 3000, max: 3999 };

/** The name prefix of every rule Sluice owns for a Service. */
export function rulePrefix(clusterName: string, service: Pick<ServiceSpecView, 'uid'>): string {
  return `sluice-${serviceHash(clusterName, service)}-`;
}

/** `sluice-<hash>-<port name>`, at most 80 characters. */
export function ruleName(clusterName: string, service: Pick<ServiceSpecView, 'uid'>, port: string): string {
  return `${rulePrefix(clusterName, service)}${port.replace(/[^A-Za-z0-9-]/g, '-')}`.slice(0, 80);
}

export interface RuleInput {
  readonly clusterName: string;
  readonly service: ServiceSpecView;
  readonly ports: readonly RulePort[];
}

/** One Service port as its rule needs it: the pods' port and addresses. */
export interface RulePort extends Pick<PortSpec, 'name' | 'protocol' | 'backendPort'> {
  /** The addresses of the port's pods (draining ones included). */
  readonly destination: readonly string[];
}

/** The rules without priorities, by name. */
export function desiredRules(input: RuleInput): Map<string, SecurityRule> {
  const { clusterName, service } = input;
  const ranges = service.sourceRanges ?? [];
  const source: Partial<SecurityRule> = ranges.length === 0 ? { sourceAddressPrefix: 'Internet' } : ranges.length === 1 ? { sourceAddressPrefix: ranges[0]! } : { sourceAddressPrefixes: [...ranges] };
  const out = new Map<string, SecurityRule>();
  for (const port of input.ports) {
    if (port.destination.length === 0) continue;
    const addresses = [...new Set(port.destination)].sort();
    const destination: Partial<SecurityRule> = addresses.length === 1 ? { destinationAddressPrefix: addresses[0]! } : { destinationAddressPrefixes: addresses };
    const name = ruleName(clusterName, service, port.name);
    out.set(name, {
      name,
      description: `Sluice: Service ${service.namespace}/${service.name} port ${port.name} (cluster ${clusterName})`.slice(0, 140),
      protocol: port.protocol,
      access: 'Allow',
      direction: 'Inbound',
      sourcePortRange: '*',
      destinationPortRange: String(port.backendPort),
      ...source,
      ...destination,
    });
  }
  return out;
}

const list = (one: string | undefined, many: readonly string[] | undefined) => (many && many.length > 0 ? [...many] : one !== undefined ? [one] : []).sort();

/** The fields Sluice sets, comparable. */
function canonical(r: SecurityRule): string {
  return JSON.stringify([
    r.protocol,
    r.access,
    r.direction,
    r.priority,
    list(r.sourceAddressPrefix, r.sourceAddressPrefixes),
    list(r.destinationAddressPrefix, r.destinationAddressPrefixes),
    list(r.sourcePortRange, r.sourcePortRanges),
    list(r.destinationPortRange, r.destinationPortRanges),
  ]);
}

export function ruleMatches(current: SecurityRule, desired: SecurityRule): boolean {
  return canonical(current) === canonical(desired);
}

export interface RulePlan {
  /** Rules to write, each with its priority. */
  readonly put: readonly SecurityRule[];
  /** Names of this Service's rules to delete (ports it no longer has). */
  readonly remove: readonly string[];
}

/**
 * What to write so the group holds `desired`: a rule keeps its priority when it is in the
 * range; a new one takes the lowest priority of the range no inbound rule of the group uses
 * (priorities are unique per direction: Azure refuses a duplicate with SecurityRuleConflict).
 * Undefined when the range is full.
 */
export function planRules(existing: readonly SecurityRule[], desired: ReadonlyMap<string, SecurityRule>, prefix: string, range: PriorityRange): RulePlan | undefined {
  const own = new Map(existing.filter((r) => r.name?.startsWith(prefix)).map((r) => [r.name!, r]));
  const remove = [...own.keys()].filter((n) => !desired.has(n));
  const taken = new Set(existing.filter((r) => r.direction === 'Inbound' && !remove.includes(r.name ?? '')).map((r) => r.priority));
  const put: SecurityRule[] = [];
  for (const [name, want] of desired) {
    const have = own.get(name);
    let priority = have?.priority !== undefined && have.priority >= range.min && have.priority <= range.max ? have.priority : undefined;
    if (priority === undefined) {
      for (let p = range.min; p <= range.max && priority === undefined; p++) if (!taken.has(p)) priority = p;
      if (priority === undefined) return undefined;
      taken.add(priority);
    }
    const rule = { ...want, priority };
    if (!have || !ruleMatches(have, rule)) put.push(rule);
  }
  return { put, remove };
}
