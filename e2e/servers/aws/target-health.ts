/**
 * DescribeTargetHealth as the twin answers it: the data plane's target states in ELBv2's
 * words ("Health checks for Network Load Balancer target groups: Target health status" and
 * "Health check reason codes" in the Elastic Load Balancing user guide, and the
 * `TargetHealth` data type of the API Reference).
 */
import type { TargetHealth } from '@sluice/dataplane';
import { type TargetParam, xmlText } from './query-protocol.ts';

/** One entry of the answer. */
export interface TargetHealthEntry {
  readonly id: string;
  readonly port: number;
  readonly availabilityZone: string | undefined;
  readonly healthCheckPort: string;
  readonly state: string;
  readonly reason: string | undefined;
  readonly description: string | undefined;
}

/** The user guide's reason codes and descriptions for the data plane's reasons. */
const REASONS: Readonly<Record<string, readonly [string, string]>> = {
  RegistrationInProgress: ['Elb.RegistrationInProgress', 'Target registration is in progress'],
  InitialHealthChecking: ['Elb.InitialHealthChecking', 'Initial health checks in progress'],
  FailedHealthChecks: ['Target.FailedHealthChecks', 'Health checks failed'],
  DeregistrationInProgress: ['Target.DeregistrationInProgress', 'Target deregistration is in progress'],
  NotInUse: ['Target.NotInUse', 'Target group is not configured to receive traffic from the load balancer'],
};

export const NOT_REGISTERED: readonly [string, string] = ['Target.NotRegistered', 'Target is not registered to the target group'];
export const ZONE_NOT_ENABLED: readonly [string, string] = ['Target.NotInUse', 'Target is in an Availability Zone that is not enabled for the load balancer'];

/** The data plane's view of one target in ELBv2's state, reason code and description. */
export function describeTarget(t: TargetHealth): { state: string; reason: string | undefined; description: string | undefined } {
  const known = t.reason === undefined ? undefined : REASONS[t.reason];
  if (t.reason === 'FailedHealthChecks' && t.description) return { state: t.state, reason: known![0], description: `Health checks failed (${t.description})` };
  return { state: t.state, reason: known?.[0], description: known?.[1] };
}

/**
 * One entry per target: a target re-registered while its old registration drains is shown
 * by its new registration, as ELBv2 knows a target by Id and Port only.
 */
export function latestPerTarget(targets: readonly TargetHealth[]): TargetHealth[] {
  const byKey = new Map<string, TargetHealth>();
  for (const t of targets) {
    const key = `${t.ip}:${t.port}`;
    const seen = byKey.get(key);
    if (seen === undefined || (seen.state === 'draining' && t.state !== 'draining')) byKey.set(key, t);
  }
  return [...byKey.values()];
}

/** Entries for the requested targets only, each unknown one `unused` / Target.NotRegistered. */
export function selectRequested(entries: readonly TargetHealthEntry[], requested: readonly TargetParam[], defaultPort: number, healthCheckPort: (port: number) => string): TargetHealthEntry[] {
  if (requested.length === 0) return [...entries];
  return requested.map((r) => {
    const port = r.port ?? defaultPort;
    const found = entries.find((e) => e.id === r.id && e.port === port);
    return (
      found ?? {
        id: r.id,
        port,
        availabilityZone: r.availabilityZone,
        healthCheckPort: healthCheckPort(port),
        state: 'unused',
        reason: NOT_REGISTERED[0],
        description: NOT_REGISTERED[1],
      }
    );
  });
}

export function targetHealthXml(entries: readonly TargetHealthEntry[]): string {
  const member = (e: TargetHealthEntry) =>
    '<member>' +
    `<Target><Id>${xmlText(e.id)}</Id><Port>${e.port}</Port>${e.availabilityZone ? `<AvailabilityZone>${xmlText(e.availabilityZone)}</AvailabilityZone>` : ''}</Target>` +
    `<HealthCheckPort>${xmlText(e.healthCheckPort)}</HealthCheckPort>` +
    `<TargetHealth><State>${e.state}</State>${e.reason ? `<Reason>${e.reason}</Reason>` : ''}${e.description ? `<Description>${xmlText(e.description)}</Description>` : ''}</TargetHealth>` +
    '</member>';
  return `<TargetHealthDescriptions>${entries.map(member).join('')}</TargetHealthDescriptions>`;
}
