/**
 * @sluice/provider-azure: Sluice on Azure Standard Load Balancer with IP-based backend
 * pools. One load balancer per Service (or a share of a named one), one pool, probe and rule per Service port, pod IPs
 * as backend addresses, draining natively with adminState `Down`.
 */
import { AzureLoadBalancer } from './azure-load-balancer.ts';
import type { AzureProviderOptions } from './options.ts';

export {
  AZURE_ANNOTATION_PREFIX,
  AZURE_ANNOTATIONS,
  DEFAULT_IDLE_TIMEOUT,
  DEFAULT_PROBE_INTERVAL,
  DEFAULT_PROBE_THRESHOLD,
  IDLE_TIMEOUT_ANNOTATION,
  INTERNAL_ANNOTATION,
  INTERNAL_SUBNET_ID_ANNOTATION,
  LOAD_BALANCER_NAME_ANNOTATION,
  PROBE_INTERVAL_ANNOTATION,
  PROBE_THRESHOLD_ANNOTATION,
  PUBLIC_IP_NAME_ANNOTATION,
} from './annotations.ts';
export { AzureLoadBalancer, MAX_BATCH } from './azure-load-balancer.ts';
export { BACKEND_ADDRESS_PREFIX, backendAddressName, FRONTEND_NAME, isSluiceAddress, loadBalancerName, MAX_LOAD_BALANCER_NAME_LENGTH, ownedPublicIpName, sharedServiceId } from './names.ts';
export { type AzureProviderOptions, DEFAULT_ENDPOINT, DEFAULT_MAX_RETRIES, ENV, FLAG, type ResolvedAzureProviderOptions } from './options.ts';
export { DRAINING_ADMIN_STATE, SERVING_ADMIN_STATE } from './pool-spec.ts';
export { MANAGED_BY, TAG_CLUSTER, TAG_MANAGED_BY, TAG_SERVICE_NAME, TAG_SERVICE_NAMESPACE, TAG_SERVICE_UID, TAG_SHARED, TAG_SHARED_SERVICE_PREFIX } from './tags.ts';

/**
 * Creates the azure provider. Options not given fall back to AZURE_SUBSCRIPTION_ID,
 * AZURE_RESOURCE_GROUP, AZURE_LOCATION, AZURE_VNET_ID and AZURE_ARM_ENDPOINT; a missing one
 * is a TerminalError naming the option and the variable. Builds its client; sends nothing
 * until the first call.
 */
export function createAzureProvider(options: AzureProviderOptions): AzureLoadBalancer {
  return new AzureLoadBalancer(options);
}

/** The package version, for messages. */
export const VERSION = '0.1.0';
