/**
 * Timing profiles: how fast a load balancer calls a new target healthy, and how it drains one.
 * The rollout scenario runs any provider under any profile it can honour, so the same rollout
 * measures the embedded LB and, through their twins, each cloud's LB with that cloud's numbers.
 *
 * Durations are in the vendor's own units (what its API takes); `timeScale` multiplies all of
 * them where the data plane runs them, so a 10 s interval can run as 1 s in CI with the ratios
 * between interval, thresholds, registration latency and drain kept.
 */

/** How the LB stops sending new connections to a target that is going away. */
export type DrainMode =
  /** The target stays registered with weight 0: no new connections, open ones continue (the embedded LB). */
  | { readonly kind: 'weight0' }
  /**
   * Deregistration: `draining` for `delayMs`, then removed; open connections are closed at the
   * end of the delay when `terminateOnExpiry`, else left to finish (AWS NLB
   * `deregistration_delay.timeout_seconds` and `deregistration_delay.connection_termination.enabled`).
   */
  | { readonly kind: 'deregister'; readonly delayMs: number; readonly terminateOnExpiry: boolean }
  /** Detach from the endpoint group; open connections are closed after `drainingTimeoutMs` (GCP NEG detach with `connectionDraining`). */
  | { readonly kind: 'detach'; readonly drainingTimeoutMs: number }
  /** Admin state Down: no new flows, established TCP kept (Azure backend address `adminState: Down`). */
  | { readonly kind: 'admin-down' };

export interface TimingProfile {
  /** Short name for tables and flags, e.g. `embedded`, `aws-nlb`. */
  readonly name: string;
  /** Where the numbers come from (a vendor document, or "Sluice's embedded LB defaults"). */
  readonly source: string;
  /** Time between health checks of one target. */
  readonly healthIntervalMs: number;
  /** How long one check may take. */
  readonly healthTimeoutMs: number;
  /** Consecutive passes that make a target healthy. */
  readonly healthyThreshold: number;
  /** Consecutive failures that make a target unhealthy. */
  readonly unhealthyThreshold: number;
  /** Delay after registration before the first check (the target reports `initial` until then). */
  readonly registrationLatencyMs: number;
  readonly drain: DrainMode;
  /** Multiplies every duration above where the data plane runs it (1 = real time). */
  readonly timeScale: number;
}

/** The shortest a new target can take to turn healthy under the profile, scaled: latency + thresholds x interval. */
export function minimumGateMs(profile: TimingProfile): number {
  return Math.round((profile.registrationLatencyMs + profile.healthyThreshold * profile.healthIntervalMs) * profile.timeScale);
}

/** One line for tables and logs: `aws-nlb (x0.1): checks 10000 ms x 3, first after 0 ms, drain deregister 30000 ms`. */
export function describeProfile(profile: TimingProfile): string {
  const drain =
    profile.drain.kind === 'deregister'
      ? `deregister ${profile.drain.delayMs} ms${profile.drain.terminateOnExpiry ? ', then close' : ''}`
      : profile.drain.kind === 'detach'
        ? `detach, close after ${profile.drain.drainingTimeoutMs} ms`
        : profile.drain.kind;
  const scale = profile.timeScale === 1 ? '' : ` (x${profile.timeScale})`;
  return `${profile.name}${scale}: checks ${profile.healthIntervalMs} ms x ${profile.healthyThreshold} healthy / ${profile.unhealthyThreshold} unhealthy, first after ${profile.registrationLatencyMs} ms, drain ${drain}`;
}

/**
 * Problems that make a profile meaningless, each one sentence naming the field, its value and
 * what is allowed; empty when the profile is sound.
 */
export function profileProblems(profile: TimingProfile): string[] {
  const problems: string[] = [];
  const positive = (field: string, value: number) => {
    if (!Number.isFinite(value) || value <= 0) problems.push(`${field} is ${value}: it must be a number above 0.`);
  };
  const whole = (field: string, value: number) => {
    if (!Number.isInteger(value) || value < 1) problems.push(`${field} is ${value}: it must be a whole number of 1 or more.`);
  };
  positive('healthIntervalMs', profile.healthIntervalMs);
  positive('healthTimeoutMs', profile.healthTimeoutMs);
  positive('timeScale', profile.timeScale);
  whole('healthyThreshold', profile.healthyThreshold);
  whole('unhealthyThreshold', profile.unhealthyThreshold);
  if (!Number.isFinite(profile.registrationLatencyMs) || profile.registrationLatencyMs < 0) {
    problems.push(`registrationLatencyMs is ${profile.registrationLatencyMs}: it must be 0 or more.`);
  }
  if (profile.healthTimeoutMs > profile.healthIntervalMs) {
    problems.push(`healthTimeoutMs is ${profile.healthTimeoutMs}: it must not exceed healthIntervalMs (${profile.healthIntervalMs}).`);
  }
  if (profile.drain.kind === 'deregister' && !(profile.drain.delayMs >= 0)) problems.push(`drain.delayMs is ${profile.drain.delayMs}: it must be 0 or more.`);
  if (profile.drain.kind === 'detach' && !(profile.drain.drainingTimeoutMs >= 0)) {
    problems.push(`drain.drainingTimeoutMs is ${profile.drain.drainingTimeoutMs}: it must be 0 or more.`);
  }
  return problems;
}

/**
 * The embedded LB as the local e2e runs it: checks every 200 ms, two passes (Sluice's
 * provider-local defaults apart from the interval), no registration latency, weight 0 drain.
 */
export const EMBEDDED_PROFILE: TimingProfile = {
  name: 'embedded',
  source: "Sluice's provider-local defaults (thresholds 2 / 2, timeout = interval) with the local e2e's 200 ms interval",
  healthIntervalMs: 200,
  healthTimeoutMs: 200,
  healthyThreshold: 2,
  unhealthyThreshold: 2,
  registrationLatencyMs: 0,
  drain: { kind: 'weight0' },
  timeScale: 1,
};

/**
 * An NLB IP target group with the defaults AWS documents for a TCP health check (interval 30 s,
 * timeout 10 s, healthy 5, unhealthy 2) and for deregistration (delay 300 s, connection
 * termination off): "Health checks for Network Load Balancer target groups" and "Target groups
 * for your Network Load Balancers: Deregistration delay" in the Elastic Load Balancing user guide.
 * Scaled x0.02: a 30 s interval runs as 600 ms, the 300 s delay as 6 s.
 */
export const AWS_NLB_PROFILE: TimingProfile = {
  name: 'aws-nlb',
  source: 'ELB user guide, Network Load Balancers: target group health checks and deregistration delay (defaults)',
  healthIntervalMs: 30_000,
  healthTimeoutMs: 10_000,
  healthyThreshold: 5,
  unhealthyThreshold: 2,
  registrationLatencyMs: 0,
  drain: { kind: 'deregister', delayMs: 300_000, terminateOnExpiry: false },
  timeScale: 0.02,
};

/**
 * A Standard LB health probe at the shortest interval Azure allows (5 s) with the default
 * `probeThreshold` of 1 (one probe result marks an address up or down), draining by `adminState: Down`
 * ("Azure Load Balancer health probes" and "Backend pool management: admin state" in the
 * Azure Load Balancer documentation).
 */
export const AZURE_SLB_PROFILE: TimingProfile = {
  name: 'azure-slb',
  source: 'Azure Load Balancer docs: health probes (interval, probe threshold) and backend admin state',
  healthIntervalMs: 5_000,
  healthTimeoutMs: 5_000,
  healthyThreshold: 1,
  unhealthyThreshold: 1,
  registrationLatencyMs: 0,
  drain: { kind: 'admin-down' },
  timeScale: 0.2,
};

/**
 * A regional proxy Network Load Balancer's health check (check interval 5 s, timeout 5 s,
 * healthy 2, unhealthy 2: the Compute `healthChecks` defaults) and NEG detach with connection
 * draining ("Health checks overview" and "Enable connection draining" in the Cloud Load
 * Balancing documentation). The draining timeout is Sluice's choice for rollouts.
 */
export const GCP_PROXY_NLB_PROFILE: TimingProfile = {
  name: 'gcp-proxy-nlb',
  source: 'Cloud Load Balancing docs: health checks overview (defaults) and connection draining',
  healthIntervalMs: 5_000,
  healthTimeoutMs: 5_000,
  healthyThreshold: 2,
  unhealthyThreshold: 2,
  registrationLatencyMs: 0,
  drain: { kind: 'detach', drainingTimeoutMs: 30_000 },
  timeScale: 0.2,
};

export const TIMING_PROFILES: Readonly<Record<string, TimingProfile>> = {
  embedded: EMBEDDED_PROFILE,
  'aws-nlb': AWS_NLB_PROFILE,
  'azure-slb': AZURE_SLB_PROFILE,
  'gcp-proxy-nlb': GCP_PROXY_NLB_PROFILE,
};
