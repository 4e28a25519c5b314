/**
 * @sluice/provider-aws: Sluice on ELBv2 Network Load Balancers with IP targets. One NLB per
 * Service, one `ip` target group and listener per Service port, pod IPs registered as
 * targets, draining by deregistration with the target group's deregistration delay.
 */
import { AwsLoadBalancer } from './aws-load-balancer.ts';
import type { AwsProviderOptions } from './options.ts';

export {
  AWS_ANNOTATION_PREFIX,
  AWS_ANNOTATIONS,
  CONNECTION_TERMINATION_ANNOTATION,
  CROSS_ZONE_ANNOTATION,
  DEREGISTRATION_DELAY_ANNOTATION,
  HEALTHCHECK_HEALTHY_THRESHOLD_ANNOTATION,
  HEALTHCHECK_INTERVAL_ANNOTATION,
  HEALTHCHECK_PATH_ANNOTATION,
  HEALTHCHECK_PORT_ANNOTATION,
  HEALTHCHECK_PROTOCOL_ANNOTATION,
  HEALTHCHECK_TIMEOUT_ANNOTATION,
  HEALTHCHECK_UNHEALTHY_THRESHOLD_ANNOTATION,
  PRESERVE_CLIENT_IP_ANNOTATION,
  PROXY_PROTOCOL_V2_ANNOTATION,
  SCHEME_ANNOTATION,
  SUBNETS_ANNOTATION,
  TLS_CERTIFICATE_ARN_ANNOTATION,
  TLS_PORTS_ANNOTATION,
} from './annotations.ts';
export { AwsLoadBalancer } from './aws-load-balancer.ts';
export { loadBalancerName, MAX_NAME_LENGTH, targetGroupName } from './names.ts';
export type { AwsProviderOptions, RateLimits } from './options.ts';
export {
  MANAGED_BY,
  TAG_CLUSTER,
  TAG_MANAGED_BY,
  TAG_SERVICE_NAME,
  TAG_SERVICE_NAMESPACE,
  TAG_SERVICE_PORT,
  TAG_SERVICE_UID,
} from './tags.ts';

/** Creates the aws provider. Builds its SDK clients; sends nothing until the first call. */
export function createAwsProvider(options: AwsProviderOptions): AwsLoadBalancer {
  return new AwsLoadBalancer(options);
}

/** The package version, for messages. */
export const VERSION = '0.1.0';
