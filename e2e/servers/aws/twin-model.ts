/**
 * What the NLB twin remembers of moto's ELBv2 state, and how a target group becomes a
 * data-plane group and health check (see nlb-twin.ts for the documents each follows).
 */
import { DescribeSubnetsCommand, DescribeVpcsCommand, type EC2Client } from '@aws-sdk/client-ec2';
import type { Listener, TargetGroup } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { DataPlane, HealthCheckSpec, TargetGroupSpec, TargetHealth } from '@sluice/dataplane';
import type { TargetParam } from './query-protocol.ts';
import { noGroupTag, podGroupTag, sourceGroupTag } from './security-group-firewall.ts';
import { describeTarget, latestPerTarget, selectRequested, type TargetHealthEntry, ZONE_NOT_ENABLED } from './target-health.ts';
import type { NetworkView } from './target-rules.ts';
import { zoneOf } from './target-rules.ts';
import { cidrCovers } from './twin-firewall.ts';

export interface NlbState {
  readonly arn: string;
  readonly dnsName: string;
  readonly address: string;
  readonly vpcId: string;
  zones: Set<string>;
  securityGroups: string[];
  /** Data-plane listener names. */
  listeners: Set<string>;
}

export interface GroupState {
  readonly arn: string;
  readonly dpName: string;
  readonly vpcId: string;
  readonly port: number;
  healthCheckPort: string;
  lbArns: Set<string>;
  /** What was last put for the group and its health check, without the traffic source (security-group-firewall.ts adds it). */
  spec?: TargetGroupSpec;
  check?: HealthCheckSpec;
  sourceTags?: string;
  /** The AvailabilityZone each registered target was registered with. */
  readonly zones: Map<string, string | undefined>;
}


export const arnId = (arn: string) => arn.slice(arn.lastIndexOf('/') + 1);
/** `…:listener/net/name/lbid/lid` -> `…:loadbalancer/net/name/lbid` */
export const lbArnOfListener = (arn: string) => arn.replace(':listener/', ':loadbalancer/').replace(/\/[^/]+$/, '');


/** The data-plane group (without its traffic source) and health check of an ELBv2 target group. */
export function groupSpecs(g: Pick<GroupState, 'dpName' | 'healthCheckPort'>, tg: TargetGroup, attributes: Readonly<Record<string, string | undefined>>, registrationDelayMs: number): { spec: TargetGroupSpec; check: HealthCheckSpec } {
  const spec: TargetGroupSpec = {
    name: g.dpName,
    drain: {
      mode: 'deregister',
      delayMs: Number(attributes['deregistration_delay.timeout_seconds'] ?? 300) * 1000,
      terminateOnExpiry: attributes['deregistration_delay.connection_termination.enabled'] === 'true',
    },
    failOpen: true,
    registrationDelayMs: registrationDelayMs,
    proxyProtocol: attributes['proxy_protocol_v2.enabled'] === 'true' ? 'v2' : 'none',
    preserveClientIp: attributes['preserve_client_ip.enabled'] === 'true',
  };
  const http = tg.HealthCheckProtocol === 'HTTP' || tg.HealthCheckProtocol === 'HTTPS';
  const check: HealthCheckSpec = {
    protocol: http ? 'http' : 'tcp',
    ...(g.healthCheckPort !== 'traffic-port' ? { port: Number(g.healthCheckPort) } : {}),
    ...(http ? { path: tg.HealthCheckPath ?? '/', matcher: tg.Matcher?.HttpCode ?? '200-399' } : {}),
    intervalMs: (tg.HealthCheckIntervalSeconds ?? 30) * 1000,
    timeoutMs: (tg.HealthCheckTimeoutSeconds ?? 10) * 1000,
    healthyThreshold: tg.HealthyThresholdCount ?? 5,
    unhealthyThreshold: tg.UnhealthyThresholdCount ?? 2,
  };
  return { spec, check };
}

export async function readNetwork(ec2: EC2Client, vpcId: string): Promise<NetworkView> {
  const vpc = (await ec2.send(new DescribeVpcsCommand({ VpcIds: [vpcId] }))).Vpcs?.[0];
  const subnets = (await ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] }))).Subnets ?? [];
  const cidrs = [...new Set([vpc?.CidrBlock, ...(vpc?.CidrBlockAssociationSet ?? []).map((a) => a.CidrBlock)].filter((c): c is string => !!c))];
  return { cidrs, subnets: subnets.map((s) => ({ cidr: s.CidrBlock ?? '', zone: s.AvailabilityZone ?? '' })) };
}
export /** The target group a listener's default action forwards to. */
function forwardTarget(l: Listener): string | undefined {
  const action = l.DefaultActions?.find((a) => a.Type === 'forward');
  return action?.TargetGroupArn ?? action?.ForwardConfig?.TargetGroups?.[0]?.TargetGroupArn;
}

/** DescribeTargetHealth entries of a group from the data plane's view, `unused` for a zone none of its NLBs is in. */
export function healthEntries(g: GroupState, targets: readonly TargetHealth[], lbs: ReadonlyMap<string, NlbState>, network: NetworkView | undefined, requested: readonly TargetParam[]): TargetHealthEntry[] {
  const hcPort = (port: number) => (g.healthCheckPort === 'traffic-port' ? String(port) : g.healthCheckPort);
  const enabled = new Set([...g.lbArns].flatMap((arn) => [...(lbs.get(arn)?.zones ?? [])]));
  const entries = latestPerTarget(targets).map((t): TargetHealthEntry => {
    const az = g.zones.get(`${t.ip}:${t.port}`);
    const zone = az ?? zoneOf(t.ip, network);
    const base = { id: t.ip, port: t.port, availabilityZone: az, healthCheckPort: hcPort(t.port) };
    // "Target health status": unused, the target is in an Availability Zone that is not enabled for the load balancer.
    if (t.state !== 'draining' && t.state !== 'unused' && zone !== undefined && zone !== 'all' && g.lbArns.size > 0 && !enabled.has(zone)) {
      return { ...base, state: 'unused', reason: ZONE_NOT_ENABLED[0], description: ZONE_NOT_ENABLED[1] };
    }
    return { ...base, ...describeTarget(t) };
  });
  return selectRequested(entries, requested, g.port, hcPort);
}

/** Puts the group and its check with the traffic source of its NLBs' security groups (or of an NLB without any), when that changed. */
export async function applyGroupSource(dp: DataPlane, g: GroupState, lbs: ReadonlyMap<string, NlbState>): Promise<void> {
  if (!g.spec || !g.check) return;
  const mine = [...g.lbArns].map((arn) => lbs.get(arn)).filter((lb) => lb !== undefined);
  const tags = mine.some((lb) => lb.securityGroups.length > 0) ? [...new Set(mine.flatMap((lb) => lb.securityGroups))].map(sourceGroupTag) : [noGroupTag(g.vpcId)];
  const key = JSON.stringify(tags);
  if (g.sourceTags === key) return;
  await dp.putTargetGroup({ ...g.spec, proxySource: { tags } });
  await dp.putHealthCheck(g.dpName, { ...g.check, source: { tags } });
  g.sourceTags = key;
}

/** The security groups of the pod network an address is in, as target tags. */
export function podTags(ranges: readonly { readonly cidr: string; readonly groupIds: readonly string[] }[], ip: string): string[] {
  return [...new Set(ranges.filter((r) => cidrCovers(r.cidr, `${ip}/${ip.includes(':') ? 128 : 32}`)).flatMap((r) => r.groupIds))].map(podGroupTag);
}
