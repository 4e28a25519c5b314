/**
 * The embedded provider's semantics as data plane configuration (pure): what each target
 * group, health check and target of a Service port looks like, and how the engine's target
 * health reads as the core's backend status.
 *
 * - Drain is weight 0 in place (`drain: weight0`): a drained backend takes no new
 *   connection and keeps its open ones; a removed one is forgotten at once, its open
 *   connections left to finish.
 * - Fail open (`failOpen`): when no backend is healthy, every backend that is not drained
 *   is tried, as cloud load balancers do, since refusing the connection is never better.
 * - A failed connect is retried on another backend, invisibly to the client, and counts
 *   towards that backend's unhealthy threshold (`countConnectFailures`).
 * - One TCP health check per backend, the first at once on registration.
 */
import type { Backend, BackendStatus } from '@sluice/core';
import type { HealthCheckSpec, TargetGroupSpec, TargetGroupState, TargetHealth, TargetSpec } from '@sluice/dataplane';
import { formatAddress, parseAddress } from '@sluice/dataplane';
import type { ResolvedLocalProviderOptions } from './options.ts';

type Settings = Pick<ResolvedLocalProviderOptions, 'connectRetries' | 'connectTimeoutMs' | 'intervalMs' | 'timeoutMs' | 'healthyThreshold' | 'unhealthyThreshold'>;

export function targetGroupSpec(name: string, o: Settings): TargetGroupSpec {
  return {
    name,
    drain: { mode: 'weight0' },
    failOpen: true,
    connectRetries: o.connectRetries,
    connectTimeoutMs: o.connectTimeoutMs,
    countConnectFailures: true,
  };
}

export function healthCheckSpec(o: Settings): HealthCheckSpec {
  return {
    protocol: 'tcp',
    intervalMs: o.intervalMs,
    timeoutMs: o.timeoutMs,
    healthyThreshold: o.healthyThreshold,
    unhealthyThreshold: o.unhealthyThreshold,
  };
}

/**
 * Whether the group as the engine has it already carries these settings (then nothing is
 * written): an engine programmed by a controller with other options is brought to these.
 */
export function groupMatches(group: TargetGroupState, o: Settings): boolean {
  const check = group.healthCheck;
  return (
    group.drain.mode === 'weight0' &&
    group.failOpen &&
    group.connectRetries === o.connectRetries &&
    group.connectTimeoutMs === o.connectTimeoutMs &&
    group.countConnectFailures &&
    group.registrationDelayMs === 0 &&
    group.proxyProtocol === 'none' &&
    !group.preserveClientIp &&
    check !== null &&
    check.protocol === 'tcp' &&
    check.port === undefined &&
    check.intervalMs === o.intervalMs &&
    check.timeoutMs === o.timeoutMs &&
    check.healthyThreshold === o.healthyThreshold &&
    check.unhealthyThreshold === o.unhealthyThreshold
  );
}

/**
 * The targets of one Service port: the pod UID is the registration, so the same address
 * under a new pod is a new registration whose health starts again. One target per address
 * (the last backend listed wins), as the engine keys targets by address.
 */
export function targetsOf(backends: readonly Backend[]): TargetSpec[] {
  const byAddress = new Map<string, TargetSpec>();
  for (const b of backends) {
    const address = parseAddress(b.ip);
    const key = `${address === undefined ? b.ip : formatAddress(address)}|${b.port}`;
    byAddress.delete(key);
    byAddress.set(key, { ip: b.ip, port: b.port, weight: b.weight, registration: b.podUid });
  }
  return [...byAddress.values()];
}

/**
 * A target as the core reads it: `draining` for weight 0 (reason `weight is 0`), otherwise
 * the engine's health with the last failure (`ECONNREFUSED`) as the reason.
 */
export function backendStatus(servicePort: string, target: TargetHealth): BackendStatus {
  const reason = target.reason === 'WeightZero' ? 'weight is 0' : target.description;
  return {
    servicePort,
    ip: target.ip,
    port: target.port,
    podUid: target.registration,
    weight: target.weight,
    health: target.state,
    ...(reason === undefined ? {} : { reason }),
  };
}
