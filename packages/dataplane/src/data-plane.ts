/**
 * The one interface callers program the data plane through. The in-process engine
 * (`createEngine`) and the control API client (`connectDataPlane`) both implement it, so a
 * caller does not care which it holds. Every method is async and rejects with a
 * DataPlaneError subclass: InvalidSpecError (bad input), NotFoundError, ConflictError,
 * ListenError; the client adds ControlApiError when the engine cannot be reached.
 *
 * Programming is by level: each put replaces the named object's settings, deletes are
 * idempotent, and `state()` returns everything programmed (resolved, defaults filled in) so
 * a controller that restarts can read it back and adopt it.
 */
import type { FirewallAction, FirewallPolicy, FirewallRule, ResolvedFirewallRule } from './firewall.ts';
import type {
  HealthCheckSpec,
  ListenerSpec,
  ResolvedHealthCheckSpec,
  ResolvedListenerSpec,
  ResolvedTargetGroupSpec,
  ResolvedTargetSpec,
  TargetGroupSpec,
  TargetRef,
  TargetSpec,
} from './spec.ts';
import type { DataPlaneStats } from './stats.ts';

/** Target health as the clouds report it. */
export type TargetHealthState = 'initial' | 'healthy' | 'unhealthy' | 'draining' | 'unused';

/** Why a target is in its state (AWS's `Target.*` reason codes without the prefix, and the rest of the modes). */
export type TargetHealthReason =
  /** `initial`: the registration delay has not passed yet; not checked, not routed to. */
  | 'RegistrationInProgress'
  /** `initial`: checked, not enough successes yet. */
  | 'InitialHealthChecking'
  /** `unhealthy`: `unhealthyThreshold` consecutive failures. */
  | 'FailedHealthChecks'
  /** `draining`: deregistered or detached, waiting for its delay or its connections. */
  | 'DeregistrationInProgress'
  /** `draining`: weight 0 (drain in place). */
  | 'WeightZero'
  /** `draining`: adminState down. */
  | 'AdminStateDown'
  /** `healthy`: adminState up, whatever the checks say. */
  | 'AdminStateUp'
  /** `healthy`: the group has no health check. */
  | 'NoHealthCheck'
  /** `unused`: no listener forwards to the group. */
  | 'NotInUse';

export interface TargetHealth extends ResolvedTargetSpec {
  readonly state: TargetHealthState;
  /** Absent for a target that passed its checks. */
  readonly reason?: TargetHealthReason;
  /** Details: the last check failure (`ECONNREFUSED`, `HTTP status 503 is not in 200-399`). */
  readonly description?: string;
}

export interface ListenerState extends ResolvedListenerSpec {
  /** What the listener holds: the port is the kernel's choice when the spec's port is 0. */
  readonly bound: { readonly address: string; readonly port: number };
}

export interface TargetGroupState extends ResolvedTargetGroupSpec {
  readonly healthCheck: ResolvedHealthCheckSpec | null;
  /** Registered and draining targets. */
  readonly targets: readonly TargetHealth[];
}

/** A share of the state by name: see {@link DataPlane.state}. */
export interface StateScope {
  readonly prefix: string;
}

export interface DataPlaneState {
  readonly timeScale: number;
  readonly listeners: readonly ListenerState[];
  readonly targetGroups: readonly TargetGroupState[];
  readonly firewall: FirewallPolicy;
}

export interface DataPlane {
  /** Creates the group or updates its settings (targets and health check kept; a new drain mode applies to later deregistrations). */
  putTargetGroup(spec: TargetGroupSpec): Promise<ResolvedTargetGroupSpec>;
  /** Stops the group's checks and forgets its targets (open connections are left). ConflictError while a listener uses it. */
  deleteTargetGroup(name: string): Promise<void>;
  /** Sets the group's health check; the next check of each target uses it. */
  putHealthCheck(targetGroup: string, spec: HealthCheckSpec): Promise<ResolvedHealthCheckSpec>;
  /** Removes the group's health check: its targets count as healthy. */
  deleteHealthCheck(targetGroup: string): Promise<void>;
  /** Adds targets, or updates weight, adminState and tags of registered ones in place (health kept). */
  registerTargets(targetGroup: string, targets: readonly TargetSpec[]): Promise<void>;
  /** Deregisters targets by the group's drain mode; unknown targets are ignored. */
  deregisterTargets(targetGroup: string, targets: readonly TargetRef[]): Promise<void>;
  /** Makes the registered set exactly `targets`: registers and updates as `registerTargets`, deregisters the rest. */
  setTargets(targetGroup: string, targets: readonly TargetSpec[]): Promise<void>;
  targetHealth(targetGroup: string): Promise<TargetHealth[]>;
  /**
   * Opens the listener, or updates it: a new address or port opens the new socket before
   * closing the old one (whose connections are closed); anything else applies in place to
   * the next connection. ListenError when the port cannot be bound (nothing changes then).
   */
  putListener(spec: ListenerSpec): Promise<ListenerState>;
  /** Closes the listener and every connection it carries. */
  deleteListener(name: string): Promise<void>;
  putFirewallRule(rule: FirewallRule): Promise<ResolvedFirewallRule>;
  deleteFirewallRule(name: string): Promise<void>;
  /** The action when no rule matches. */
  setFirewallDefault(action: FirewallAction): Promise<void>;
  /** Multiplies every configured duration from the next timer scheduled on (timers already running keep theirs). */
  setTimeScale(timeScale: number): Promise<void>;
  /**
   * Everything programmed; with `scope`, only the listeners, target groups and firewall rules
   * whose names start with `scope.prefix` (one caller's share, read without copying the rest).
   */
  state(scope?: StateScope): Promise<DataPlaneState>;
  stats(): Promise<DataPlaneStats>;
}
