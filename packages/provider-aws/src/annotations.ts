/**
 * The `sluice.dev/aws-*` Service annotations, parsed and checked in one place without I/O.
 * Each bad value yields one sentence naming the Service, the annotation, the value and
 * what is allowed; an unknown `sluice.dev/aws-*` key is a problem too (a typo would
 * otherwise be silently ignored).
 *
 * Health check limits are NLB's own (ELBv2 API reference, CreateTargetGroup): interval
 * 5-300 s, timeout 2-120 s, thresholds 2-10, port `traffic-port`, path `/`. The defaults are
 * the ones aws-load-balancer-controller documents for NLB IP targets
 * (docs/guide/service/annotations.md: interval 10 s, healthy and unhealthy thresholds 3)
 * rather than NLB's own (30 s, 5, 2): a pod's readiness gate waits at least healthy
 * threshold x interval, 30 s instead of 150 s. The timeout stays NLB's default for the
 * protocol (HTTP 6 s, TCP and HTTPS 10 s), lowered below the interval.
 *
 * Target group attributes and their defaults are NLB's (Elastic Load Balancing user guide,
 * "Edit target group attributes for your Network Load Balancer"):
 * `deregistration_delay.timeout_seconds` 0-3600 (300),
 * `deregistration_delay.connection_termination.enabled` (false), `proxy_protocol_v2.enabled`
 * (false), `preserve_client_ip.enabled` (false for TCP/TLS IP target groups; always true,
 * and not changeable, for UDP). The load balancer attribute
 * `load_balancing.cross_zone.enabled` is false on a new NLB (user guide, "Cross-zone load
 * balancing" under "Edit attributes for your Network Load Balancer").
 */
import { createAnnotationReader, type ServiceProblem, type ServiceSpecView } from '@sluice/core';

export const AWS_ANNOTATION_PREFIX = 'sluice.dev/aws-';
export const SCHEME_ANNOTATION = 'sluice.dev/aws-scheme';
export const SUBNETS_ANNOTATION = 'sluice.dev/aws-subnets';
export const HEALTHCHECK_PROTOCOL_ANNOTATION = 'sluice.dev/aws-healthcheck-protocol';
export const HEALTHCHECK_PORT_ANNOTATION = 'sluice.dev/aws-healthcheck-port';
export const HEALTHCHECK_PATH_ANNOTATION = 'sluice.dev/aws-healthcheck-path';
export const HEALTHCHECK_INTERVAL_ANNOTATION = 'sluice.dev/aws-healthcheck-interval';
export const HEALTHCHECK_TIMEOUT_ANNOTATION = 'sluice.dev/aws-healthcheck-timeout';
export const HEALTHCHECK_HEALTHY_THRESHOLD_ANNOTATION = 'sluice.dev/aws-healthcheck-healthy-threshold';
export const HEALTHCHECK_UNHEALTHY_THRESHOLD_ANNOTATION = 'sluice.dev/aws-healthcheck-unhealthy-threshold';
export const DEREGISTRATION_DELAY_ANNOTATION = 'sluice.dev/aws-deregistration-delay';
export const CONNECTION_TERMINATION_ANNOTATION = 'sluice.dev/aws-connection-termination';
export const PROXY_PROTOCOL_V2_ANNOTATION = 'sluice.dev/aws-proxy-protocol-v2';
export const PRESERVE_CLIENT_IP_ANNOTATION = 'sluice.dev/aws-preserve-client-ip';
export const CROSS_ZONE_ANNOTATION = 'sluice.dev/aws-cross-zone';
export const TLS_CERTIFICATE_ARN_ANNOTATION = 'sluice.dev/aws-tls-certificate-arn';
export const TLS_PORTS_ANNOTATION = 'sluice.dev/aws-tls-ports';

/** Every annotation the aws provider reads. */
export const AWS_ANNOTATIONS: readonly string[] = [
  SCHEME_ANNOTATION,
  SUBNETS_ANNOTATION,
  HEALTHCHECK_PROTOCOL_ANNOTATION,
  HEALTHCHECK_PORT_ANNOTATION,
  HEALTHCHECK_PATH_ANNOTATION,
  HEALTHCHECK_INTERVAL_ANNOTATION,
  HEALTHCHECK_TIMEOUT_ANNOTATION,
  HEALTHCHECK_HEALTHY_THRESHOLD_ANNOTATION,
  HEALTHCHECK_UNHEALTHY_THRESHOLD_ANNOTATION,
  DEREGISTRATION_DELAY_ANNOTATION,
  CONNECTION_TERMINATION_ANNOTATION,
  PROXY_PROTOCOL_V2_ANNOTATION,
  PRESERVE_CLIENT_IP_ANNOTATION,
  CROSS_ZONE_ANNOTATION,
  TLS_CERTIFICATE_ARN_ANNOTATION,
  TLS_PORTS_ANNOTATION,
];

export type Scheme = 'internal' | 'internet-facing';
export type HealthCheckProtocol = 'TCP' | 'HTTP' | 'HTTPS';

export interface HealthCheckSettings {
  readonly protocol: HealthCheckProtocol;
  /** `traffic-port` or a port number as a string, as ELBv2 has it. */
  readonly port: string;
  /** Only for HTTP and HTTPS. */
  readonly path: string | undefined;
  readonly intervalSeconds: number;
  readonly timeoutSeconds: number;
  readonly healthyThreshold: number;
  readonly unhealthyThreshold: number;
}

export interface TlsSettings {
  readonly certificateArn: string;
  /** Names of the Service ports that get TLS listeners. */
  readonly portNames: ReadonlySet<string>;
}

export interface AwsServiceSettings {
  readonly scheme: Scheme;
  /** Subnet IDs or Name tags as annotated; undefined means discover by tags. */
  readonly subnets: readonly string[] | undefined;
  readonly healthCheck: HealthCheckSettings;
  readonly deregistrationDelaySeconds: number;
  /** `deregistration_delay.connection_termination.enabled`: close open connections when the delay ends. */
  readonly connectionTermination: boolean;
  /** `proxy_protocol_v2.enabled`: a PROXY v2 header on every connection to a pod. */
  readonly proxyProtocolV2: boolean;
  /**
   * `preserve_client_ip.enabled` of the TCP target groups; undefined leaves NLB's default
   * (off for TCP IP targets). UDP groups always preserve it and are never written.
   */
  readonly preserveClientIp: boolean | undefined;
  /** The load balancer's `load_balancing.cross_zone.enabled`. */
  readonly crossZone: boolean;
  readonly tls: TlsSettings | undefined;
}

export const DEFAULT_SCHEME: Scheme = 'internal';
export const DEFAULT_HEALTHCHECK_INTERVAL = 10;
export const DEFAULT_HEALTHY_THRESHOLD = 3;
export const DEFAULT_UNHEALTHY_THRESHOLD = 3;
export const DEFAULT_DEREGISTRATION_DELAY = 300;

/** NLB's default health check timeout for a protocol. */
export function defaultTimeoutSeconds(protocol: HealthCheckProtocol): number {
  return protocol === 'HTTP' ? 6 : 10;
}

const CERTIFICATE_ARN = /^arn:aws(-[a-z]+)*:(acm:[a-z0-9-]+:\d{12}:certificate\/[A-Za-z0-9-]+|iam::\d{12}:server-certificate\/\S+)$/;

/** What the provider's options set for a Service whose annotations say nothing. */
export interface AwsAnnotationDefaults {
  /** @default {@link DEFAULT_HEALTHCHECK_INTERVAL} */
  readonly healthCheckIntervalSeconds?: number;
}

/** Reads the Service's aws annotations; problems are returned, never thrown. */
export function parseAwsAnnotations(service: ServiceSpecView, defaults: AwsAnnotationDefaults = {}): { settings: AwsServiceSettings; problems: ServiceProblem[] } {
  const reader = createAnnotationReader(service);
  const { problems, invalid, raw, integer } = reader;
  reader.rejectUnknown(AWS_ANNOTATION_PREFIX, AWS_ANNOTATIONS, 'aws');

  let scheme: Scheme = DEFAULT_SCHEME;
  const rawScheme = raw(SCHEME_ANNOTATION);
  if (rawScheme !== undefined) {
    if (rawScheme === 'internal' || rawScheme === 'internet-facing') scheme = rawScheme;
    else invalid(SCHEME_ANNOTATION, 'allowed are internal, internet-facing');
  }

  let subnets: string[] | undefined;
  const rawSubnets = raw(SUBNETS_ANNOTATION);
  if (rawSubnets !== undefined) {
    const items = rawSubnets.split(',').map((s) => s.trim());
    if (items.some((s) => s === '' || s.length > 255)) {
      invalid(SUBNETS_ANNOTATION, 'allowed is a comma-separated list of subnet IDs (subnet-...) or subnet Name tags, with no empty entry');
    } else {
      subnets = [...new Set(items)];
    }
  }

  let protocol: HealthCheckProtocol = 'TCP';
  const rawProtocol = raw(HEALTHCHECK_PROTOCOL_ANNOTATION);
  if (rawProtocol !== undefined) {
    if (rawProtocol === 'TCP' || rawProtocol === 'HTTP' || rawProtocol === 'HTTPS') protocol = rawProtocol;
    else invalid(HEALTHCHECK_PROTOCOL_ANNOTATION, 'allowed are TCP, HTTP, HTTPS');
  }

  let port = 'traffic-port';
  const rawPort = raw(HEALTHCHECK_PORT_ANNOTATION);
  if (rawPort !== undefined) {
    const n = /^\d+$/.test(rawPort) ? Number.parseInt(rawPort, 10) : Number.NaN;
    if (rawPort === 'traffic-port') port = rawPort;
    else if (n >= 1 && n <= 65535) port = String(n);
    else invalid(HEALTHCHECK_PORT_ANNOTATION, 'allowed is traffic-port or a whole number from 1 to 65535');
  }

  let path: string | undefined = protocol === 'TCP' ? undefined : '/';
  const rawPath = raw(HEALTHCHECK_PATH_ANNOTATION);
  if (rawPath !== undefined) {
    if (protocol === 'TCP') {
      invalid(HEALTHCHECK_PATH_ANNOTATION, `allowed only together with ${HEALTHCHECK_PROTOCOL_ANNOTATION} HTTP or HTTPS (a TCP health check has no path)`);
    } else if (!rawPath.startsWith('/') || rawPath.length > 1024 || /\s/.test(rawPath)) {
      invalid(HEALTHCHECK_PATH_ANNOTATION, 'allowed is a path starting with / of at most 1024 characters, without spaces');
    } else {
      path = rawPath;
    }
  }

  const intervalSeconds = integer(HEALTHCHECK_INTERVAL_ANNOTATION, 5, 300, defaults.healthCheckIntervalSeconds ?? DEFAULT_HEALTHCHECK_INTERVAL, ' of seconds');
  // Unannotated, the timeout is NLB's default for the protocol, lowered to fit below the interval.
  let timeoutSeconds = Math.min(defaultTimeoutSeconds(protocol), intervalSeconds - 1);
  if (raw(HEALTHCHECK_TIMEOUT_ANNOTATION) !== undefined) {
    const t = integer(HEALTHCHECK_TIMEOUT_ANNOTATION, 2, 120, Number.NaN, ' of seconds');
    if (!Number.isNaN(t) && t >= intervalSeconds) {
      invalid(HEALTHCHECK_TIMEOUT_ANNOTATION, `allowed is a whole number of seconds from 2 to 120 and less than the health check interval (${intervalSeconds})`);
    } else if (!Number.isNaN(t)) {
      timeoutSeconds = t;
    }
  }
  const healthyThreshold = integer(HEALTHCHECK_HEALTHY_THRESHOLD_ANNOTATION, 2, 10, DEFAULT_HEALTHY_THRESHOLD);
  const unhealthyThreshold = integer(HEALTHCHECK_UNHEALTHY_THRESHOLD_ANNOTATION, 2, 10, DEFAULT_UNHEALTHY_THRESHOLD);
  const deregistrationDelaySeconds = integer(DEREGISTRATION_DELAY_ANNOTATION, 0, 3600, DEFAULT_DEREGISTRATION_DELAY, ' of seconds');
  const flag = (key: string): boolean | undefined => {
    const value = raw(key);
    if (value === undefined || value === 'true' || value === 'false') return value === undefined ? undefined : value === 'true';
    invalid(key, 'allowed are true, false');
    return undefined;
  };
  const connectionTermination = flag(CONNECTION_TERMINATION_ANNOTATION) ?? false;
  const proxyProtocolV2 = flag(PROXY_PROTOCOL_V2_ANNOTATION) ?? false;
  const preserveClientIp = flag(PRESERVE_CLIENT_IP_ANNOTATION);
  if (preserveClientIp !== undefined && !service.ports.some((p) => p.protocol === 'TCP')) {
    // NLB keeps client IPs on UDP target groups and does not let them be changed.
    invalid(PRESERVE_CLIENT_IP_ANNOTATION, 'allowed only on a Service with at least one TCP port, since UDP target groups always preserve the client IP');
  }
  const crossZone = flag(CROSS_ZONE_ANNOTATION) ?? false;

  const tls = parseTls(service, raw(TLS_CERTIFICATE_ARN_ANNOTATION), raw(TLS_PORTS_ANNOTATION), invalid);

  return {
    settings: {
      scheme,
      subnets,
      healthCheck: { protocol, port, path, intervalSeconds, timeoutSeconds, healthyThreshold, unhealthyThreshold },
      deregistrationDelaySeconds,
      connectionTermination,
      proxyProtocolV2,
      preserveClientIp,
      crossZone,
      tls,
    },
    problems,
  };
}

function parseTls(
  service: ServiceSpecView,
  certificateArn: string | undefined,
  rawPorts: string | undefined,
  invalid: (key: string, allowed: string) => void,
): TlsSettings | undefined {
  const tcpPorts = service.ports.filter((p) => p.protocol === 'TCP');
  const tcpList = tcpPorts.length > 0 ? tcpPorts.map((p) => p.name).join(', ') : 'none';
  let certificateOk = false;
  if (certificateArn !== undefined) {
    if (!CERTIFICATE_ARN.test(certificateArn)) {
      invalid(
        TLS_CERTIFICATE_ARN_ANNOTATION,
        'allowed is an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<id>) or an IAM server certificate ARN (arn:aws:iam::<account>:server-certificate/<name>)',
      );
    } else if (tcpPorts.length === 0) {
      invalid(TLS_CERTIFICATE_ARN_ANNOTATION, 'allowed only on a Service with at least one TCP port, since TLS listeners carry TCP');
    } else {
      certificateOk = true;
    }
  }
  if (rawPorts === undefined) {
    return certificateOk && certificateArn ? { certificateArn, portNames: new Set(tcpPorts.map((p) => p.name)) } : undefined;
  }
  if (certificateArn === undefined) {
    invalid(TLS_PORTS_ANNOTATION, `allowed only together with ${TLS_CERTIFICATE_ARN_ANNOTATION}, which names the certificate the TLS listeners present`);
    return undefined;
  }
  const portNames = new Set<string>();
  for (const item of rawPorts.split(',').map((s) => s.trim())) {
    const port = service.ports.find((p) => p.name === item || String(p.port) === item);
    const why =
      item === ''
        ? 'an entry is empty'
        : port === undefined
          ? `${item} is not a port of the Service`
          : port.protocol !== 'TCP'
            ? `${item} is ${port.protocol}, and NLB TLS listeners carry TCP only`
            : undefined;
    if (why !== undefined) {
      invalid(TLS_PORTS_ANNOTATION, `allowed are names or numbers of the Service's TCP ports (${tcpList}); ${why}`);
      return undefined;
    }
    portNames.add(port!.name);
  }
  return certificateOk ? { certificateArn, portNames } : undefined;
}
