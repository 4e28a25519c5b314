/**
 * The ELBv2 resources of FakeAws (fake-aws.ts) and their shapes in the API's XML
 * (`LoadBalancer`, `TargetGroup` and `Listener` data types of the API Reference).
 */
import type { FakeSubnet } from './fake-ec2.ts';
import { el, esc, memberList, members } from './xml.ts';

export interface FakeTarget {
  state: string;
  /** The AvailabilityZone it was registered with (`all` outside the VPC), if any. */
  zone?: string;
  reason?: string;
  description?: string;
}

export interface FakeLoadBalancer {
  arn: string;
  name: string;
  dnsName: string;
  scheme: string;
  vpcId: string;
  subnets: string[];
  attributes: Record<string, string>;
  tags: Record<string, string>;
  securityGroups?: string[];
}

export interface FakeTargetGroup {
  arn: string;
  name: string;
  protocol: string;
  port: number;
  vpcId: string;
  targetType: string;
  health: Record<string, string>;
  attributes: Record<string, string>;
  tags: Record<string, string>;
  /** `ip:port` -> health. */
  targets: Map<string, FakeTarget>;
}

export interface FakeListener {
  arn: string;
  lbArn: string;
  port: number;
  protocol: string;
  targetGroupArn: string;
  certificateArn?: string;
  tags: Record<string, string>;
}

export interface FakeFailure {
  readonly code: string;
  readonly message: string;
  readonly status?: number;
  /** How many calls fail; the ones after succeed. @default Infinity */
  readonly times?: number;
  /** Calls of the action that succeed before the failures start. @default 0 */
  readonly after?: number;
  readonly headers?: Record<string, string>;
}

export function loadBalancerXml(subnets: readonly FakeSubnet[], lb: FakeLoadBalancer): string {
  const zones = lb.subnets.map((s) => `${el('ZoneName', subnets.find((x) => x.id === s)?.zone ?? 'us-east-1a')}${el('SubnetId', s)}`);
  return (
    el('LoadBalancerArn', lb.arn) +
    el('DNSName', lb.dnsName) +
    el('CanonicalHostedZoneId', 'Z26RNL4JYFTOTI') +
    el('CreatedTime', '2026-11-25T12:00:00.000Z') +
    el('LoadBalancerName', lb.name) +
    el('Scheme', lb.scheme) +
    el('VpcId', lb.vpcId) +
    `<State>${el('Code', 'active')}</State>` +
    el('Type', 'network') +
    members('AvailabilityZones', zones) +
    members('SecurityGroups', (lb.securityGroups ?? []).map((g) => esc(g))) +
    el('IpAddressType', 'ipv4')
  );
}
export function targetGroupXml(listeners: readonly FakeListener[], tg: FakeTargetGroup): string {
  const lbs = [...new Set(listeners.filter((l) => l.targetGroupArn === tg.arn).map((l) => l.lbArn))];
  return (
    el('TargetGroupArn', tg.arn) +
    el('TargetGroupName', tg.name) +
    el('Protocol', tg.protocol) +
    el('Port', tg.port) +
    el('VpcId', tg.vpcId) +
    el('HealthCheckProtocol', tg.health['HealthCheckProtocol']) +
    el('HealthCheckPort', tg.health['HealthCheckPort']) +
    el('HealthCheckEnabled', true) +
    el('HealthCheckIntervalSeconds', tg.health['HealthCheckIntervalSeconds']) +
    el('HealthCheckTimeoutSeconds', tg.health['HealthCheckTimeoutSeconds']) +
    el('HealthyThresholdCount', tg.health['HealthyThresholdCount']) +
    el('UnhealthyThresholdCount', tg.health['UnhealthyThresholdCount']) +
    el('HealthCheckPath', tg.health['HealthCheckPath']) +
    (lbs.length > 0 ? members('LoadBalancerArns', lbs.map(esc)) : '') +
    el('TargetType', tg.targetType) +
    el('IpAddressType', 'ipv4')
  );
}
export function listenerXml(l: FakeListener): string {
  return (
    el('ListenerArn', l.arn) +
    el('LoadBalancerArn', l.lbArn) +
    el('Port', l.port) +
    el('Protocol', l.protocol) +
    (l.certificateArn ? members('Certificates', [el('CertificateArn', l.certificateArn)]) : '') +
    members('DefaultActions', [`${el('Type', 'forward')}${el('TargetGroupArn', l.targetGroupArn)}`])
  );
}

/** An AWS error the fake answers with (its code and message). */
export class AwsFault extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

/** The `Tags.member.N` of a request. */
export function tagsFrom(p: URLSearchParams): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of memberList(p, 'Tags')) out[t['Key'] ?? ''] = t['Value'] ?? '';
  return out;
}
