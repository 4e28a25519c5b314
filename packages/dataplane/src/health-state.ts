/**
 * The health state machine of one backend, driven by check results (pure).
 *
 * A new registration starts `initial`. `healthyThreshold` consecutive successes make it
 * `healthy`; `unhealthyThreshold` consecutive failures make it `unhealthy`. A result of
 * the other kind resets the streak, so a single blip neither condemns a healthy backend
 * nor revives a dead one. There is no way back to `initial`: that state only means
 * "never judged yet".
 */

export type CheckedHealth = 'initial' | 'healthy' | 'unhealthy';

export interface HealthCounters {
  readonly state: CheckedHealth;
  /** Consecutive successes since the last failure. */
  readonly successes: number;
  /** Consecutive failures since the last success. */
  readonly failures: number;
}

export interface HealthThresholds {
  readonly healthyThreshold: number;
  readonly unhealthyThreshold: number;
}

export const initialHealth: HealthCounters = { state: 'initial', successes: 0, failures: 0 };

/** The counters after one more check result. */
export function recordCheck(current: HealthCounters, ok: boolean, thresholds: HealthThresholds): HealthCounters {
  if (ok) {
    const successes = current.successes + 1;
    const state = successes >= thresholds.healthyThreshold ? 'healthy' : current.state;
    return { state, successes, failures: 0 };
  }
  const failures = current.failures + 1;
  const state = failures >= thresholds.unhealthyThreshold ? 'unhealthy' : current.state;
  return { state, successes: 0, failures };
}
