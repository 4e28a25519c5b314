/**
 * The reads behind getBackendHealth: which pool and rule each Service port has (from the
 * caches when they know them all), and Azure's health report for one rule, whose failures
 * are reasons rather than errors.
 */
import type { BackendAddressPool, LoadBalancerHealthPerRule } from '@azure/arm-network';
import { errorMessage, type ServiceSpecView } from '@sluice/core';
import { azureErrorCode, httpStatus, isNotFound } from './errors.ts';
import type { AzureContext } from './lookup.ts';

/** What a health read needs of one Service port: its pool, whether its rule exists, and the rule's backend port. */
export interface PortView {
  readonly port: string;
  readonly child: string;
  readonly pool: BackendAddressPool | undefined;
  readonly rule: boolean;
  readonly backendPort: number | undefined;
}

/** The Service's ports as the caches know them, when they know every port's rule and pool; else undefined. */
export function knownPorts(ctx: AzureContext, lbName: string, cacheKey: string, prefix: string, service: ServiceSpecView): PortView[] | undefined {
  const rulePorts = ctx.rulePorts.get(cacheKey);
  if (rulePorts === undefined) return undefined;
  const views: PortView[] = [];
  for (const port of service.ports) {
    const child = `${prefix}${port.name}`;
    const pool = ctx.pools.get(lbName, child);
    const backendPort = rulePorts.get(port.name);
    if (pool === undefined || backendPort === undefined) return undefined;
    views.push({ port: port.name, child, pool, rule: true, backendPort });
  }
  return views;
}

/**
 * Azure's health report for one rule. Any failure other than an abort is reported as a
 * reason instead of thrown: backends then read `initial` (the gate waits), while drains
 * and registrations, which do not depend on health, go on. `warned` holds the causes
 * already logged, so each is logged once.
 */
export async function ruleHealth(
  ctx: AzureContext,
  warned: Set<string>,
  lbName: string,
  rule: string,
  signal: AbortSignal,
): Promise<{ health?: LoadBalancerHealthPerRule; unavailable?: string }> {
  const api = ctx.api;
  try {
    const health = await api.lro('loadBalancingRules.health', `${lbName}/${rule}`, signal, (o) => api.client.loadBalancerLoadBalancingRules.health(api.resourceGroup, lbName, rule, o));
    return { health };
  } catch (error) {
    if (signal.aborted) throw signal.reason;
    // The rule or its load balancer is gone (deleted by hand): the next poll reads the load balancer again.
    if (isNotFound(error)) ctx.pools.forget(lbName);
    const status = httpStatus(error);
    const code = azureErrorCode(error) ?? (status !== undefined ? `HTTP${status}` : 'error');
    // Azure's own words when it answered; the classified message otherwise.
    const cause = error instanceof Error && error.cause instanceof Error && status !== undefined ? error.cause : error;
    const unavailable = `Azure health report for rule ${rule} unavailable: ${code}: ${errorMessage(cause)}`;
    const key = `${lbName}/${rule}/${code}`;
    if (!warned.has(key)) {
      warned.add(key);
      ctx.log.warn('load balancer health report unavailable; backends stay initial', { loadBalancer: lbName, rule, code, error: errorMessage(error) });
    }
    return { unavailable };
  }
}
