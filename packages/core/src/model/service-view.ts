/**
 * Turns a Service object into the read-only view providers receive, validating what the
 * core relies on (ports and protocols). Pure.
 */

import type { AnnotationProblem } from './annotations.ts';
import type { ServiceLike } from './kube-types.ts';
import { type Protocol, type ServicePortView, type ServiceSpecView, SOURCE_RANGES_ANNOTATION, servicePortName } from './service.ts';

const PROTOCOLS: readonly Protocol[] = ['TCP', 'UDP', 'SCTP'];

export function toServiceView(service: ServiceLike): { view: ServiceSpecView; problems: AnnotationProblem[] } {
  const meta = service.metadata ?? {};
  const problems: AnnotationProblem[] = [];
  const ports: ServicePortView[] = [];
  (service.spec?.ports ?? []).forEach((p, i) => {
    const protocol = (p.protocol ?? 'TCP') as Protocol;
    if (!PROTOCOLS.includes(protocol)) {
      problems.push({
        field: `spec.ports[${i}].protocol`,
        message: `Service ${meta.namespace}/${meta.name} spec.ports[${i}].protocol="${p.protocol}" is invalid: allowed are TCP, UDP and SCTP.`,
      });
      return;
    }
    ports.push({ name: servicePortName(p), port: p.port, protocol, targetPort: p.targetPort ?? p.port });
  });
  const view: ServiceSpecView = {
    namespace: meta.namespace ?? '',
    name: meta.name ?? '',
    uid: meta.uid ?? '',
    ports,
    annotations: { ...(meta.annotations ?? {}) },
    ...(service.spec?.loadBalancerClass ? { loadBalancerClass: service.spec.loadBalancerClass } : {}),
    ...sourceRangesOf(service),
    ...(service.spec?.loadBalancerIP ? { loadBalancerIP: service.spec.loadBalancerIP } : {}),
    ...(service.spec?.sessionAffinity && service.spec.sessionAffinity !== 'None' ? { sessionAffinity: service.spec.sessionAffinity } : {}),
    ipFamilies: (service.spec?.ipFamilies?.length ? service.spec.ipFamilies : ['IPv4']).filter((f): f is 'IPv4' | 'IPv6' => f === 'IPv4' || f === 'IPv6'),
  };
  return { view, problems };
}

/** The source ranges as Kubernetes reads them: the spec field, else the annotation. */
function sourceRangesOf(service: ServiceLike): { sourceRanges?: string[] } {
  const spec = service.spec?.loadBalancerSourceRanges;
  if (spec && spec.length > 0) return { sourceRanges: spec.map((r) => r.trim()) };
  const annotation = service.metadata?.annotations?.[SOURCE_RANGES_ANNOTATION];
  if (annotation === undefined) return {};
  return { sourceRanges: annotation.split(',').map((r) => r.trim()).filter(Boolean) };
}

/**
 * One problem per Service port whose protocol the provider cannot carry. Used by the core
 * before any write and by providers that refuse the same input when called directly.
 */
export function unsupportedProtocolProblems(
  service: Pick<ServiceSpecView, 'namespace' | 'name' | 'ports'>,
  protocols: readonly Protocol[],
  providerName: string,
): AnnotationProblem[] {
  const problems: AnnotationProblem[] = [];
  service.ports.forEach((p, i) => {
    if (!protocols.includes(p.protocol)) {
      problems.push({
        field: `spec.ports[${i}].protocol`,
        message: `Service ${service.namespace}/${service.name} spec.ports[${i}].protocol="${p.protocol}" is not supported by the ${providerName} provider: allowed are ${protocols.join(', ')}.`,
      });
    }
  });
  return problems;
}
