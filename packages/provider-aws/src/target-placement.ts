/**
 * Where a pod target sits relative to the NLB, decided when it is registered.
 *
 * - **Outside the VPC.** The ELBv2 API reference (RegisterTargets, TargetDescription
 *   `AvailabilityZone`) says: for an IP target in a subnet of the target group's VPC the zone
 *   is detected and the parameter is optional; for an IP outside the VPC it is required, and
 *   the only value an NLB takes is `all` (the target gets traffic from the nodes of every
 *   enabled zone). So a target outside every CIDR block associated with the VPC is sent with
 *   `AvailabilityZone: all`, and one inside is sent without, as aws-load-balancer-controller
 *   does. The VPC's blocks come from DescribeVpcs (a subnet's block is only part of its VPC's,
 *   and a VPC may have secondary blocks, e.g. for pod networking), once per VPC; they are read
 *   again after AWS rejected a registration, in case a block was associated since.
 * - **In a zone the NLB has no subnet in.** AWS accepts the registration but reports the target
 *   `unused` (Target.NotInUse) for as long as the zone is not enabled, so it gets no traffic
 *   and its readiness gate never passes. `updateLoadBalancer` (the path new pods take) refuses
 *   such a backend before any write with the core's {@link BackendRejectedError}: the core
 *   reports it on the pod (a `BackendRejected` Warning event, gate reason
 *   `LBRegistrationFailed`), registers the others, and offers it again later, when a subnet in
 *   its zone may have been added. `ensureLoadBalancer` cannot refuse one backend, so there
 *   the placer registers it and logs a warning naming the pod, its IP and zone.
 */
import { DescribeVpcsCommand } from '@aws-sdk/client-ec2';
import { type Backend, BackendRejectedError, backendKey, isTerminalError, type ServiceSpecView } from '@sluice/core';
import { SUBNETS_ANNOTATION } from './annotations.ts';
import type { AwsContext } from './lookup.ts';
import type { KnownLoadBalancer } from './resource-cache.ts';

/** The TargetDescription `AvailabilityZone` for a target outside the VPC. */
export const ALL_ZONES = 'all';

/** A registration as RegisterTargets / DeregisterTargets take it. */
export interface Target {
  readonly Id: string;
  readonly Port: number;
  readonly AvailabilityZone?: string;
}

/** Places targets before they are registered; told when a registration failed. */
export interface TargetPlacer {
  place(targets: readonly Target[]): Promise<Target[]>;
  /** A registration failed with `error`; a rejected one (terminal) may mean the VPC changed. */
  registrationFailed(error: unknown): void;
}

function ipv4ToNumber(ip: string): number | undefined {
  const parts = ip.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    n = n * 256 + Number(p);
  }
  return n;
}

/** Pure: whether the IPv4 block `outer` holds all of the block `inner`; false for anything unparseable. */
export function ipv4CidrContains(outer: string, inner: string): boolean {
  const [base, bits] = inner.split('/');
  const outerBits = Number(outer.split('/')[1]);
  return base !== undefined && Number(bits) >= outerBits && ipv4InCidr(base, outer);
}

/** Pure: whether an IPv4 address is in a CIDR block; false for anything unparseable. */
export function ipv4InCidr(ip: string, cidr: string): boolean {
  const [base, bits] = cidr.split('/');
  const addr = ipv4ToNumber(ip);
  const net = base === undefined ? undefined : ipv4ToNumber(base);
  const len = Number(bits);
  if (addr === undefined || net === undefined || !Number.isInteger(len) || len < 0 || len > 32) return false;
  const size = 2 ** (32 - len);
  return Math.floor(addr / size) === Math.floor(net / size);
}

/** Pure: `all` for an IP outside every block of the VPC, else undefined (AWS detects the zone). */
export function targetZone(ip: string, vpcCidrs: readonly string[]): string | undefined {
  return vpcCidrs.some((c) => ipv4InCidr(ip, c)) ? undefined : ALL_ZONES;
}

/**
 * Pure: the backends inside the VPC whose zone is known and is not one the NLB has a subnet in.
 * Backends outside the VPC are served from every enabled zone, so they are never listed.
 */
export function backendsInUnservedZones<B extends Pick<Backend, 'ip' | 'zone'>>(backends: readonly B[], vpcCidrs: readonly string[], lbZones: readonly string[]): B[] {
  if (lbZones.length === 0) return [];
  return backends.filter((b) => b.zone !== undefined && b.zone !== '' && !lbZones.includes(b.zone) && targetZone(b.ip, vpcCidrs) === undefined);
}

/**
 * The refusal for wanted backends (weight > 0) in zones the NLB has no subnet in, or undefined.
 * Reads the VPC's blocks (remembered) only when some backend's zone is not an NLB zone.
 */
export async function unservedZoneRejection(
  ctx: AwsContext,
  lb: Pick<KnownLoadBalancer, 'name' | 'vpcId' | 'zones'>,
  service: ServiceSpecView,
  backends: readonly Backend[],
  signal: AbortSignal,
): Promise<BackendRejectedError | undefined> {
  const suspects = backends.filter((b) => b.weight > 0 && b.zone && lb.zones.length > 0 && !lb.zones.includes(b.zone));
  if (suspects.length === 0 || lb.vpcId === '') return undefined;
  const hits = backendsInUnservedZones(suspects, await vpcCidrs(ctx, lb.vpcId, signal), lb.zones);
  if (hits.length === 0) return undefined;
  const zones = lb.zones.join(', ');
  return new BackendRejectedError(
    `${hits.length} pod(s) of Service ${service.namespace}/${service.name} are in availability zones where load balancer ${lb.name} has no subnet.`,
    hits.map((b) => ({
      key: backendKey(b),
      message: `Pod ${service.namespace}/${b.podName} (${b.ip}) is in availability zone ${b.zone}, where load balancer ${lb.name} has no subnet (it has ${zones}), so AWS would keep its target unused: add a subnet in ${b.zone} to the load balancer (${SUBNETS_ANNOTATION}) or schedule the pod in ${zones}.`,
    })),
  );
}

/** The VPC's associated IPv4 CIDR blocks (one DescribeVpcs, remembered per VPC). */
export async function vpcCidrs(ctx: AwsContext, vpcId: string, signal: AbortSignal): Promise<readonly string[]> {
  const known = ctx.cache.vpcCidrs(vpcId);
  if (known) return known;
  const vpc = (await ctx.api.ec2(new DescribeVpcsCommand({ VpcIds: [vpcId] }), signal)).Vpcs?.find((v) => v.VpcId === vpcId);
  const blocks = new Set<string>();
  if (vpc?.CidrBlock) blocks.add(vpc.CidrBlock);
  for (const a of vpc?.CidrBlockAssociationSet ?? []) {
    const state = a.CidrBlockState?.State;
    if (a.CidrBlock && (state === undefined || state === 'associated')) blocks.add(a.CidrBlock);
  }
  const cidrs = [...blocks].sort();
  ctx.cache.setVpcCidrs(vpcId, cidrs);
  return cidrs;
}

/**
 * A placer for one Service's registrations on `lb`. It reads nothing until a target is to be
 * registered, and warns about backends in zones the NLB does not serve.
 */
export function targetPlacer(ctx: AwsContext, lb: Pick<KnownLoadBalancer, 'vpcId' | 'zones'>, service: ServiceSpecView, backends: readonly Backend[], signal: AbortSignal): TargetPlacer {
  return {
    async place(targets) {
      if (targets.length === 0 || lb.vpcId === '') return [...targets];
      const cidrs = await vpcCidrs(ctx, lb.vpcId, signal);
      const ips = new Set(targets.map((t) => t.Id));
      for (const b of backendsInUnservedZones(
        backends.filter((x) => ips.has(x.ip)),
        cidrs,
        lb.zones,
      )) {
        ctx.log.warn('pod is in an availability zone where the load balancer has no subnet: AWS reports its target unused and it gets no traffic until a subnet in that zone is added', {
          service: `${service.namespace}/${service.name}`,
          pod: b.podName,
          ip: b.ip,
          zone: b.zone,
          loadBalancerZones: lb.zones.join(','),
        });
      }
      return targets.map((t) => {
        const zone = targetZone(t.Id, cidrs);
        return zone === undefined ? { Id: t.Id, Port: t.Port } : { Id: t.Id, Port: t.Port, AvailabilityZone: zone };
      });
    },
    registrationFailed(error) {
      if (lb.vpcId !== '' && isTerminalError(error)) ctx.cache.forgetVpcCidrs(lb.vpcId);
    },
  };
}
