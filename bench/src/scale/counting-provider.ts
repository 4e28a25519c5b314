/**
 * Wraps a provider to count its calls (a Service's first ensure apart from its periodic
 * re-ensures) and to note, per pod, when the first write that registers one of its backends
 * (weight > 0) returned. Adds no waiting of its own.
 */
import type { Backend, LoadBalancer } from '@sluice/core';
import type { ProviderCounts } from './controller-protocol.ts';

export interface CountingHooks {
  /** A pod's first backend registration returned. */
  registered(podUid: string): void;
  /** After every call returned (successfully or not). */
  called?(): void;
}

export interface CountingProvider {
  readonly provider: LoadBalancer;
  readonly counts: ProviderCounts;
  /** Distinct Services written to (`namespace/name`). */
  readonly servicesWritten: ReadonlySet<string>;
}

export function countingProvider(inner: LoadBalancer, hooks: CountingHooks): CountingProvider {
  const counts: ProviderCounts = {
    ensureLoadBalancer: 0,
    reensureLoadBalancer: 0,
    updateLoadBalancer: 0,
    ensureLoadBalancerDeleted: 0,
    getLoadBalancer: 0,
    getBackendHealth: 0,
  };
  const servicesWritten = new Set<string>();
  /** Services whose load balancer this process has ensured (the benches never change a Service's spec). */
  const ensured = new Set<string>();
  const registered = new Set<string>();
  const noteBackends = (backends: readonly Backend[]) => {
    for (const b of backends) {
      if (b.weight > 0 && b.podUid !== '' && !registered.has(b.podUid)) {
        registered.add(b.podUid);
        hooks.registered(b.podUid);
      }
    }
  };
  const count = async <T>(operation: keyof ProviderCounts, service: { namespace: string; name: string } | undefined, call: () => Promise<T>): Promise<T> => {
    counts[operation]++;
    if (service) servicesWritten.add(`${service.namespace}/${service.name}`);
    try {
      return await call();
    } finally {
      hooks.called?.();
    }
  };
  const provider: LoadBalancer = {
    providerName: inner.providerName,
    capabilities: inner.capabilities,
    getLoadBalancerName: (cluster, service) => inner.getLoadBalancerName(cluster, service),
    getLoadBalancer: (cluster, service, signal) => count('getLoadBalancer', undefined, () => inner.getLoadBalancer(cluster, service, signal)),
    getBackendHealth: (cluster, service, signal) => count('getBackendHealth', undefined, () => inner.getBackendHealth(cluster, service, signal)),
    ensureLoadBalancer: (cluster, service, backends, signal) =>
      count(ensured.has(`${service.namespace}/${service.name}/${service.uid}`) ? 'reensureLoadBalancer' : 'ensureLoadBalancer', service, async () => {
        const status = await inner.ensureLoadBalancer(cluster, service, backends, signal);
        ensured.add(`${service.namespace}/${service.name}/${service.uid}`);
        noteBackends(backends);
        return status;
      }),
    updateLoadBalancer: (cluster, service, backends, signal) =>
      count('updateLoadBalancer', service, async () => {
        await inner.updateLoadBalancer(cluster, service, backends, signal);
        noteBackends(backends);
      }),
    ensureLoadBalancerDeleted: (cluster, service, signal) =>
      count('ensureLoadBalancerDeleted', service, async () => {
        await inner.ensureLoadBalancerDeleted(cluster, service, signal);
        ensured.delete(`${service.namespace}/${service.name}/${service.uid}`);
      }),
  };
  if (inner.validate) provider.validate = (service) => inner.validate!(service);
  if (inner.close) provider.close = () => inner.close!();
  return { provider, counts, servicesWritten };
}
