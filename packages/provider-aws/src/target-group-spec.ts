/**
 * What each Service port's target group and listener should look like, and what differs
 * from what AWS has. Pure, so "nothing differs, so no write" is decided in one place.
 */
import type { TargetGroupAttribute as Attribute, ModifyTargetGroupInput, TargetGroup } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { Backend, ServicePortView, ServiceSpecView } from '@sluice/core';
import type { AwsServiceSettings, HealthCheckSettings } from './annotations.ts';
import { targetGroupName } from './names.ts';

export const DEREGISTRATION_DELAY_ATTRIBUTE = 'deregistration_delay.timeout_seconds';
/** What ELBv2 sets on a new target group, so a create needs no attribute write for it. */
export const DEFAULT_DEREGISTRATION_DELAY_ATTRIBUTE = '300';

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

/** The attributes to write so the group's match the spec; empty when they already do. */
export function attributeChanges(spec: PortSpec, actual: readonly Attribute[] | undefined): Attribute[] {
  const want = String(spec.deregistrationDelaySeconds);
  const have = actual === undefined ? DEFAULT_DEREGISTRATION_DELAY_ATTRIBUTE : actual.find((a) => a.Key === DEREGISTRATION_DELAY_ATTRIBUTE)?.Value;
  return have === want ? [] : [{ Key: DEREGISTRATION_DELAY_ATTRIBUTE, Value: want }];
}

/** True when a target group AWS has can serve the spec (same protocol; type ip). */
export function isCompatible(spec: PortSpec, actual: TargetGroup): boolean {
  return actual.Protocol === spec.targetGroupProtocol && actual.TargetType === 'ip';
}
