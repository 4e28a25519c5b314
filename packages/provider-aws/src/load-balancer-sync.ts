/**
 * Creates or converges a Service's whole NLB: the load balancer, one target group and one
 * listener per Service port, and the targets. Reads first, then writes only what differs,
 * so an ensure of a load balancer that already matches makes no write call.
 *
 * Order matters, step by step:
 * 1. the load balancer (its tags must prove it is this Service's before anything else),
 *    then its attributes;
 * 2. the target groups, so every listener has a group to forward to;
 * 3. the targets, registrations before deregistrations, so a group a listener is about
 *    to switch to (a port whose name or protocol changed) already holds the pods;
 * 4. the listeners, created or switched to their group;
 * 5. only then listeners of removed ports, and target groups no listener uses any more
 *    (deleting a group still in use fails).
 */

import { DescribeSubnetsCommand } from '@aws-sdk/client-ec2';
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  DeleteListenerCommand,
  DeleteTargetGroupCommand,
  DescribeListenersCommand,
  type Listener,
  ModifyListenerCommand,
  SetSubnetsCommand,
  type TargetGroup,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { type Backend, type LoadBalancerStatus, type ServiceSpecView, TerminalError } from '@sluice/core';
import { type AwsServiceSettings, SCHEME_ANNOTATION } from './annotations.ts';
import { isNotFound } from './errors.ts';
import { listenerFields, listenerMatches } from './listener-spec.ts';
import { ensureLoadBalancerAttributes } from './load-balancer-attributes.ts';
import { type AwsContext, describeTags, findLoadBalancer, requireOwned, targetGroupsOf, toKnown } from './lookup.ts';
import { loadBalancerName, targetGroupNamePrefix } from './names.ts';
import type { KnownLoadBalancer } from './resource-cache.ts';
import { type BackendGroupSettings, ensureLoadBalancerGroup } from './security-groups.ts';
import { ensureSecurity } from './security-sync.ts';
import { discoverSubnets, subnetIdsFromAnnotation } from './subnets.ts';
import { isOwnedBy, portTags, serviceTags } from './tags.ts';
import { type PortSpec, portSpecs } from './target-group-spec.ts';
import { ensureTargetGroup } from './target-group-sync.ts';
import { targetPlacer } from './target-placement.ts';
import { describeRemembered, syncTargets } from './target-sync.ts';

export interface EnsureInput {
  readonly clusterName: string;
  readonly service: ServiceSpecView;
  readonly settings: AwsServiceSettings;
  readonly backends: readonly Backend[];
  readonly backendGroups: BackendGroupSettings;
}

export function statusOf(lb: KnownLoadBalancer): LoadBalancerStatus {
  return { ingress: lb.dnsName ? [{ hostname: lb.dnsName }] : [] };
}

export async function ensureStack(ctx: AwsContext, input: EnsureInput, signal: AbortSignal): Promise<LoadBalancerStatus> {
  const { clusterName, service, settings } = input;
  let lb = await findLoadBalancer(ctx, clusterName, service, signal);
  const created = lb === undefined;
  if (lb) {
    await requireOwned(ctx, lb, clusterName, service, signal);
    await convergeLoadBalancer(ctx, input, lb, signal);
  } else {
    lb = await createLoadBalancer(ctx, input, signal);
  }
  const createdGroup = created ? lb.securityGroups?.[0] : undefined;
  await ensureLoadBalancerAttributes(ctx, lb.arn, settings, created, signal);

  const specs = portSpecs(clusterName, service, settings, input.backends);
  await ensureSecurity(ctx, { clusterName, service, scheme: settings.scheme, backends: input.backends, backendGroups: input.backendGroups }, lb, specs, signal, createdGroup);
  const attached = created ? [] : await targetGroupsOf(ctx, lb.arn, signal);
  const groups = new Map<string, { arn: string; isNew: boolean }>();
  for (const spec of specs) groups.set(spec.servicePort.name, await ensureTargetGroup(ctx, input, spec, lb, attached, signal));

  const placer = targetPlacer(ctx, ctx.cache.loadBalancer(lb.name) ?? lb, service, input.backends, signal);
  for (const spec of specs) {
    const group = groups.get(spec.servicePort.name)!;
    const backends = input.backends.filter((b) => b.servicePort === spec.servicePort.name);
    // An ensure describes the group afresh (it repairs drift); a new group has no registrations.
    const registered = group.isNew ? [] : await describeRemembered(ctx.api, ctx.cache, group.arn, signal);
    await syncTargets(ctx.api, ctx.cache, group.arn, backends, signal, registered, placer);
  }

  const listeners = created ? [] : ((await ctx.api.elbv2(new DescribeListenersCommand({ LoadBalancerArn: lb.arn }), signal)).Listeners ?? []);
  for (const spec of specs) await ensureListener(ctx, input, spec, groups.get(spec.servicePort.name)!.arn, lb, listeners, signal);
  await removeStale(ctx, input, specs, listeners, attached, signal);
  return statusOf(lb);
}

async function createLoadBalancer(ctx: AwsContext, input: EnsureInput, signal: AbortSignal): Promise<KnownLoadBalancer> {
  const { clusterName, service, settings } = input;
  const subnets = settings.subnets
    ? await subnetIdsFromAnnotation(ctx.api, service, settings.subnets, signal)
    : await discoverSubnets(ctx.api, service, settings.scheme, clusterName, signal);
  const name = loadBalancerName(clusterName, service);
  // The NLB's own security group exists first: an NLB created without one can never get one.
  const vpcId = (await ctx.api.ec2(new DescribeSubnetsCommand({ SubnetIds: [subnets[0]!] }), signal)).Subnets?.[0]?.VpcId ?? '';
  const group = await ensureLoadBalancerGroup(ctx, clusterName, service, name, vpcId, signal);
  const out = await ctx.api.elbv2(
    new CreateLoadBalancerCommand({
      Name: name,
      Type: 'network',
      Scheme: settings.scheme,
      IpAddressType: 'ipv4',
      Subnets: subnets,
      SecurityGroups: [group],
      Tags: serviceTags(clusterName, service),
    }),
    signal,
  );
  const made = out.LoadBalancers?.find((l) => l.LoadBalancerName === name);
  if (!made?.LoadBalancerArn) throw new TerminalError(`AWS CreateLoadBalancer for ${name} returned no load balancer.`);
  const known = { ...toKnown(made), securityGroups: [group] };
  ctx.cache.setLoadBalancer(known, targetGroupNamePrefix(clusterName, service));
  ctx.cache.setOwned(known.arn);
  ctx.log.info('created load balancer', { service: `${service.namespace}/${service.name}`, name, arn: known.arn, subnets });
  return known;
}

/** Scheme cannot change on an NLB; annotated subnets are applied with SetSubnets. */
async function convergeLoadBalancer(ctx: AwsContext, input: EnsureInput, lb: KnownLoadBalancer, signal: AbortSignal): Promise<void> {
  const { service, settings } = input;
  if (lb.scheme !== settings.scheme) {
    throw new TerminalError(
      `Service ${service.namespace}/${service.name} asks for scheme ${settings.scheme}, but its load balancer ${lb.name} is ${lb.scheme} and an NLB cannot change scheme: set ${SCHEME_ANNOTATION} back to ${lb.scheme}, or delete and re-create the Service to get a new load balancer.`,
      { field: `metadata.annotations[${SCHEME_ANNOTATION}]`, reason: 'ImmutableScheme' },
    );
  }
  if (!settings.subnets) return;
  const want = await subnetIdsFromAnnotation(ctx.api, service, settings.subnets, signal);
  const have = [...lb.subnetIds].sort();
  if (want.join(',') === have.join(',')) return;
  const out = await ctx.api.elbv2(new SetSubnetsCommand({ LoadBalancerArn: lb.arn, Subnets: want }), signal);
  const zones = (out.AvailabilityZones ?? []).map((z) => z.ZoneName ?? '').filter((z) => z !== '');
  ctx.cache.setLoadBalancer({ ...lb, subnetIds: want, zones }, targetGroupNamePrefix(input.clusterName, service));
}

async function ensureListener(
  ctx: AwsContext,
  input: EnsureInput,
  spec: PortSpec,
  targetGroupArn: string,
  lb: KnownLoadBalancer,
  listeners: readonly Listener[],
  signal: AbortSignal,
): Promise<void> {
  const existing = listeners.find((l) => l.Port === spec.servicePort.port);
  const fields = listenerFields(spec, targetGroupArn);
  if (existing?.ListenerArn) {
    if (listenerMatches(spec, targetGroupArn, existing)) return;
    await ctx.api.elbv2(new ModifyListenerCommand({ ListenerArn: existing.ListenerArn, ...fields }), signal);
    return;
  }
  await ctx.api.elbv2(
    new CreateListenerCommand({ LoadBalancerArn: lb.arn, ...fields, Tags: portTags(input.clusterName, input.service, spec.servicePort.name) }),
    signal,
  );
}

/** Listeners of ports the Service no longer has, then target groups no wanted listener uses. */
async function removeStale(
  ctx: AwsContext,
  input: EnsureInput,
  specs: readonly PortSpec[],
  listeners: readonly Listener[],
  attached: readonly TargetGroup[],
  signal: AbortSignal,
): Promise<void> {
  const ports = new Set(specs.map((s) => s.servicePort.port));
  for (const l of listeners) {
    if (l.ListenerArn && l.Port !== undefined && !ports.has(l.Port)) {
      try {
        await ctx.api.elbv2(new DeleteListenerCommand({ ListenerArn: l.ListenerArn }), signal);
      } catch (error) {
        if (!isNotFound(error, 'ListenerNotFound')) throw error;
      }
    }
  }
  const wanted = new Set(specs.map((s) => s.targetGroupName));
  const stale = attached.filter((g) => g.TargetGroupArn && g.TargetGroupName && !wanted.has(g.TargetGroupName));
  if (stale.length === 0) return;
  const tags = await describeTags(
    ctx,
    stale.map((g) => g.TargetGroupArn!),
    signal,
  );
  for (const g of stale) {
    if (!isOwnedBy(tags.get(g.TargetGroupArn!) ?? {}, input.clusterName, input.service)) {
      ctx.log.warn('left a target group Sluice does not own', { targetGroup: g.TargetGroupName, arn: g.TargetGroupArn });
      continue;
    }
    try {
      await ctx.api.elbv2(new DeleteTargetGroupCommand({ TargetGroupArn: g.TargetGroupArn }), signal);
    } catch (error) {
      if (!isNotFound(error, 'TargetGroupNotFound')) throw error;
    }
    ctx.cache.forgetTargetGroup(g.TargetGroupName!);
  }
}
