/**
 * Everything the gcp provider checks about a Service before it calls Google: its
 * annotations and what a regional proxy Network Load Balancer can express. Pure, so the
 * core can run it before any write.
 *
 * One backend service holds every endpoint of the Service, and each Service port's proxy
 * sends to that backend service, so every Service port must use the same target port
 * (otherwise port 80's traffic would also reach port 443's endpoints).
 *
 * Proxy Network Load Balancers "are intended for TCP traffic only"
 * (https://cloud.google.com/load-balancing/docs/proxy-network-load-balancer); UDP needs a
 * passthrough Network Load Balancer, which this provider does not build, so a UDP port gets
 * its own sentence saying so rather than the generic one other protocols (SCTP) get.
 */
import type { ServiceProblem, ServiceSpecView } from '@sluice/core';
import { type GcpAnnotationDefaults, type GcpServiceSettings, INTERNAL_ANNOTATION, parseGcpAnnotations } from './annotations.ts';

export const SUPPORTED_PROTOCOLS = ['TCP'] as const;

/** What `validate(service)` reports. `hasSubnetwork` says whether the provider was given one. */
export function validateService(service: ServiceSpecView, hasSubnetwork: boolean, defaults: GcpAnnotationDefaults = {}): ServiceProblem[] {
  return checkService(service, hasSubnetwork, defaults).problems;
}

/** Settings and every problem, for the provider's own use before any write. */
export function checkService(
  service: ServiceSpecView,
  hasSubnetwork: boolean,
  defaults: GcpAnnotationDefaults = {},
): { settings: GcpServiceSettings; problems: ServiceProblem[] } {
  const { settings, problems } = parseGcpAnnotations(service, defaults);
  const id = `Service ${service.namespace}/${service.name}`;
  if (settings.internal && !hasSubnetwork) {
    problems.push({
      field: `metadata.annotations[${INTERNAL_ANNOTATION}]`,
      message: `${id} annotation ${INTERNAL_ANNOTATION}="true" needs a subnetwork: pass --gcp-subnetwork or set the GCP_SUBNETWORK environment variable.`,
    });
  }
  service.ports.forEach((p, i) => {
    if (p.protocol === 'UDP') {
      problems.push({
        field: `spec.ports[${i}].protocol`,
        message: `${id} port ${p.port} (spec.ports[${i}]) has protocol UDP, but the gcp provider builds a regional proxy Network Load Balancer, which carries TCP only (UDP needs a passthrough Network Load Balancer, which Sluice does not build).`,
      });
    } else if (!(SUPPORTED_PROTOCOLS as readonly string[]).includes(p.protocol)) {
      problems.push({
        field: `spec.ports[${i}].protocol`,
        message: `${id} spec.ports[${i}].protocol="${p.protocol}" (port ${p.port}) is not supported by the gcp provider: the proxy Network Load Balancer allows TCP only.`,
      });
    }
  });
  const first = service.ports[0];
  service.ports.forEach((p, i) => {
    if (i > 0 && first && String(p.targetPort) !== String(first.targetPort)) {
      problems.push({
        field: `spec.ports[${i}].targetPort`,
        message: `${id} spec.ports[${i}].targetPort="${p.targetPort}" differs from spec.ports[0].targetPort="${first.targetPort}": the gcp provider sends every Service port to one backend service, so all ports must share one target port.`,
      });
    }
  });
  return { settings, problems };
}
