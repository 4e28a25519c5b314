/**
 * What every case builds on: a context with Services and backends of the case's own, readings
 * of what the provider reports in a form assertions compare, and small builders for targets.
 */
import type { Backend, BackendStatus, LoadBalancer, ServiceSpecView } from '../../provider.ts';
import { backendAt, serviceView } from '../provider-fixtures.ts';
import type { CaseContext, ConformanceSubject, ConformanceTarget } from './types.ts';

export const DEFAULT_CLUSTER = 'conformance';
export const CONFORMANCE_NAMESPACE = 'conformance';

/** The context of one case on one target's subject. */
export function caseContext(caseId: string, target: ConformanceTarget, subject: ConformanceSubject): CaseContext {
  const clusterName = target.clusterName ?? DEFAULT_CLUSTER;
  return {
    target,
    subject,
    provider: subject.provider,
    clusterName,
    signal: new AbortController().signal,
    service(variant = '') {
      const name = `conf-${caseId}${variant ? `-${variant}` : ''}`;
      const base = serviceView({ namespace: CONFORMANCE_NAMESPACE, name, uid: `uid-${name}` });
      return target.service ? target.service(base) : base;
    },
    backend(i, overrides = {}) {
      const base = backendAt(`10.77.${Math.floor(i / 250)}.${(i % 250) + 1}`, { podUid: `pod-uid-${i}`, podName: `pod-${i}`, nodeName: `node-${i % 3}` });
      const adjusted = target.backend ? target.backend(base) : base;
      return { ...adjusted, ...overrides };
    },
  };
}

/** `servicePort ip:port`, the address a registration is known by. */
export function addressOf(b: Pick<BackendStatus, 'servicePort' | 'ip' | 'port'>): string {
  return `${b.servicePort} ${b.ip}:${b.port}`;
}

/** True for a registration that takes new connections: weight above 0 and not draining. */
export function isServing(b: BackendStatus): boolean {
  return b.weight > 0 && b.health !== 'draining';
}

/** The provider's report for a Service, sorted, as comparable lines. */
export async function healthLines(provider: LoadBalancer, clusterName: string, service: ServiceSpecView, signal: AbortSignal): Promise<string[]> {
  const health = await provider.getBackendHealth(clusterName, service, signal);
  return health.map((b) => `${addressOf(b)} weight=${b.weight} ${b.health}`).sort();
}

/** Addresses of the serving registrations, sorted. */
export function servingAddresses(health: readonly BackendStatus[]): string[] {
  return health.filter(isServing).map(addressOf).sort();
}

/** Addresses of backends, sorted. */
export function addressesOf(backends: readonly Backend[]): string[] {
  return backends.map(addressOf).sort();
}

/** The vendor's write count, when the subject can tell. */
export function writesNow(subject: ConformanceSubject): number | undefined {
  return subject.vendorWrites?.();
}

/** A subject for a provider with nothing more to it: cleanup closes the provider. */
export function subjectOf(provider: LoadBalancer, hooks: Omit<ConformanceSubject, 'provider'> = {}): ConformanceSubject {
  return { cleanup: async () => provider.close?.(), ...hooks, provider };
}

/** For {@link ConformanceTarget.invalidService}: the valid Service with annotation `key` set to `value`. */
export function annotated(key: string, value: string): (valid: ServiceSpecView) => ServiceSpecView {
  return (valid) => ({ ...valid, annotations: { ...valid.annotations, [key]: value } });
}
