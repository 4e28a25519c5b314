/**
 * One registration of one target in one group: its phase, its health checker, the
 * connections proxied to it, and how it leaves.
 *
 * Phases: `registering` (the group's registration delay has not passed: not checked, not
 * routed to) -> `active` -> `draining` (deregistered under a `deregister` or `detach` drain
 * mode: no new connections; removed at the delay's expiry, or for `detach` when the last
 * connection closes) -> `removed`. A registration never comes back: registering the target
 * again creates a new one, so health is never inherited across registrations.
 */
import type { TargetHealth } from './data-plane.ts';
import type { Firewall } from './firewall.ts';
import { HealthChecker } from './health-checker.ts';
import type { ResolvedDrainSpec, ResolvedHealthCheckSpec, ResolvedTargetGroupSpec, ResolvedTargetSpec } from './spec.ts';
import type { TargetCounters } from './stats.ts';
import type { Logger, TimerHandle, Timers } from './timers.ts';
import type { WeightedPeer } from './weighted-round-robin.ts';

/** A proxied connection as its target sees it. */
export interface TrackedConnection {
  /** Closes both sides now because the target's drain expired (counted as `closedByDrain`). */
  terminate(): void;
  /** Bytes client -> target and target -> client so far. */
  bytes(): { readonly in: number; readonly out: number };
}

/** What the registrations of one ip:port in a group share for the group's life. */
export interface TargetAddress {
  readonly ip: string;
  readonly port: number;
  readonly counters: TargetCounters;
  /** Open connections, whichever registration they were made to. */
  readonly connections: Set<TrackedConnection>;
}

export interface RegistrationContext {
  readonly group: () => ResolvedTargetGroupSpec;
  readonly healthCheck: () => ResolvedHealthCheckSpec | undefined;
  readonly firewall: Firewall;
  readonly scale: (ms: number) => number;
  readonly timers: Timers;
  readonly log: Logger;
}

export type Phase = 'registering' | 'active' | 'draining' | 'removed';

export class Registration implements WeightedPeer {
  /** Unique within the engine, so a connect retry never picks the same registration twice. */
  readonly id: number;
  readonly key: string;
  target: ResolvedTargetSpec;
  currentWeight = 0;
  /** This registration's open connections (what a drain expiry closes). */
  readonly connections = new Set<TrackedConnection>();
  /** Shared by every registration of the same ip:port in the group. */
  readonly counters: TargetCounters;
  /** Open connections of every registration of the same ip:port, also removed ones (for stats). */
  readonly #addressConnections: Set<TrackedConnection>;
  readonly #context: RegistrationContext;
  #phase: Phase = 'registering';
  #checker: HealthChecker | undefined;
  #timer: TimerHandle | undefined;
  #onRemoved: (() => void) | undefined;
  #drainMode: ResolvedDrainSpec['mode'] | undefined;

  constructor(id: number, key: string, target: ResolvedTargetSpec, address: TargetAddress, context: RegistrationContext) {
    this.id = id;
    this.key = key;
    this.target = target;
    this.counters = address.counters;
    this.#addressConnections = address.connections;
    this.#context = context;
  }

  get weight(): number {
    return this.target.weight;
  }

  get phase(): Phase {
    return this.#phase;
  }

  /** Starts the registration delay; checks start when it has passed. */
  start(): void {
    const delay = this.#context.group().registrationDelayMs;
    if (delay <= 0) {
      this.#activate();
      return;
    }
    this.#timer = this.#context.timers.setTimeout(() => {
      this.#timer = undefined;
      this.#activate();
    }, this.#context.scale(delay));
  }

  /** May take new connections: active, weight above 0, adminState not down. */
  get routable(): boolean {
    return this.#phase === 'active' && this.target.weight > 0 && this.target.adminState !== 'down';
  }

  /** Counts as healthy for routing: adminState up, no health check, or passed its checks. */
  get healthy(): boolean {
    return this.target.adminState === 'up' || this.#checker === undefined || this.#checker.state === 'healthy';
  }

  /** The group's health check was added, changed or removed. */
  healthCheckChanged(): void {
    if (this.#phase !== 'active') return;
    const spec = this.#context.healthCheck();
    if (spec === undefined) {
      this.#checker?.stop();
      this.#checker = undefined;
    } else if (this.#checker === undefined) {
      this.#startChecker();
    }
  }

  /** A proxy connect to this target failed; counted against its health when the group says so. */
  recordConnectFailure(reason: string): void {
    if (this.#context.group().countConnectFailures) this.#checker?.recordFailure(reason);
  }

  /**
   * Leaves by `drain`: `weight0` removes now and leaves the connections open; `deregister`
   * and `detach` stop new connections now and remove at their expiry (see DrainSpec).
   * `onRemoved` runs once, when the registration is gone.
   */
  drain(drain: ResolvedDrainSpec, onRemoved: () => void): void {
    if (this.#phase === 'draining' || this.#phase === 'removed') return;
    this.#stopTimers();
    this.#onRemoved = onRemoved;
    if (drain.mode === 'weight0') {
      this.remove();
      return;
    }
    this.#phase = 'draining';
    this.#drainMode = drain.mode;
    const { delay, terminate } =
      drain.mode === 'deregister' ? { delay: drain.delayMs, terminate: drain.terminateOnExpiry } : { delay: drain.drainingTimeoutMs, terminate: true };
    const expire = (): void => {
      this.#timer = undefined;
      if (terminate) for (const connection of [...this.connections]) connection.terminate();
      this.remove();
    };
    if (drain.mode === 'detach' && this.connections.size === 0) this.remove();
    else if (delay <= 0) expire();
    else this.#timer = this.#context.timers.setTimeout(expire, this.#context.scale(delay));
  }

  /** A connection to this registration was proxied. */
  connectionOpened(connection: TrackedConnection): void {
    this.connections.add(connection);
    this.#addressConnections.add(connection);
  }

  /** A proxied connection of this registration closed. */
  connectionClosed(connection: TrackedConnection): void {
    this.connections.delete(connection);
    this.#addressConnections.delete(connection);
    if (this.#phase === 'draining' && this.connections.size === 0 && this.#drainMode === 'detach') this.remove();
  }

  /** Gone now: no checks, no timers; open connections are left to finish. */
  remove(): void {
    if (this.#phase === 'removed') return;
    this.#phase = 'removed';
    this.#stopTimers();
    const onRemoved = this.#onRemoved;
    this.#onRemoved = undefined;
    onRemoved?.();
  }

  /** The health the group reports; `inUse` is whether a listener forwards to the group. */
  health(inUse: boolean): TargetHealth {
    const base = { ...this.target };
    const reported = (state: TargetHealth['state'], reason?: TargetHealth['reason'], description?: string): TargetHealth => ({
      ...base,
      state,
      ...(reason === undefined ? {} : { reason }),
      ...(description === undefined ? {} : { description }),
    });
    if (this.#phase === 'draining' || this.#phase === 'removed') return reported('draining', 'DeregistrationInProgress');
    if (!inUse) return reported('unused', 'NotInUse');
    if (this.#phase === 'registering') return reported('initial', 'RegistrationInProgress');
    if (this.target.adminState === 'down') return reported('draining', 'AdminStateDown');
    if (this.target.weight === 0) return reported('draining', 'WeightZero');
    if (this.target.adminState === 'up') return reported('healthy', 'AdminStateUp');
    const checker = this.#checker;
    if (checker === undefined) return reported('healthy', 'NoHealthCheck');
    if (checker.state === 'healthy') return reported('healthy');
    if (checker.state === 'unhealthy') return reported('unhealthy', 'FailedHealthChecks', checker.reason);
    return reported('initial', 'InitialHealthChecking', checker.reason);
  }

  #activate(): void {
    if (this.#phase !== 'registering') return;
    this.#phase = 'active';
    if (this.#context.healthCheck() !== undefined) this.#startChecker();
  }

  #startChecker(): void {
    const { firewall, scale, timers, log } = this.#context;
    const checker = new HealthChecker({
      ip: this.target.ip,
      port: this.target.port,
      tags: () => this.target.tags,
      spec: this.#context.healthCheck,
      firewall,
      scale,
      timers,
      onResult: (ok) => {
        if (ok) this.counters.healthChecksOk++;
        else this.counters.healthChecksFailed++;
      },
      onTransition: (from, to, reason) =>
        log.info('target health changed', {
          targetGroup: this.#context.group().name,
          target: this.key,
          from,
          to,
          ...(reason === undefined ? {} : { reason }),
        }),
    });
    this.#checker = checker;
    checker.start();
  }

  #stopTimers(): void {
    if (this.#timer !== undefined) this.#context.timers.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#checker?.stop();
    this.#checker = undefined;
  }
}
