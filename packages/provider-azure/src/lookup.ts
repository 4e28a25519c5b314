/**
 * Reads of what exists in Azure for a Service: its load balancer by name, proof of
 * ownership by tags, and the rule backend ports remembered from the last read. Shared by
 * ensure, update, health and delete.
 */
import type { LoadBalancer as AzureLb } from '@azure/arm-network';
import { type Logger, type ServiceSpecView, TerminalError } from '@sluice/core';
import type { AzureApi } from './azure-api.ts';
import { isNotFound } from './errors.ts';
import { loadBalancerName } from './names.ts';
import type { PoolCache } from './pool-cache.ts';
import type { PublicIpAddressCache } from './public-ip.ts';
import { describeOwner, isOwnedBy, MANAGED_BY, TAG_CLUSTER, TAG_MANAGED_BY, TAG_SERVICE_UID } from './tags.ts';

/**
 * Per load balancer name, the backend port of each Service port's rule as last read or
 * written, so the hot path (updateLoadBalancer) can check backends against it without
 * reading the whole load balancer each time.
 */
export class RulePortCache {
  readonly #byLb = new Map<string, Map<string, number>>();

  get(lbName: string): ReadonlyMap<string, number> | undefined {
    return this.#byLb.get(lbName);
  }

  /** Remembers the rules named `<childPrefix><port>` under `key`, by port name (a shared load balancer holds other Services' rules too). */
  remember(key: string, lb: AzureLb, childPrefix = ''): void {
    const ports = new Map<string, number>();
    for (const rule of lb.loadBalancingRules ?? []) {
      if (rule.name?.startsWith(childPrefix) && rule.backendPort !== undefined) ports.set(rule.name.slice(childPrefix.length), rule.backendPort);
    }
    this.#byLb.set(key, ports);
  }

  forget(lbName: string): void {
    this.#byLb.delete(lbName);
  }
}

/** What every step needs: the API door, the caches and the log. */
export interface AzureContext {
  readonly api: AzureApi;
  readonly rulePorts: RulePortCache;
  readonly pools: PoolCache;
  /** Public IP addresses as last read or created; none: every status read asks Azure. */
  readonly addresses?: PublicIpAddressCache;
  readonly log: Logger;
}

/**
 * The load balancer as Azure has it now (one GET), or undefined when it does not exist. Its
 * pools are remembered (pool-cache.ts); ownership is the caller's to check.
 */
export async function readLoadBalancer(ctx: AzureContext, name: string, signal: AbortSignal): Promise<AzureLb | undefined> {
  try {
    const lb = await ctx.api.call('loadBalancers.get', name, signal, (o) => ctx.api.client.loadBalancers.get(ctx.api.resourceGroup, name, o));
    ctx.pools.rememberLoadBalancer(name, lb);
    return lb;
  } catch (error) {
    if (!isNotFound(error)) throw error;
    ctx.rulePorts.forget(name);
    ctx.pools.forget(name);
    return undefined;
  }
}

/**
 * Throws a TerminalError unless the load balancer's tags prove that this cluster made it
 * for this Service. Only a load balancer that passes is remembered for the hot path.
 */
export function requireOwned(ctx: AzureContext, lb: AzureLb, clusterName: string, service: ServiceSpecView): void {
  const name = loadBalancerName(clusterName, service);
  if (isOwnedBy(lb.tags, clusterName, service)) {
    ctx.rulePorts.remember(name, lb);
    return;
  }
  ctx.rulePorts.forget(name);
  throw new TerminalError(
    `Load balancer ${name} in resource group ${ctx.api.resourceGroup} has the name Sluice gives Service ${service.namespace}/${service.name} in cluster ${clusterName}, but ${describeOwner(lb.tags)}, so Sluice will not change or delete it: delete or rename that load balancer, or tag it ${TAG_MANAGED_BY}=${MANAGED_BY}, ${TAG_CLUSTER}=${clusterName}, ${TAG_SERVICE_UID}=${service.uid} if it is Sluice's.`,
    { reason: 'ForeignLoadBalancer' },
  );
}

/** The resource group and name in a resource ID of the form `/subscriptions/../resourceGroups/<rg>/providers/../<name>`. */
export function parseResourceId(id: string): { resourceGroup: string; name: string } | undefined {
  const m = /\/resourceGroups\/([^/]+)\/providers\/[^/]+\/[^/]+\/([^/]+)$/i.exec(id);
  return m ? { resourceGroup: m[1]!, name: m[2]! } : undefined;
}
