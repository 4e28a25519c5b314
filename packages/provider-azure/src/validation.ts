/**
 * Everything the azure provider checks about a Service before it calls Azure: its
 * annotations and what a Standard Load Balancer can express. Pure, so the core can run it
 * before any write and a bad Service gets nothing created, not even a finalizer.
 */
import { type ServiceProblem, type ServiceSpecView, unsupportedProtocolProblems } from '@sluice/core';
import { AZURE_NAME, type AzureAnnotationDefaults, type AzureServiceSettings, parseAzureAnnotations } from './annotations.ts';

export const SUPPORTED_PROTOCOLS = ['TCP', 'UDP'] as const;

/** The problems `validate(service)` reports: annotations, and port names Azure cannot use. */
export function validateService(service: ServiceSpecView, defaults: AzureAnnotationDefaults = {}): ServiceProblem[] {
  return [...parseAzureAnnotations(service, defaults).problems, ...portProblems(service)];
}

/**
 * Each Service port names a backend pool, a probe and a rule, so its name must be a valid
 * Azure child resource name. Kubernetes port names always are; this guards other callers.
 */
function portProblems(service: ServiceSpecView): ServiceProblem[] {
  const problems: ServiceProblem[] = [];
  service.ports.forEach((p, i) => {
    if (!AZURE_NAME.test(p.name)) {
      problems.push({
        field: `spec.ports[${i}].name`,
        message: `Service ${service.namespace}/${service.name} spec.ports[${i}].name="${p.name}" is invalid: allowed is a name of 1 to 80 letters, digits, underscores, periods and hyphens, starting with a letter or digit and ending with a letter, digit or underscore, since it names the port's Azure backend pool, probe and rule.`,
      });
    }
  });
  return problems;
}

/** What ensureLoadBalancer refuses on top of validate: protocols the core should have filtered. */
export function protocolProblems(service: ServiceSpecView): ServiceProblem[] {
  return unsupportedProtocolProblems(service, SUPPORTED_PROTOCOLS, 'azure');
}

/** Settings and every problem, for the provider's own use before any write. */
export function checkService(service: ServiceSpecView, defaults: AzureAnnotationDefaults = {}): { settings: AzureServiceSettings; problems: ServiceProblem[] } {
  const { settings, problems } = parseAzureAnnotations(service, defaults);
  return { settings, problems: [...problems, ...portProblems(service), ...protocolProblems(service)] };
}
