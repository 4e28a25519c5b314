/**
 * The `sluice.dev/gcp-*` Service annotations, parsed and checked in one place without I/O.
 * Each bad value yields one sentence naming the Service, the annotation, the value and
 * what is allowed; an unknown `sluice.dev/gcp-*` key is a problem too (a typo would
 * otherwise be silently ignored).
 *
 * Limits are Compute Engine's: health check interval and timeout 1-300 s with the timeout
 * not above the interval, thresholds 1-10, connection draining 0-3600 s.
 *
 * `sluice.dev/gcp-proxy-protocol` sets the target TCP proxy's `proxyHeader`: `true` is
 * `PROXY_V1` (the proxy prepends a PROXY protocol v1 line carrying the client's address),
 * `false` is `NONE` (TargetTcpProxy.proxyHeader, Compute API v1:
 * https://cloud.google.com/compute/docs/reference/rest/v1/regionTargetTcpProxies; "Relays
 * original source IP address" in
 * https://cloud.google.com/load-balancing/docs/proxy-network-load-balancer).
 */
import { createAnnotationReader, type ServiceProblem, type ServiceSpecView } from '@sluice/core';

export const GCP_ANNOTATION_PREFIX = 'sluice.dev/gcp-';
export const INTERNAL_ANNOTATION = 'sluice.dev/gcp-internal';
export const HEALTHCHECK_INTERVAL_ANNOTATION = 'sluice.dev/gcp-healthcheck-interval';
export const HEALTHCHECK_TIMEOUT_ANNOTATION = 'sluice.dev/gcp-healthcheck-timeout';
export const HEALTHY_THRESHOLD_ANNOTATION = 'sluice.dev/gcp-healthcheck-healthy-threshold';
export const UNHEALTHY_THRESHOLD_ANNOTATION = 'sluice.dev/gcp-healthcheck-unhealthy-threshold';
export const DRAINING_TIMEOUT_ANNOTATION = 'sluice.dev/gcp-draining-timeout';
export const MAX_CONNECTIONS_ANNOTATION = 'sluice.dev/gcp-max-connections-per-endpoint';
export const PROXY_PROTOCOL_ANNOTATION = 'sluice.dev/gcp-proxy-protocol';
/** A reserved regional address (by name) every forwarding rule of the Service uses, instead of one Sluice reserves. */
export const ADDRESS_ANNOTATION = 'sluice.dev/gcp-address';

/** Every annotation the gcp provider reads. */
export const GCP_ANNOTATIONS: readonly string[] = [
  INTERNAL_ANNOTATION,
  HEALTHCHECK_INTERVAL_ANNOTATION,
  HEALTHCHECK_TIMEOUT_ANNOTATION,
  HEALTHY_THRESHOLD_ANNOTATION,
  UNHEALTHY_THRESHOLD_ANNOTATION,
  DRAINING_TIMEOUT_ANNOTATION,
  MAX_CONNECTIONS_ANNOTATION,
  PROXY_PROTOCOL_ANNOTATION,
  ADDRESS_ANNOTATION,
];

export const DEFAULT_HEALTHCHECK_INTERVAL = 5;
export const DEFAULT_HEALTHCHECK_TIMEOUT = 5;
export const DEFAULT_HEALTHY_THRESHOLD = 2;
export const DEFAULT_UNHEALTHY_THRESHOLD = 2;
export const DEFAULT_DRAINING_TIMEOUT = 300;
export const DEFAULT_MAX_CONNECTIONS = 1000;

/** The target TCP proxy's `proxyHeader`: `PROXY_V1` prepends a PROXY protocol v1 header. */
export type ProxyHeader = 'NONE' | 'PROXY_V1';

export interface GcpServiceSettings {
  /** `INTERNAL_MANAGED` when true, else `EXTERNAL_MANAGED`. */
  readonly internal: boolean;
  readonly checkIntervalSec: number;
  readonly timeoutSec: number;
  readonly healthyThreshold: number;
  readonly unhealthyThreshold: number;
  readonly drainingTimeoutSec: number;
  readonly maxConnectionsPerEndpoint: number;
  /** `PROXY_V1` when `sluice.dev/gcp-proxy-protocol` is `true`. @default 'NONE' */
  readonly proxyHeader: ProxyHeader;
  /** The name of an existing regional address (`sluice.dev/gcp-address`); undefined: Sluice reserves one. */
  readonly address?: string;
}

/** What the provider's options set for a Service whose annotations say nothing. */
export interface GcpAnnotationDefaults {
  /** @default {@link DEFAULT_HEALTHCHECK_INTERVAL} */
  readonly healthCheckIntervalSeconds?: number;
  /** @default {@link DEFAULT_DRAINING_TIMEOUT} */
  readonly drainingTimeoutSeconds?: number;
}

/** Reads the Service's gcp annotations; problems are returned, never thrown. */
export function parseGcpAnnotations(service: ServiceSpecView, defaults: GcpAnnotationDefaults = {}): { settings: GcpServiceSettings; problems: ServiceProblem[] } {
  const reader = createAnnotationReader(service);
  const { problems, raw, invalid, integer } = reader;
  reader.rejectUnknown(GCP_ANNOTATION_PREFIX, GCP_ANNOTATIONS, 'gcp');

  const flag = (key: string): boolean => {
    const value = raw(key);
    if (value === undefined || value === 'false') return false;
    if (value === 'true') return true;
    invalid(key, 'allowed are true, false');
    return false;
  };
  const internal = flag(INTERNAL_ANNOTATION);
  const proxyHeader: ProxyHeader = flag(PROXY_PROTOCOL_ANNOTATION) ? 'PROXY_V1' : 'NONE';
  const checkIntervalSec = integer(HEALTHCHECK_INTERVAL_ANNOTATION, 1, 300, defaults.healthCheckIntervalSeconds ?? DEFAULT_HEALTHCHECK_INTERVAL, ' of seconds');
  let timeoutSec = integer(HEALTHCHECK_TIMEOUT_ANNOTATION, 1, 300, Math.min(DEFAULT_HEALTHCHECK_TIMEOUT, checkIntervalSec), ' of seconds');
  if (timeoutSec > checkIntervalSec) {
    invalid(HEALTHCHECK_TIMEOUT_ANNOTATION, `allowed is a whole number of seconds from 1 to the health check interval (${checkIntervalSec})`);
    timeoutSec = checkIntervalSec;
  }
  const healthyThreshold = integer(HEALTHY_THRESHOLD_ANNOTATION, 1, 10, DEFAULT_HEALTHY_THRESHOLD);
  const unhealthyThreshold = integer(UNHEALTHY_THRESHOLD_ANNOTATION, 1, 10, DEFAULT_UNHEALTHY_THRESHOLD);
  const drainingTimeoutSec = integer(DRAINING_TIMEOUT_ANNOTATION, 0, 3600, defaults.drainingTimeoutSeconds ?? DEFAULT_DRAINING_TIMEOUT, ' of seconds');
  const maxConnectionsPerEndpoint = integer(MAX_CONNECTIONS_ANNOTATION, 1, 1_000_000, DEFAULT_MAX_CONNECTIONS);

  const address = raw(ADDRESS_ANNOTATION);
  if (address !== undefined && !/^[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?$/.test(address)) {
    invalid(ADDRESS_ANNOTATION, 'allowed is the name of a reserved address in the load balancer region (lower-case letters, digits and hyphens, at most 63)');
  }
  const settings = { internal, checkIntervalSec, timeoutSec, healthyThreshold, unhealthyThreshold, drainingTimeoutSec, maxConnectionsPerEndpoint, proxyHeader };
  return { settings: address === undefined ? settings : { ...settings, address }, problems };
}
