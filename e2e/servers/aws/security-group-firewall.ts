/**
 * moto's EC2 security groups as data-plane firewall rules, the way an NLB's traffic meets
 * them ("Security groups for your Network Load Balancer" and "Target security groups" in the
 * ELB user guide; "Security group rules" in the Amazon VPC user guide):
 *
 * - client -> NLB: an NLB with security groups admits a client only where an inbound rule of
 *   one of its groups allows the client's address and the listener port (rules are
 *   allow-only, their union counts; anything else is dropped). An NLB without groups admits
 *   every client (filtering is then the targets' business).
 * - NLB -> pod, traffic and health checks: a pod's groups must allow the NLB, by a rule
 *   referencing one of the NLB's groups (`sg:<id>` tags on the NLB's connections) or, for an
 *   NLB without groups, a CIDR rule covering the NLB's addresses in its VPC (the
 *   `nlb-no-sg:<vpc>` tag stands for them). With client IP preservation on, the data plane
 *   judges the client's address instead, as AWS does.
 *
 * Listeners carry `nlb-sg:<id>` tags, targets `pod-sg:<id>` (the groups of the pod network
 * the twin was told about). Allow rules come first (priority 100), then one deny per group
 * (1000); what no group governs falls to the default (allow). Pure.
 */
import type { FirewallRule } from '@sluice/dataplane';

export interface SecurityGroupRuleView {
  readonly id: string;
  readonly groupId: string;
  /** `tcp`, `udp` or `-1` (all). */
  readonly protocol: string;
  readonly fromPort: number;
  readonly toPort: number;
  readonly cidr?: string | undefined;
  readonly fromGroup?: string | undefined;
}

export interface FirewallInput {
  readonly rules: readonly SecurityGroupRuleView[];
  /** Groups attached to some NLB. */
  readonly nlbGroups: ReadonlySet<string>;
  /** Groups of the pods' network interfaces. */
  readonly podGroups: ReadonlySet<string>;
  /** VPCs with an NLB without groups, with their CIDR blocks. */
  readonly vpcsWithoutGroups: readonly { readonly vpcId: string; readonly cidrs: readonly string[] }[];
  /** Whether `inner` lies within `outer` (both CIDRs). */
  readonly covers: (outer: string, inner: string) => boolean;
}

export const nlbGroupTag = (g: string) => `nlb-sg:${g}`;
export const podGroupTag = (g: string) => `pod-sg:${g}`;
export const sourceGroupTag = (g: string) => `sg:${g}`;
export const noGroupTag = (vpcId: string) => `nlb-no-sg:${vpcId}`;

const ports = (r: SecurityGroupRuleView): string[] => (r.protocol === '-1' ? [] : [r.fromPort === r.toPort ? String(r.fromPort) : `${r.fromPort}-${r.toPort}`]);
const carriesTcp = (r: SecurityGroupRuleView) => r.protocol === 'tcp' || r.protocol === '-1';

export function securityGroupFirewall(input: FirewallInput): FirewallRule[] {
  const out: FirewallRule[] = [];
  for (const r of input.rules) {
    if (!carriesTcp(r)) continue;
    if (input.nlbGroups.has(r.groupId) && r.cidr) {
      out.push({ name: `sg-allow-${r.id}-listener`, priority: 100, direction: 'to-listener', action: 'allow', source: { cidrs: [r.cidr] }, destination: { tags: [nlbGroupTag(r.groupId)] }, ports: ports(r) });
    }
    if (input.podGroups.has(r.groupId)) {
      const source = r.fromGroup
        ? { tags: [sourceGroupTag(r.fromGroup)] }
        : { cidrs: [r.cidr ?? '0.0.0.0/0'], tags: input.vpcsWithoutGroups.filter((v) => v.cidrs.some((c) => input.covers(r.cidr ?? '0.0.0.0/0', c))).map((v) => noGroupTag(v.vpcId)) };
      out.push({ name: `sg-allow-${r.id}-target`, priority: 100, direction: 'to-target', action: 'allow', source, destination: { tags: [podGroupTag(r.groupId)] }, ports: ports(r) });
    }
  }
  for (const g of input.nlbGroups) out.push({ name: `sg-deny-${g}-listener`, priority: 1000, direction: 'to-listener', action: 'deny', destination: { tags: [nlbGroupTag(g)] } });
  for (const g of input.podGroups) out.push({ name: `sg-deny-${g}-target`, priority: 1000, direction: 'to-target', action: 'deny', destination: { tags: [podGroupTag(g)] } });
  return out;
}
