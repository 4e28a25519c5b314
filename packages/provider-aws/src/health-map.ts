/**
 * ELBv2 target health -> Sluice backend health. A target in `draining` (or
 * `unhealthy.draining`) has been deregistered and is finishing its open connections: it is
 * reported with weight 0, so the core sees the drain as done and never drains it again.
 * `unavailable` (health checks disabled or not possible) counts as unhealthy, never as
 * healthy: a readiness gate must not open on it.
 */
import type { BackendHealthState, BackendStatus } from '@sluice/core';

export interface TargetHealthLike {
  readonly Target?: { readonly Id?: string | undefined; readonly Port?: number | undefined; readonly AvailabilityZone?: string | undefined } | undefined;
  readonly TargetHealth?:
    | { readonly State?: string | undefined; readonly Reason?: string | undefined; readonly Description?: string | undefined }
    | undefined;
}

const STATES: Readonly<Record<string, BackendHealthState>> = {
  initial: 'initial',
  healthy: 'healthy',
  unhealthy: 'unhealthy',
  'unhealthy.draining': 'draining',
  draining: 'draining',
  unused: 'unused',
  unavailable: 'unhealthy',
};

/** True for the states a deregistered target passes through while its connections finish. */
export function isDrainingState(state: string | undefined): boolean {
  return state === 'draining' || state === 'unhealthy.draining';
}

/** The Sluice health of an ELBv2 target state; an unknown state counts as unhealthy. */
export function healthOf(state: string | undefined): BackendHealthState {
  return (state !== undefined ? STATES[state] : undefined) ?? 'unhealthy';
}

/** One DescribeTargetHealth entry as a BackendStatus of `servicePort`; undefined when it names no target. */
export function toBackendStatus(servicePort: string, description: TargetHealthLike): BackendStatus | undefined {
  const ip = description.Target?.Id;
  const port = description.Target?.Port;
  if (ip === undefined || port === undefined) return undefined;
  const th = description.TargetHealth;
  const state = th?.State;
  const health = healthOf(state);
  const parts = [th?.Reason, th?.Description].filter((p): p is string => p !== undefined && p !== '');
  let reason = parts.length > 0 ? parts.join(': ') : undefined;
  if (state !== undefined && STATES[state] === undefined) reason = `target state ${state}${reason ? `: ${reason}` : ''}`;
  if (state === 'unavailable' && reason === undefined) reason = 'target health is unavailable';
  return {
    servicePort,
    ip,
    port,
    weight: isDrainingState(state) ? 0 : 1,
    health,
    ...(reason !== undefined ? { reason } : {}),
  };
}
