/**
 * A provider wrapper for `sluice plan` that forwards only the read-only part of the
 * contract (names, lookups, health, validation) and throws on every write. The planner
 * never calls a write; this is defence in depth, so a future change that does fails loudly
 * instead of touching a load balancer from a command promised to change nothing.
 */
import type { Backend, BackendStatus, LoadBalancer, LoadBalancerLookup, LoadBalancerStatus, ServiceProblem, ServiceSpecView } from '@sluice/core';

/** A write method was called through the read-only wrapper. */
export class ReadOnlyViolationError extends Error {
  override name = 'ReadOnlyViolationError';
  readonly method: string;

  constructor(method: string, service: ServiceSpecView) {
    super(`sluice plan must not write to the load balancer: ${method} was called for Service ${service.namespace}/${service.name}.`);
    this.method = method;
  }
}

export function readOnlyProvider(inner: LoadBalancer): LoadBalancer {
  const refuse = (method: string, service: ServiceSpecView): never => {
    throw new ReadOnlyViolationError(method, service);
  };
  const validate = inner.validate?.bind(inner);
  return {
    providerName: inner.providerName,
    capabilities: inner.capabilities,
    getLoadBalancerName: (clusterName: string, service: ServiceSpecView): string => inner.getLoadBalancerName(clusterName, service),
    getLoadBalancer: (clusterName: string, service: ServiceSpecView, signal: AbortSignal): Promise<LoadBalancerLookup> =>
      inner.getLoadBalancer(clusterName, service, signal),
    getBackendHealth: (clusterName: string, service: ServiceSpecView, signal: AbortSignal): Promise<readonly BackendStatus[]> =>
      inner.getBackendHealth(clusterName, service, signal),
    // Writes reject (they are async in the contract) after refusing synchronously inside.
    ensureLoadBalancer: async (_c: string, service: ServiceSpecView, _b: readonly Backend[], _s: AbortSignal): Promise<LoadBalancerStatus> =>
      refuse('ensureLoadBalancer', service),
    updateLoadBalancer: async (_c: string, service: ServiceSpecView, _b: readonly Backend[], _s: AbortSignal): Promise<void> =>
      refuse('updateLoadBalancer', service),
    ensureLoadBalancerDeleted: async (_c: string, service: ServiceSpecView, _s: AbortSignal): Promise<void> => refuse('ensureLoadBalancerDeleted', service),
    ...(validate ? { validate: (service: ServiceSpecView): readonly ServiceProblem[] => validate(service) } : {}),
    ...(inner.close ? { close: () => inner.close!() } : {}),
  };
}
