/**
 * Deletes a Service's NLB and its target groups, touching only what tags prove is this
 * cluster's for this Service. Idempotent: an absent load balancer is success, and a run
 * that stopped part-way is finished by the next one.
 *
 * Order, step by step:
 * 1. the load balancer: its tags are checked afresh (never from the cache) and a foreign
 *    one stops everything with a TerminalError; its target groups are listed while it
 *    still exists, since afterwards nothing links them to it;
 * 2. DeleteLoadBalancer, which takes the listeners with it;
 * 3. the target groups found in step 1, plus any leftover whose name carries the
 *    Service's hash (a group created by an ensure that stopped before its listener, or
 *    left by an earlier delete that AWS refused with ResourceInUse), each deleted only if
 *    its tags prove ownership. ResourceInUse right after step 2 is retryable: the next
 *    reconcile finds the load balancer gone and finishes here;
 * 4. (deleteStackAndGroups) every security-group rule tagged as the Service's, in the pods'
 *    groups and its own, then its own group.
 */
import { DeleteLoadBalancerCommand, DeleteTargetGroupCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { ServiceSpecView } from '@sluice/core';
import { isNotFound } from './errors.ts';
import { type AwsContext, describeTags, findLoadBalancer, requireOwned, targetGroupsNamed, targetGroupsOf } from './lookup.ts';
import { loadBalancerName, targetGroupNamePrefix } from './names.ts';
import { deleteSecurityGroups } from './security-groups.ts';
import { isOwnedBy } from './tags.ts';

export async function deleteStack(ctx: AwsContext, clusterName: string, service: ServiceSpecView, signal: AbortSignal): Promise<void> {
  const prefix = targetGroupNamePrefix(clusterName, service);
  const candidates = new Map<string, string>();
  const lb = await findLoadBalancer(ctx, clusterName, service, signal);
  if (lb) {
    await requireOwned(ctx, lb, clusterName, service, signal, true);
    try {
      for (const g of await targetGroupsOf(ctx, lb.arn, signal)) if (g.TargetGroupArn) candidates.set(g.TargetGroupArn, g.TargetGroupName ?? '');
      await ctx.api.elbv2(new DeleteLoadBalancerCommand({ LoadBalancerArn: lb.arn }), signal);
    } catch (error) {
      if (!isNotFound(error, 'LoadBalancerNotFound')) throw error;
    }
    ctx.log.info('deleted load balancer', { service: `${service.namespace}/${service.name}`, name: lb.name, arn: lb.arn });
  }
  ctx.cache.forget(loadBalancerName(clusterName, service), prefix);

  for (const g of await targetGroupsNamed(ctx, prefix, signal)) if (g.TargetGroupArn) candidates.set(g.TargetGroupArn, g.TargetGroupName ?? '');
  if (candidates.size === 0) return;
  const tags = await describeTags(ctx, [...candidates.keys()], signal);
  for (const [arn, name] of candidates) {
    if (!isOwnedBy(tags.get(arn) ?? {}, clusterName, service)) {
      ctx.log.warn('left a target group Sluice does not own', { targetGroup: name, arn });
      continue;
    }
    try {
      await ctx.api.elbv2(new DeleteTargetGroupCommand({ TargetGroupArn: arn }), signal);
    } catch (error) {
      if (!isNotFound(error, 'TargetGroupNotFound')) throw error;
    }
  }
}

/** The whole stack, then the rules Sluice added for the Service and its security group (which the NLB used until now). */
export async function deleteStackAndGroups(ctx: AwsContext, clusterName: string, service: ServiceSpecView, signal: AbortSignal): Promise<void> {
  await deleteStack(ctx, clusterName, service, signal);
  await deleteSecurityGroups(ctx, clusterName, service, signal);
}
