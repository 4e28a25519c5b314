/**
 * Which security-group rules a Service's NLB needs, and what differs from what EC2 has.
 * Pure, so "nothing differs, so no write" is decided in one place.
 *
 * - **The NLB's own group** (created with the NLB: "Security groups for your Network Load
 *   Balancer" in the ELB user guide; an NLB created without one can never get one). Inbound:
 *   one rule per listener port and client range. The ranges are the Service's
 *   `loadBalancerSourceRanges`; without them, `0.0.0.0/0` for an internet-facing NLB and the
 *   VPC's CIDR blocks for an internal one (aws-load-balancer-controller's documented
 *   defaults). For IP targets over TCP the client address is not preserved, so these rules
 *   are the only place source ranges can be enforced.
 * - **The pods' groups**: one rule per group, protocol and port letting the NLB's group reach
 *   the pods on their target ports and on the health-check port ("Target security groups":
 *   targets must allow the load balancer's group on the traffic and health-check ports).
 *   Health checks are TCP/HTTP, so the health-check port is TCP even for a UDP target group.
 */
import type { Backend, ServiceSpecView } from '@sluice/core';
import type { Scheme } from './annotations.ts';
import type { PortSpec } from './target-group-spec.ts';

export type IpProtocol = 'tcp' | 'udp';

/** An inbound rule from a CIDR range (the NLB's group). */
export interface RangeRule {
  readonly protocol: IpProtocol;
  readonly port: number;
  readonly cidr: string;
}

/** An inbound rule in a pods' group from the NLB's group. */
export interface GroupRule {
  readonly groupId: string;
  readonly protocol: IpProtocol;
  readonly port: number;
  readonly fromGroup: string;
}

export const INTERNET = '0.0.0.0/0';

const protocolOf = (p: string | undefined): IpProtocol => (p === 'UDP' ? 'udp' : 'tcp');

/** The client ranges: the Service's, else the documented default for the scheme. */
export function clientRanges(service: ServiceSpecView, scheme: Scheme, vpcCidrs: readonly string[]): readonly string[] {
  if (service.sourceRanges && service.sourceRanges.length > 0) return service.sourceRanges;
  return scheme === 'internet-facing' ? [INTERNET] : vpcCidrs;
}

/** The NLB group's inbound rules: every listener port from every client range. */
export function loadBalancerRules(service: ServiceSpecView, scheme: Scheme, vpcCidrs: readonly string[]): RangeRule[] {
  const ranges = clientRanges(service, scheme, vpcCidrs);
  return uniqueBy(
    service.ports.flatMap((p) => ranges.map((cidr) => ({ protocol: protocolOf(p.protocol), port: p.port, cidr }))),
    rangeRuleKey,
  );
}

/** The pods' groups' inbound rules: each target port and health-check port, from the NLB's group. */
export function backendRules(podGroups: readonly string[], nlbGroup: string, specs: readonly PortSpec[], backends: readonly Backend[]): GroupRule[] {
  const ports: { protocol: IpProtocol; port: number }[] = [];
  for (const spec of specs) {
    const protocol = protocolOf(spec.targetGroupProtocol);
    // The pods' ports as the EndpointSlices give them (a named targetPort is only known from the backends).
    const targetPorts = new Set(backends.filter((b) => b.servicePort === spec.servicePort.name).map((b) => b.port));
    for (const port of targetPorts) ports.push({ protocol, port });
    const hc = spec.healthCheck.port;
    if (hc !== 'traffic-port') ports.push({ protocol: 'tcp', port: Number(hc) });
    else if (protocol === 'udp') for (const port of targetPorts) ports.push({ protocol: 'tcp', port });
  }
  return uniqueBy(
    podGroups.flatMap((groupId) => ports.map((p) => ({ groupId, ...p, fromGroup: nlbGroup }))),
    groupRuleKey,
  );
}

/** Which target ports the backends use, per Service port: when it changes, the pods' rules must follow. */
export function backendPortsKey(backends: readonly Backend[]): string {
  return [...new Set(backends.map((b) => `${b.servicePort}:${b.port}`))].sort().join(',');
}

export const rangeRuleKey = (r: RangeRule) => `${r.protocol}/${r.port}/${r.cidr}`;
export const groupRuleKey = (r: GroupRule) => `${r.groupId}/${r.protocol}/${r.port}/${r.fromGroup}`;

/** What to add and what to remove (by the caller's ids) so that `have` becomes `want`. */
export function ruleDiff<R, H extends { readonly rule: R; readonly id: string }>(want: readonly R[], have: readonly H[], key: (r: R) => string): { add: R[]; remove: H[] } {
  const wanted = new Set(want.map(key));
  const present = new Set(have.map((h) => key(h.rule)));
  return { add: want.filter((r) => !present.has(key(r))), remove: have.filter((h) => !wanted.has(key(h.rule))) };
}

function uniqueBy<T>(items: readonly T[], key: (t: T) => string): T[] {
  const seen = new Map<string, T>();
  for (const i of items) if (!seen.has(key(i))) seen.set(key(i), i);
  return [...seen.values()];
}

/** The sentence naming a rule the pods' group lacks (for the gate message when Sluice does not manage the rules). */
export function missingRuleSentence(r: GroupRule): string {
  return `security group ${r.groupId} has no inbound rule allowing ${r.protocol.toUpperCase()} port ${r.port} from the load balancer's security group ${r.fromGroup}`;
}
