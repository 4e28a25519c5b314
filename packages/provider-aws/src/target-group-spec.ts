/**
 * What each Service port's target group and listener should look like, and what differs
 * from what AWS has. Pure, so "nothing differs, so no write" is decided in one place.
 */
import type { TargetGroupAttribute as Attribute, ModifyTargetGroupInput, TargetGroup } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { Backend, ServicePortView, ServiceSpecView } from '@sluice/core';
import type { AwsServiceSettings, HealthCheckSettings } from './annotations.ts';
import { targetGroupName } from './names.ts';

export const DEREGISTRATION_DELAY_ATTRIBUTE = 'deregistration_delay.timeout_seconds';
export const CONNECTION_TERMINATION_ATTRIBUTE = 'deregistration_delay.connection_termination.enabled';
export const PROXY_PROTOCOL_V2_ATTRIBUTE = 'proxy_protocol_v2.enabled';
export const PRESERVE_CLIENT_IP_ATTRIBUTE = 'preserve_client_ip.enabled';
/** What ELBv2 sets on a new target group, so a create needs no attribute write for it. */
export const DEFAULT_DEREGISTRATION_DELAY_ATTRIBUTE = '300';

/**
 * What a new `ip` target group of the protocol has, as the Elastic Load Balancing user guide
 * ("Edit target group attributes for your Network Load Balancer") documents it: delay 300 s,
 * connection termination and proxy protocol v2 off, client IP preservation off for TCP and
 * on for UDP. An attribute DescribeTargetGroupAttributes leaves out counts as its default.
 */
export function defaultAttributes(protocol: 'TCP' | 'UDP'): Readonly<Record<string, string>> {
  return {
    [DEREGISTRATION_DELAY_ATTRIBUTE]: DEFAULT_DEREGISTRATION_DELAY_ATTRIBUTE,
    [CONNECTION_TERMINATION_ATTRIBUTE]: 'false',
    [PROXY_PROTOCOL_V2_ATTRIBUTE]: 'false',
    [PRESERVE_CLIENT_IP_ATTRIBUTE]: protocol === 'UDP' ? 'true' : 'false',
  };
}

export interface PortSpec {
  readonly servicePort: ServicePortView;
  readonly targetGroupName: string;
  readonly targetGroupProtocol: 'TCP' | 'UDP';
  /** The group's default port: only used for targets registered without one, which Sluice never does. */
  readonly targetGroupPort: number;
  readonly listenerProtocol: 'TCP' | 'UDP' | 'TLS';
  readonly certificateArn: string | undefined;
  readonly healthCheck: HealthCheckSettings;
  readonly deregistrationDelaySeconds: number;
  /** The target group attributes Sluice manages, as ELBv2 writes them. */
  readonly attributes: Readonly<Record<string, string>>;
}

/** One spec per Service port, in Service order. */
export function portSpecs(clusterName: string, service: ServiceSpecView, settings: AwsServiceSettings, backends: readonly Backend[]): PortSpec[] {
  return service.ports.map((p) => {
    const protocol = p.protocol === 'UDP' ? 'UDP' : 'TCP';
    const tls = protocol === 'TCP' && settings.tls !== undefined && settings.tls.portNames.has(p.name);
    const firstBackend = backends.find((b) => b.servicePort === p.name);
    return {
      servicePort: p,
      targetGroupName: targetGroupName(clusterName, service, p),
      targetGroupProtocol: protocol,
      targetGroupPort: typeof p.targetPort === 'number' && p.targetPort > 0 ? p.targetPort : (firstBackend?.port ?? p.port),
      listenerProtocol: tls ? 'TLS' : protocol,
      certificateArn: tls ? settings.tls!.certificateArn : undefined,
      healthCheck: settings.healthCheck,
      deregistrationDelaySeconds: settings.deregistrationDelaySeconds,
      attributes: wantedAttributes(protocol, settings),
    };
  });
}

/** The CreateTargetGroup / ModifyTargetGroup health check fields of a spec. */
export function healthCheckFields(h: HealthCheckSettings): Omit<ModifyTargetGroupInput, 'TargetGroupArn'> {
  return {
    HealthCheckProtocol: h.protocol,
    HealthCheckPort: h.port,
    ...(h.protocol !== 'TCP' ? { HealthCheckPath: h.path ?? '/' } : {}),
    HealthCheckIntervalSeconds: h.intervalSeconds,
    HealthCheckTimeoutSeconds: h.timeoutSeconds,
    HealthyThresholdCount: h.healthyThreshold,
    UnhealthyThresholdCount: h.unhealthyThreshold,
  };
}

/** The health check fields that differ from the group's, or undefined when none does. */
export function healthCheckChanges(spec: PortSpec, actual: TargetGroup): Omit<ModifyTargetGroupInput, 'TargetGroupArn'> | undefined {
  const want = healthCheckFields(spec.healthCheck);
  const differs =
    actual.HealthCheckProtocol !== want.HealthCheckProtocol ||
    (actual.HealthCheckPort ?? 'traffic-port') !== want.HealthCheckPort ||
    (want.HealthCheckPath !== undefined && actual.HealthCheckPath !== want.HealthCheckPath) ||
    actual.HealthCheckIntervalSeconds !== want.HealthCheckIntervalSeconds ||
    actual.HealthCheckTimeoutSeconds !== want.HealthCheckTimeoutSeconds ||
    actual.HealthyThresholdCount !== want.HealthyThresholdCount ||
    actual.UnhealthyThresholdCount !== want.UnhealthyThresholdCount;
  return differs ? want : undefined;
}

/**
 * The attributes a port's group should have. `preserve_client_ip.enabled` is left out of UDP
 * groups: NLB always preserves client IPs there and refuses to change it.
 */
export function wantedAttributes(protocol: 'TCP' | 'UDP', settings: Pick<AwsServiceSettings, 'deregistrationDelaySeconds' | 'connectionTermination' | 'proxyProtocolV2' | 'preserveClientIp'>): Record<string, string> {
  const want: Record<string, string> = {
    [DEREGISTRATION_DELAY_ATTRIBUTE]: String(settings.deregistrationDelaySeconds),
    [CONNECTION_TERMINATION_ATTRIBUTE]: String(settings.connectionTermination),
    [PROXY_PROTOCOL_V2_ATTRIBUTE]: String(settings.proxyProtocolV2),
  };
  if (protocol === 'TCP') want[PRESERVE_CLIENT_IP_ATTRIBUTE] = String(settings.preserveClientIp ?? false);
  return want;
}

/**
 * The attributes to write so the group's match the spec; empty when they already do.
 * `actual` undefined means a group just created, which has ELBv2's defaults.
 */
export function attributeChanges(spec: PortSpec, actual: readonly Attribute[] | undefined): Attribute[] {
  const have: Record<string, string> = { ...defaultAttributes(spec.targetGroupProtocol) };
  for (const a of actual ?? []) if (a.Key !== undefined && a.Value !== undefined) have[a.Key] = a.Value;
  return Object.entries(spec.attributes)
    .filter(([key, value]) => have[key] !== value)
    .map(([Key, Value]) => ({ Key, Value }));
}

/** True when a target group AWS has can serve the spec (same protocol; type ip). */
export function isCompatible(spec: PortSpec, actual: TargetGroup): boolean {
  return actual.Protocol === spec.targetGroupProtocol && actual.TargetType === 'ip';
}
