/**
 * One Service port's target group: found on the load balancer, or by name when an
 * earlier ensure stopped before its listener (adopted only if its tags prove it is this
 * Service's), else created with its tags. An existing group gets only the health check
 * settings and attributes that differ; a new one only the attributes that differ from
 * ELBv2's defaults.
 */
import {
  CreateTargetGroupCommand,
  DescribeTargetGroupAttributesCommand,
  ModifyTargetGroupAttributesCommand,
  ModifyTargetGroupCommand,
  type TargetGroup,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { TerminalError } from '@sluice/core';
import type { EnsureInput } from './load-balancer-sync.ts';
import { type AwsContext, describeTags, targetGroupByName } from './lookup.ts';
import type { KnownLoadBalancer } from './resource-cache.ts';
import { isOwnedBy, portTags } from './tags.ts';
import { attributeChanges, healthCheckChanges, healthCheckFields, isCompatible, type PortSpec } from './target-group-spec.ts';

export async function ensureTargetGroup(
  ctx: AwsContext,
  input: EnsureInput,
  spec: PortSpec,
  lb: KnownLoadBalancer,
  attached: readonly TargetGroup[],
  signal: AbortSignal,
): Promise<{ arn: string; isNew: boolean }> {
  const { clusterName, service } = input;
  let group = attached.find((g) => g.TargetGroupName === spec.targetGroupName);
  if (!group) {
    // Not on a listener yet (a create that stopped half-way): adopt it only if it is ours.
    group = await targetGroupByName(ctx, spec.targetGroupName, signal);
    if (group?.TargetGroupArn) {
      const tags = (await describeTags(ctx, [group.TargetGroupArn], signal)).get(group.TargetGroupArn) ?? {};
      if (!isOwnedBy(tags, clusterName, service)) {
        throw new TerminalError(
          `Target group ${spec.targetGroupName} has the name Sluice gives port ${spec.servicePort.name} of Service ${service.namespace}/${service.name}, but its tags do not prove it is Sluice's, so Sluice will not use it: delete or rename it.`,
          { reason: 'ForeignTargetGroup' },
        );
      }
    }
  }
  if (group?.TargetGroupArn) {
    if (!isCompatible(spec, group)) {
      throw new TerminalError(
        `Target group ${spec.targetGroupName} is ${group.Protocol}/${group.TargetType}, but port ${spec.servicePort.name} of Service ${service.namespace}/${service.name} needs ${spec.targetGroupProtocol}/ip: delete it and Sluice creates it again.`,
        { reason: 'IncompatibleTargetGroup' },
      );
    }
    const arn = group.TargetGroupArn;
    ctx.cache.setTargetGroup(spec.targetGroupName, arn);
    const health = healthCheckChanges(spec, group);
    if (health) await ctx.api.elbv2(new ModifyTargetGroupCommand({ TargetGroupArn: arn, ...health }), signal);
    const attributes = (await ctx.api.elbv2(new DescribeTargetGroupAttributesCommand({ TargetGroupArn: arn }), signal)).Attributes ?? [];
    const changes = attributeChanges(spec, attributes);
    if (changes.length > 0) await ctx.api.elbv2(new ModifyTargetGroupAttributesCommand({ TargetGroupArn: arn, Attributes: changes }), signal);
    return { arn, isNew: false };
  }

  const out = await ctx.api.elbv2(
    new CreateTargetGroupCommand({
      Name: spec.targetGroupName,
      Protocol: spec.targetGroupProtocol,
      Port: spec.targetGroupPort,
      VpcId: lb.vpcId,
      TargetType: 'ip',
      IpAddressType: 'ipv4',
      ...healthCheckFields(spec.healthCheck),
      Tags: portTags(clusterName, service, spec.servicePort.name),
    }),
    signal,
  );
  const arn = out.TargetGroups?.[0]?.TargetGroupArn;
  if (!arn) throw new TerminalError(`AWS CreateTargetGroup for ${spec.targetGroupName} returned no target group.`);
  ctx.cache.setTargetGroup(spec.targetGroupName, arn);
  // A new group has ELBv2's default attributes; write only what differs from them.
  const changes = attributeChanges(spec, undefined);
  if (changes.length > 0) await ctx.api.elbv2(new ModifyTargetGroupAttributesCommand({ TargetGroupArn: arn, Attributes: changes }), signal);
  return { arn, isNew: true };
}
