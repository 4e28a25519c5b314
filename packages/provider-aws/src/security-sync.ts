/**
 * The security-group step of an ensure (see security-groups.ts for the calls and
 * security-group-spec.ts for the rules): the NLB's group gets exactly the client rules the
 * Service asks for, and the pods' groups get (or, when Sluice does not manage them, are
 * checked for) the rules that let the NLB's group reach the pods. Returns the sentence
 * naming the rules that are missing when Sluice does not manage them, for the gate message.
 */

import type { Backend, ServiceSpecView } from '@sluice/core';
import { TerminalError } from '@sluice/core';
import type { Scheme } from './annotations.ts';
import type { AwsContext } from './lookup.ts';
import type { KnownLoadBalancer } from './resource-cache.ts';
import { backendPortsKey, backendRules, loadBalancerRules, missingRuleSentence } from './security-group-spec.ts';
import { type BackendGroupSettings, convergeBackendRules, convergeLoadBalancerRules, findLoadBalancerGroup, podGroups, uncoveredRules } from './security-groups.ts';
import type { PortSpec } from './target-group-spec.ts';
import { vpcCidrs } from './target-placement.ts';

export interface SecurityInput {
  readonly clusterName: string;
  readonly service: ServiceSpecView;
  readonly scheme: Scheme;
  readonly backends: readonly Backend[];
  readonly backendGroups: BackendGroupSettings;
}

/** `createdGroup`: the group the NLB was just created with (nothing to look up, no rule in it yet). */
export async function ensureSecurity(
  ctx: AwsContext,
  input: SecurityInput,
  lb: KnownLoadBalancer,
  specs: readonly PortSpec[],
  signal: AbortSignal,
  createdGroup?: string,
): Promise<string | undefined> {
  const { clusterName, service } = input;
  const nlbGroup = createdGroup ?? ((lb.securityGroups ?? []).length > 0 ? await findLoadBalancerGroup(ctx, clusterName, service, signal) : undefined);
  if (nlbGroup === undefined) {
    if ((service.sourceRanges ?? []).length > 0) {
      throw new TerminalError(
        `Service ${service.namespace}/${service.name} sets loadBalancerSourceRanges, but its load balancer ${lb.name} has no Sluice security group (it was created without one, and AWS cannot add security groups to such an NLB), so the ranges cannot be enforced: delete and re-create the Service to get an NLB with a security group.`,
        { field: 'spec.loadBalancerSourceRanges', reason: 'SourceRangesNotEnforceable' },
      );
    }
    ctx.log.warn('load balancer has no Sluice security group; its clients and pods are not filtered', { service: `${service.namespace}/${service.name}`, name: lb.name });
    return undefined;
  }
  const clientRules = loadBalancerRules(service, input.scheme, await vpcCidrs(ctx, lb.vpcId, signal));
  await convergeLoadBalancerRules(ctx, clusterName, service, nlbGroup, clientRules, signal, createdGroup !== undefined);
  return ensureBackendRules(ctx, input, lb, specs, nlbGroup, signal);
}

/**
 * The pods' groups' rules for the backends' target ports (or, when Sluice does not manage
 * them, the sentence naming the missing ones). Remembers the NLB's group and the ports, so an
 * update whose backends use other ports (a named targetPort is only known from the pods) can
 * follow with {@link followBackendPorts}.
 */
export async function ensureBackendRules(
  ctx: AwsContext,
  input: SecurityInput,
  lb: KnownLoadBalancer,
  specs: readonly PortSpec[],
  nlbGroup: string,
  signal: AbortSignal,
): Promise<string | undefined> {
  const { clusterName, service } = input;
  const groups = await podGroups(ctx, input.backendGroups, clusterName, lb.vpcId, signal);
  if (groups.length === 0) {
    ctx.log.warn('found no security group of the pods to allow the load balancer in', { service: `${service.namespace}/${service.name}`, tag: `kubernetes.io/cluster/${clusterName}` });
  }
  const want = backendRules(groups, nlbGroup, specs, input.backends);
  let gap: string | undefined;
  if (input.backendGroups.rules === 'manage') {
    await convergeBackendRules(ctx, clusterName, service, nlbGroup, want, signal);
  } else {
    const missing = await uncoveredRules(ctx, want, lb.vpcId === '' ? [] : await vpcCidrs(ctx, lb.vpcId, signal), signal);
    gap = missing.length > 0 ? `${missing.map(missingRuleSentence).join('; ')} (Sluice is told not to manage the pods' security group rules)` : undefined;
  }
  ctx.cache.setBackendRules(lb.name, { nlbGroup, portsKey: backendPortsKey(input.backends) });
  ctx.cache.setRuleGap(lb.name, gap);
  return gap;
}

/**
 * On an update: when the backends use target ports the pods' rules were not made for, or this
 * process has not converged them yet (a restart, perhaps with other flags), the rules follow;
 * otherwise nothing is read.
 */
export async function followBackendPorts(ctx: AwsContext, input: SecurityInput, lb: KnownLoadBalancer, specs: readonly PortSpec[], signal: AbortSignal): Promise<void> {
  const known = ctx.cache.backendRules(lb.name);
  // No backend says nothing about ports (a rollout's gap between the last old and the first new
  // pod): revoking the rules then would cut the pods that come next.
  if (input.backends.length === 0) return;
  if (known && known.portsKey === backendPortsKey(input.backends)) return;
  const nlbGroup = known?.nlbGroup ?? ((lb.securityGroups ?? []).length > 0 ? await findLoadBalancerGroup(ctx, input.clusterName, input.service, signal) : undefined);
  if (nlbGroup === undefined) return;
  await ensureBackendRules(ctx, input, lb, specs, nlbGroup, signal);
}
