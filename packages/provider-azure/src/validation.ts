/**
 * Everything the azure provider checks about a Service before it calls Azure: its
 * annotations and what a Standard Load Balancer can express. Pure, so the core can run it
 * before any write and a bad Service gets nothing created, not even a finalizer.
 */
import { type ServiceProblem, type ServiceSpecView, unsupportedProtocolProblems } from '@sluice/core';
import { AZURE_NAME, type AzureAnnotationDefaults, type AzureServiceSettings, LOAD_BALANCER_NAME_ANNOTATION, parseAzureAnnotations } from './annotations.ts';

export const SUPPORTED_PROTOCOLS = ['TCP', 'UDP'] as const;

import { FLAG } from './options.ts';

const SHARED_LOAD_BALANCERS_FLAG = FLAG.sharedLoadBalancers;

/** What the provider's options decide about every Service: annotation defaults and the shared load balancers it may write into. */
export interface AzureServicePolicy extends AzureAnnotationDefaults {
  /**
   * The load balancers `sluice.dev/azure-load-balancer-name` may name, compared
   * case-insensitively (Azure resource names are).
   * @default none: the annotation is refused
   */
  readonly sharedLoadBalancers?: readonly string[];
}

/** The problems `validate(service)` reports: annotations, a shared load balancer not allowed, and port names Azure cannot use. */
export function validateService(service: ServiceSpecView, policy: AzureServicePolicy = {}): ServiceProblem[] {
  const { settings, problems } = parseAzureAnnotations(service, policy);
  return [...problems, ...sharedProblems(service, settings, policy.sharedLoadBalancers ?? []), ...portProblems(service)];
}

/**
 * The annotation lets a Service's owner make Sluice write into a load balancer that holds
 * other Services' parts, maybe another team's: only names an operator allowed are accepted.
 * Refused here, before any write, so the core emits a Warning and creates nothing.
 */
function sharedProblems(service: ServiceSpecView, settings: AzureServiceSettings, allowed: readonly string[]): ServiceProblem[] {
  const name = settings.sharedLoadBalancer;
  if (name === undefined || isAllowedShared(name, allowed)) return [];
  const what =
    allowed.length === 0
      ? `no shared load balancer is allowed; an operator allows names with ${SHARED_LOAD_BALANCERS_FLAG}`
      : `allowed ${allowed.length === 1 ? 'is' : 'are'} ${allowed.join(', ')} (set by ${SHARED_LOAD_BALANCERS_FLAG})`;
  return [
    {
      field: `metadata.annotations[${LOAD_BALANCER_NAME_ANNOTATION}]`,
      message: `Service ${service.namespace}/${service.name} annotation ${LOAD_BALANCER_NAME_ANNOTATION}="${name}" names a load balancer Sluice may not write into: ${what}.`,
    },
  ];
}

/** Whether `name` is on the operator's list (case-insensitive, as Azure resource names are). */
export function isAllowedShared(name: string, allowed: readonly string[]): boolean {
  const folded = name.toLowerCase();
  return allowed.some((a) => a.toLowerCase() === folded);
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
export function checkService(service: ServiceSpecView, policy: AzureServicePolicy = {}): { settings: AzureServiceSettings; problems: ServiceProblem[] } {
  const { settings, problems } = parseAzureAnnotations(service, policy);
  return { settings, problems: [...problems, ...sharedProblems(service, settings, policy.sharedLoadBalancers ?? []), ...portProblems(service), ...protocolProblems(service)] };
}
