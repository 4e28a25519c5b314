/**
 * Reads of what exists in AWS for a Service: its load balancer by name, proof of
 * ownership by tags, its target groups. Shared by ensure, update, health and delete.
 */
import {
  DescribeLoadBalancersCommand,
  DescribeTagsCommand,
  DescribeTargetGroupsCommand,
  type LoadBalancer as ElbLoadBalancer,
  type TargetGroup,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { type Logger, type ServiceSpecView, TerminalError } from '@sluice/core';
import type { AwsApi } from './aws-api.ts';
import { isNotFound } from './errors.ts';
import { loadBalancerName, targetGroupNamePrefix } from './names.ts';
import type { KnownLoadBalancer, ResourceCache } from './resource-cache.ts';
import { describeOwner, isOwnedBy, tagRecord } from './tags.ts';

/** What every step needs: the API door, the cache and the log. */
export interface AwsContext {
  readonly api: AwsApi;
  readonly cache: ResourceCache;
  readonly log: Logger;
}

/** DescribeTags takes at most 20 ARNs per call. */
const TAGS_PER_CALL = 20;

export function toKnown(lb: ElbLoadBalancer): KnownLoadBalancer {
  return {
    arn: lb.LoadBalancerArn ?? '',
    name: lb.LoadBalancerName ?? '',
    dnsName: lb.DNSName ?? '',
    vpcId: lb.VpcId ?? '',
    scheme: lb.Scheme ?? '',
    subnetIds: (lb.AvailabilityZones ?? []).map((z) => z.SubnetId ?? '').filter((s) => s !== ''),
    zones: (lb.AvailabilityZones ?? []).map((z) => z.ZoneName ?? '').filter((z) => z !== ''),
    securityGroups: [...(lb.SecurityGroups ?? [])],
  };
}

/** The Service's load balancer as AWS has it now (one DescribeLoadBalancers), or undefined. */
export async function findLoadBalancer(ctx: AwsContext, clusterName: string, service: ServiceSpecView, signal: AbortSignal): Promise<KnownLoadBalancer | undefined> {
  const name = loadBalancerName(clusterName, service);
  const prefix = targetGroupNamePrefix(clusterName, service);
  try {
    const out = await ctx.api.elbv2(new DescribeLoadBalancersCommand({ Names: [name] }), signal);
    const found = out.LoadBalancers?.find((lb) => lb.LoadBalancerName === name);
    if (!found) {
      ctx.cache.forget(name, prefix);
      return undefined;
    }
    const known = toKnown(found);
    ctx.cache.setLoadBalancer(known, prefix);
    return known;
  } catch (error) {
    if (!isNotFound(error, 'LoadBalancerNotFound')) throw error;
    ctx.cache.forget(name, prefix);
    return undefined;
  }
}

/** Tags of each ARN, at most 20 per DescribeTags call. */
export async function describeTags(ctx: AwsContext, arns: readonly string[], signal: AbortSignal): Promise<Map<string, Record<string, string>>> {
  const out = new Map<string, Record<string, string>>();
  for (let i = 0; i < arns.length; i += TAGS_PER_CALL) {
    const page = await ctx.api.elbv2(new DescribeTagsCommand({ ResourceArns: arns.slice(i, i + TAGS_PER_CALL) }), signal);
    for (const d of page.TagDescriptions ?? []) if (d.ResourceArn) out.set(d.ResourceArn, tagRecord(d.Tags));
  }
  return out;
}

/**
 * Throws a TerminalError unless the load balancer's tags prove that this cluster made it
 * for this Service. Checked once per ARN unless `fresh` (deletion always re-checks).
 */
export async function requireOwned(
  ctx: AwsContext,
  lb: KnownLoadBalancer,
  clusterName: string,
  service: ServiceSpecView,
  signal: AbortSignal,
  fresh = false,
): Promise<void> {
  if (!fresh && ctx.cache.isOwned(lb.arn)) return;
  const tags = (await describeTags(ctx, [lb.arn], signal)).get(lb.arn) ?? {};
  if (!isOwnedBy(tags, clusterName, service)) {
    throw new TerminalError(
      `Load balancer ${lb.name} (${lb.arn}) has the name Sluice gives Service ${service.namespace}/${service.name} in cluster ${clusterName}, but ${describeOwner(tags)}, so Sluice will not change or delete it: delete or rename that load balancer, or tag it sluice.dev/managed-by=sluice, sluice.dev/cluster=${clusterName}, sluice.dev/service-uid=${service.uid} if it is Sluice's.`,
      { reason: 'ForeignLoadBalancer' },
    );
  }
  ctx.cache.setOwned(lb.arn);
}

/** Target groups attached to the load balancer (through its listeners). */
export async function targetGroupsOf(ctx: AwsContext, loadBalancerArn: string, signal: AbortSignal): Promise<TargetGroup[]> {
  const groups: TargetGroup[] = [];
  let marker: string | undefined;
  do {
    const page = await ctx.api.elbv2(new DescribeTargetGroupsCommand({ LoadBalancerArn: loadBalancerArn, ...(marker ? { Marker: marker } : {}) }), signal);
    groups.push(...(page.TargetGroups ?? []));
    marker = page.NextMarker;
  } while (marker);
  return groups;
}

/** The target group of that name, or undefined. */
export async function targetGroupByName(ctx: AwsContext, name: string, signal: AbortSignal): Promise<TargetGroup | undefined> {
  try {
    const out = await ctx.api.elbv2(new DescribeTargetGroupsCommand({ Names: [name] }), signal);
    return out.TargetGroups?.find((g) => g.TargetGroupName === name);
  } catch (error) {
    if (isNotFound(error, 'TargetGroupNotFound')) return undefined;
    throw error;
  }
}

/** Every target group in the account and region whose name starts with `prefix`. */
export async function targetGroupsNamed(ctx: AwsContext, prefix: string, signal: AbortSignal): Promise<TargetGroup[]> {
  const groups: TargetGroup[] = [];
  let marker: string | undefined;
  do {
    const page = await ctx.api.elbv2(new DescribeTargetGroupsCommand({ PageSize: 400, ...(marker ? { Marker: marker } : {}) }), signal);
    groups.push(...(page.TargetGroups ?? []).filter((g) => g.TargetGroupName?.startsWith(prefix)));
    marker = page.NextMarker;
  } while (marker);
  return groups;
}
