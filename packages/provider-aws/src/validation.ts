/**
 * Everything the aws provider checks about a Service before it calls AWS: its
 * annotations and what an NLB can express. Pure, so the core can run it before any write
 * and a bad Service gets nothing created, not even a finalizer.
 */
import { type ServiceProblem, type ServiceSpecView, unsupportedProtocolProblems } from '@sluice/core';
import { type AwsAnnotationDefaults, type AwsServiceSettings, parseAwsAnnotations } from './annotations.ts';

export const SUPPORTED_PROTOCOLS = ['TCP', 'UDP'] as const;

/** The problems `validate(service)` reports: annotations, and ports an NLB cannot listen on. */
export function validateService(service: ServiceSpecView, defaults: AwsAnnotationDefaults = {}): ServiceProblem[] {
  return [...parseAwsAnnotations(service, defaults).problems, ...portProblems(service)];
}

/**
 * An NLB has one listener per port number: a TCP and a UDP Service port on one number
 * would need a TCP_UDP listener and target group, which this provider does not create.
 */
function portProblems(service: ServiceSpecView): ServiceProblem[] {
  const problems: ServiceProblem[] = [];
  const seen = new Map<number, string>();
  service.ports.forEach((p, i) => {
    const first = seen.get(p.port);
    if (first !== undefined) {
      problems.push({
        field: `spec.ports[${i}].port`,
        message: `Service ${service.namespace}/${service.name} spec.ports[${i}].port=${p.port} is invalid: allowed are port numbers distinct from every other port of the Service (port ${first} already uses ${p.port}), since an NLB has one listener per port.`,
      });
    } else {
      seen.set(p.port, p.name);
    }
  });
  return problems;
}

/** What ensureLoadBalancer refuses on top of validate: protocols the core should have filtered. */
export function protocolProblems(service: ServiceSpecView): ServiceProblem[] {
  return unsupportedProtocolProblems(service, SUPPORTED_PROTOCOLS, 'aws');
}

/** Settings and every problem, for the provider's own use before any write. */
export function checkService(service: ServiceSpecView, defaults: AwsAnnotationDefaults = {}): { settings: AwsServiceSettings; problems: ServiceProblem[] } {
  const { settings, problems } = parseAwsAnnotations(service, defaults);
  return { settings, problems: [...problems, ...portProblems(service), ...protocolProblems(service)] };
}
