/**
 * The EC2 side of a Service's NLB: its own security group (created with the NLB, tagged with
 * the Service's ownership tags), that group's inbound rules, and the rules in the pods'
 * groups that let the NLB's group reach the pods (security-group-spec.ts says which).
 *
 * Ownership: every rule Sluice adds carries the Service's ownership tags (rule tags), and
 * only rules whose tags prove this cluster and Service are ever revoked; a rule someone else
 * wrote in the pods' groups is never touched. The pods' groups are the ones named by
 * `backendSecurityGroups`, else the cluster's (tagged `kubernetes.io/cluster/<cluster>`, as
 * EKS tags its cluster security group) in the NLB's VPC.
 */
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  DeleteSecurityGroupCommand,
  DescribeSecurityGroupRulesCommand,
  DescribeSecurityGroupsCommand,
  type Filter,
  type IpPermission,
  RevokeSecurityGroupIngressCommand,
  type SecurityGroupRule,
} from '@aws-sdk/client-ec2';
import { RetryableError, type ServiceSpecView } from '@sluice/core';
import { isNotFound } from './errors.ts';
import type { AwsContext } from './lookup.ts';
import { type GroupRule, groupRuleKey, type IpProtocol, type RangeRule, rangeRuleKey, ruleDiff } from './security-group-spec.ts';
import { ipv4CidrContains } from './target-placement.ts';
import { serviceTags, TAG_CLUSTER, TAG_SERVICE_UID } from './tags.ts';

/** Where the pods' groups come from and whether Sluice writes rules into them. */
export interface BackendGroupSettings {
  /** The pods' security groups; undefined: the cluster-tagged groups of the NLB's VPC. */
  readonly groups: readonly string[] | undefined;
  /** `manage`: Sluice adds and removes its rules; `off`: it only checks them and says which is missing. */
  readonly rules: 'manage' | 'off';
}

const ownedFilters = (clusterName: string, service: ServiceSpecView): Filter[] => [
  { Name: `tag:${TAG_CLUSTER}`, Values: [clusterName] },
  { Name: `tag:${TAG_SERVICE_UID}`, Values: [service.uid] },
];

/** The Service's own group (by its ownership tags), or undefined. */
export async function findLoadBalancerGroup(ctx: AwsContext, clusterName: string, service: ServiceSpecView, signal: AbortSignal): Promise<string | undefined> {
  const out = await ctx.api.ec2(new DescribeSecurityGroupsCommand({ Filters: ownedFilters(clusterName, service) }), signal);
  return out.SecurityGroups?.[0]?.GroupId;
}

/** The Service's group, created (tagged at creation) unless an earlier ensure that stopped part-way made it. */
export async function ensureLoadBalancerGroup(ctx: AwsContext, clusterName: string, service: ServiceSpecView, lbName: string, vpcId: string, signal: AbortSignal): Promise<string> {
  const found = await findLoadBalancerGroup(ctx, clusterName, service, signal);
  if (found) return found;
  const out = await ctx.api.ec2(
    new CreateSecurityGroupCommand({
      GroupName: `sluice-${lbName}`,
      Description: `Sluice: clients of the NLB of Service ${service.namespace}/${service.name}`.slice(0, 255),
      VpcId: vpcId,
      TagSpecifications: [{ ResourceType: 'security-group', Tags: serviceTags(clusterName, service) }],
    }),
    signal,
  );
  ctx.log.info('created security group', { service: `${service.namespace}/${service.name}`, groupId: out.GroupId });
  return out.GroupId!;
}

/** The cluster's groups in the VPC, or the named ones. */
export async function podGroups(ctx: AwsContext, settings: BackendGroupSettings, clusterName: string, vpcId: string, signal: AbortSignal): Promise<string[]> {
  if (settings.groups !== undefined) return [...settings.groups];
  const out = await ctx.api.ec2(
    new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'tag-key', Values: [`kubernetes.io/cluster/${clusterName}`] }, { Name: 'vpc-id', Values: [vpcId] }] }),
    signal,
  );
  return (out.SecurityGroups ?? []).map((g) => g.GroupId!).sort();
}

async function describeRules(ctx: AwsContext, filters: Filter[], signal: AbortSignal): Promise<SecurityGroupRule[]> {
  const rules: SecurityGroupRule[] = [];
  let token: string | undefined;
  do {
    const page = await ctx.api.ec2(new DescribeSecurityGroupRulesCommand({ Filters: filters, ...(token ? { NextToken: token } : {}) }), signal);
    rules.push(...(page.SecurityGroupRules ?? []).filter((r) => !r.IsEgress));
    token = page.NextToken;
  } while (token);
  return rules;
}

const permission = (protocol: IpProtocol, port: number, from: { cidr?: string; group?: string }): IpPermission => ({
  IpProtocol: protocol,
  FromPort: port,
  ToPort: port,
  ...(from.group ? { UserIdGroupPairs: [{ GroupId: from.group }] } : from.cidr?.includes(':') ? { Ipv6Ranges: [{ CidrIpv6: from.cidr }] } : { IpRanges: [{ CidrIp: from.cidr }] }),
});

async function authorize(ctx: AwsContext, clusterName: string, service: ServiceSpecView, groupId: string, permissions: IpPermission[], signal: AbortSignal): Promise<void> {
  if (permissions.length === 0) return;
  await ctx.api.ec2(
    new AuthorizeSecurityGroupIngressCommand({
      GroupId: groupId,
      IpPermissions: permissions,
      TagSpecifications: [{ ResourceType: 'security-group-rule', Tags: serviceTags(clusterName, service) }],
    }),
    signal,
  );
}

async function revoke(ctx: AwsContext, groupId: string, ruleIds: string[], signal: AbortSignal): Promise<void> {
  if (ruleIds.length === 0) return;
  try {
    await ctx.api.ec2(new RevokeSecurityGroupIngressCommand({ GroupId: groupId, SecurityGroupRuleIds: ruleIds }), signal);
  } catch (error) {
    if (!isNotFound(error, 'InvalidGroup.NotFound', 'InvalidSecurityGroupRuleId.NotFound')) throw error;
  }
}

/** Makes the NLB group's inbound rules exactly `want` (the group is the Service's own, so every rule in it is Sluice's). */
export async function convergeLoadBalancerRules(
  ctx: AwsContext,
  clusterName: string,
  service: ServiceSpecView,
  groupId: string,
  want: readonly RangeRule[],
  signal: AbortSignal,
  isNew = false,
): Promise<void> {
  const rules = isNew ? [] : await describeRules(ctx, [{ Name: 'group-id', Values: [groupId] }], signal);
  const have = rules.map((r) => ({
    id: r.SecurityGroupRuleId ?? '',
    rule: { protocol: r.IpProtocol as IpProtocol, port: r.FromPort ?? -1, cidr: r.CidrIpv4 ?? r.CidrIpv6 ?? `other:${r.SecurityGroupRuleId}` },
  }));
  const { add, remove } = ruleDiff(want, have, rangeRuleKey);
  await revoke(
    ctx,
    groupId,
    remove.map((h) => h.id),
    signal,
  );
  await authorize(
    ctx,
    clusterName,
    service,
    groupId,
    add.map((r) => permission(r.protocol, r.port, { cidr: r.cidr })),
    signal,
  );
}

/** Makes the Service's rules outside its own group exactly `want`: adds what is missing, revokes only rules tagged as its own. */
export async function convergeBackendRules(ctx: AwsContext, clusterName: string, service: ServiceSpecView, nlbGroup: string, want: readonly GroupRule[], signal: AbortSignal): Promise<void> {
  const owned = (await describeRules(ctx, ownedFilters(clusterName, service), signal)).filter((r) => r.GroupId !== nlbGroup);
  const have = owned.map((r) => ({
    id: r.SecurityGroupRuleId ?? '',
    rule: { groupId: r.GroupId ?? '', protocol: r.IpProtocol as IpProtocol, port: r.FromPort ?? -1, fromGroup: r.ReferencedGroupInfo?.GroupId ?? '' },
  }));
  const { add, remove } = ruleDiff(want, have, groupRuleKey);
  for (const groupId of new Set(remove.map((h) => h.rule.groupId))) {
    await revoke(
      ctx,
      groupId,
      remove.filter((h) => h.rule.groupId === groupId).map((h) => h.id),
      signal,
    );
  }
  for (const groupId of new Set(add.map((r) => r.groupId))) {
    await authorize(
      ctx,
      clusterName,
      service,
      groupId,
      add.filter((r) => r.groupId === groupId).map((r) => permission(r.protocol, r.port, { group: r.fromGroup })),
      signal,
    );
  }
}

/**
 * The rules of `want` that no inbound rule of their group covers: by the NLB's group, or by an
 * IPv4 range that holds every one of `nlbRanges` (the VPC's blocks, where the NLB's own
 * addresses are: a rule admitting the whole VPC admits the NLB and its health checks).
 */
export async function uncoveredRules(ctx: AwsContext, want: readonly GroupRule[], nlbRanges: readonly string[], signal: AbortSignal): Promise<GroupRule[]> {
  const groups = [...new Set(want.map((r) => r.groupId))];
  if (groups.length === 0) return [];
  const rules = await describeRules(ctx, [{ Name: 'group-id', Values: groups }], signal);
  const covers = (r: SecurityGroupRule, w: GroupRule) =>
    r.GroupId === w.groupId &&
    (r.IpProtocol === '-1' || r.IpProtocol === w.protocol) &&
    (r.IpProtocol === '-1' || ((r.FromPort ?? 0) <= w.port && w.port <= (r.ToPort ?? 65535))) &&
    (r.ReferencedGroupInfo?.GroupId === w.fromGroup ||
      r.CidrIpv4 === '0.0.0.0/0' ||
      (r.CidrIpv4 !== undefined && nlbRanges.length > 0 && nlbRanges.every((n) => ipv4CidrContains(r.CidrIpv4!, n))));
  return want.filter((w) => !rules.some((r) => covers(r, w)));
}

/**
 * Revokes every rule tagged as the Service's, then deletes its group. AWS refuses to delete a
 * group still attached to the NLB's network interfaces for a while after DeleteLoadBalancer
 * (DependencyViolation): that is retryable, and the next reconcile finishes it.
 */
export async function deleteSecurityGroups(ctx: AwsContext, clusterName: string, service: ServiceSpecView, signal: AbortSignal): Promise<void> {
  const owned = await describeRules(ctx, ownedFilters(clusterName, service), signal);
  for (const groupId of new Set(owned.map((r) => r.GroupId ?? ''))) {
    await revoke(
      ctx,
      groupId,
      owned.filter((r) => r.GroupId === groupId).map((r) => r.SecurityGroupRuleId ?? ''),
      signal,
    );
  }
  const group = await findLoadBalancerGroup(ctx, clusterName, service, signal);
  if (!group) return;
  try {
    await ctx.api.ec2(new DeleteSecurityGroupCommand({ GroupId: group }), signal);
    ctx.log.info('deleted security group', { service: `${service.namespace}/${service.name}`, groupId: group });
  } catch (error) {
    if (isNotFound(error, 'InvalidGroup.NotFound')) return;
    if (isNotFound(error, 'DependencyViolation')) {
      throw new RetryableError(`Security group ${group} of Service ${service.namespace}/${service.name} is still in use by its deleted load balancer; deleting it again later.`, {
        cause: error,
        reason: 'SecurityGroupInUse',
      });
    }
    throw error;
  }
}
