/**
 * Deletes a Service's load balancer and the public IP Sluice created for it, touching only
 * what tags prove is this cluster's for this Service. Idempotent: an absent load balancer
 * is success, and a run that stopped part-way is finished by the next one.
 *
 * Order, step by step:
 * 1. the load balancer is read afresh and its tags checked: a load balancer with Sluice's
 *    name but other tags stops everything with a TerminalError, and nothing is touched;
 * 2. the load balancer is deleted (its frontend, rules, probes and pools go with it) and
 *    the operation awaited, so its public IP is free;
 * 3. the Sluice-owned public IP `<lb>-pip`, if it exists and its tags prove ownership. An
 *    annotated public IP is never deleted: it is not Sluice's.
 */
import type { ServiceSpecView } from '@sluice/core';
import { isNotFound } from './errors.ts';
import { type AzureContext, readLoadBalancer, requireOwned } from './lookup.ts';
import { loadBalancerName } from './names.ts';
import { deleteOwnedPublicIp } from './public-ip.ts';

export async function deleteStack(ctx: AzureContext, clusterName: string, service: ServiceSpecView, signal: AbortSignal): Promise<void> {
  const name = loadBalancerName(clusterName, service);
  const lb = await readLoadBalancer(ctx, name, signal);
  if (lb) {
    requireOwned(ctx, lb, clusterName, service);
    try {
      await ctx.api.lro('loadBalancers.delete', name, signal, (o) => ctx.api.client.loadBalancers.delete(ctx.api.resourceGroup, name, o));
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
    ctx.log.info('deleted load balancer', { service: `${service.namespace}/${service.name}`, name });
  }
  ctx.rulePorts.forget(name);
  ctx.pools.forget(name);
  await deleteOwnedPublicIp(ctx, name, clusterName, service, signal);
}
