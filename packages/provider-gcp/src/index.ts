/**
 * @sluice/provider-gcp: Sluice on a regional proxy Network Load Balancer whose backends are
 * zonal GCE_VM_IP_PORT NEGs of pod IPs. One backend service and health check per Service,
 * one target TCP proxy and forwarding rule per Service port, draining by NEG detach under
 * the backend service's connection draining.
 */
import { GcpLoadBalancer } from './gcp-load-balancer.ts';
import type { GcpProviderOptions } from './options.ts';

export {
  DEFAULT_DRAINING_TIMEOUT,
  DEFAULT_HEALTHCHECK_INTERVAL,
  DEFAULT_HEALTHCHECK_TIMEOUT,
  DEFAULT_HEALTHY_THRESHOLD,
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_UNHEALTHY_THRESHOLD,
  DRAINING_TIMEOUT_ANNOTATION,
  GCP_ANNOTATION_PREFIX,
  GCP_ANNOTATIONS,
  HEALTHCHECK_INTERVAL_ANNOTATION,
  HEALTHCHECK_TIMEOUT_ANNOTATION,
  HEALTHY_THRESHOLD_ANNOTATION,
  INTERNAL_ANNOTATION,
  MAX_CONNECTIONS_ANNOTATION,
  UNHEALTHY_THRESHOLD_ANNOTATION,
} from './annotations.ts';
export type { GcpClients } from './gcp-api.ts';
export { GcpLoadBalancer, MAX_BATCH } from './gcp-load-balancer.ts';
export { NAME_PREFIX, ResourceNames, serviceHash, zoneSuffix } from './names.ts';
export {
  DEFAULT_API_ENDPOINT,
  DEFAULT_OPERATION_TIMEOUT_MS,
  ENV,
  FLAG,
  type GcpProviderOptions,
  type ResolvedGcpProviderOptions,
} from './options.ts';
export { LABEL_MANAGED_BY, LABEL_SERVICE_HASH, MANAGED_BY, ownerDescription, parseOwner } from './ownership.ts';

/**
 * Creates the gcp provider. Options not given fall back to GOOGLE_CLOUD_PROJECT, GCP_REGION,
 * GCP_NETWORK, GCP_SUBNETWORK and GCP_COMPUTE_ENDPOINT; a missing required one is a
 * TerminalError naming the flag and the variable. Builds its clients; sends nothing until
 * the first call. Credentials: Application Default Credentials.
 */
export function createGcpProvider(options: GcpProviderOptions): GcpLoadBalancer {
  return new GcpLoadBalancer(options);
}

/** The package version, for messages. */
export const VERSION = '0.1.0';
