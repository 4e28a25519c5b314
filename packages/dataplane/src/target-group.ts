/**
 * The runtime of one target group: its registrations (registered and draining), their
 * counters, and the choice of target for each new connection.
 *
 * Identity is canonical ip + port; the optional `registration` value (a pod UID) tells a new
 * registration at a reused address from an update of the same one. Counters are kept per
 * ip:port for the life of the group, so they survive re-registration and drain expiry.
 */
import type { TargetHealth } from './data-plane.ts';
import { Registration, type RegistrationContext, type TargetAddress } from './registration.ts';
import { targetKey } from './resolve.ts';
import type { ResolvedHealthCheckSpec, ResolvedTargetGroupSpec, ResolvedTargetSpec, TargetRef } from './spec.ts';
import { type TargetStats, targetCounters } from './stats.ts';
import { pickSmoothWeighted } from './weighted-round-robin.ts';

export type TargetGroupContext = Omit<RegistrationContext, 'group' | 'healthCheck'> & {
  /** A new registration id, unique within the engine. */
  readonly nextId: () => number;
};

export class TargetGroup {
  spec: ResolvedTargetGroupSpec;
  #healthCheck: ResolvedHealthCheckSpec | undefined;
  readonly #context: TargetGroupContext;
  readonly #registrationContext: RegistrationContext;
  readonly #active = new Map<string, Registration>();
  readonly #draining = new Set<Registration>();
  readonly #addresses = new Map<string, TargetAddress>();

  constructor(spec: ResolvedTargetGroupSpec, context: TargetGroupContext) {
    this.spec = spec;
    this.#context = context;
    this.#registrationContext = {
      ...context,
      group: () => this.spec,
      healthCheck: () => this.#healthCheck,
    };
  }

  get healthCheck(): ResolvedHealthCheckSpec | undefined {
    return this.#healthCheck;
  }

  /** Sets or removes the health check; running checkers read it at their next check. */
  setHealthCheck(spec: ResolvedHealthCheckSpec | undefined): void {
    this.#healthCheck = spec;
    for (const registration of this.#active.values()) registration.healthCheckChanged();
  }

  /** Adds new targets and updates registered ones in place; a changed `registration` value re-registers. */
  register(targets: readonly ResolvedTargetSpec[]): void {
    for (const target of targets) {
      const key = targetKey(target);
      const current = this.#active.get(key);
      if (current !== undefined && current.target.registration === target.registration) {
        current.target = target;
        continue;
      }
      if (current !== undefined) this.#drain(current);
      const registration = new Registration(this.#context.nextId(), key, target, this.#address(key, target), this.#registrationContext);
      this.#active.set(key, registration);
      registration.start();
    }
  }

  /** Deregisters by the drain mode; targets not registered are ignored. */
  deregister(targets: readonly TargetRef[]): void {
    for (const target of targets) {
      const registration = this.#active.get(targetKey(target));
      if (registration !== undefined) this.#drain(registration);
    }
  }

  /** Makes the registered set exactly `targets`. */
  setTargets(targets: readonly ResolvedTargetSpec[]): void {
    const wanted = new Set(targets.map(targetKey));
    this.deregister([...this.#active.values()].filter((r) => !wanted.has(r.key)).map((r) => r.target));
    this.register(targets);
  }

  /**
   * The target for a new connection, by smooth weighted round-robin over the routable
   * targets not in `tried`: the healthy ones; when none of those is left and the group fails
   * open, every routable one whatever its health; otherwise none (fail closed).
   */
  pick(tried: ReadonlySet<number>): Registration | undefined {
    const routable = [...this.#active.values()].filter((r) => r.routable && !tried.has(r.id));
    const chosen = pickSmoothWeighted(routable.filter((r) => r.healthy));
    if (chosen !== undefined || !this.spec.failOpen) return chosen;
    return pickSmoothWeighted(routable);
  }

  /** Registered targets, then draining ones. */
  health(inUse: boolean): TargetHealth[] {
    return [...this.#active.values(), ...this.#draining].map((r) => r.health(inUse));
  }

  stats(): TargetStats[] {
    return [...this.#addresses.values()].map(({ ip, port, counters, connections }) => {
      const bytes = [...connections].map((c) => c.bytes());
      return {
        targetGroup: this.spec.name,
        ip,
        port,
        ...counters,
        bytesIn: counters.bytesIn + bytes.reduce((sum, b) => sum + b.in, 0),
        bytesOut: counters.bytesOut + bytes.reduce((sum, b) => sum + b.out, 0),
        active: connections.size,
      };
    });
  }

  /** Stops every check and drain timer and forgets every registration; open connections are left. */
  close(): void {
    for (const registration of [...this.#active.values(), ...this.#draining]) registration.remove();
    this.#active.clear();
    this.#draining.clear();
  }

  #drain(registration: Registration): void {
    this.#active.delete(registration.key);
    this.#draining.add(registration);
    registration.drain(this.spec.drain, () => this.#draining.delete(registration));
  }

  #address(key: string, target: ResolvedTargetSpec): TargetAddress {
    let entry = this.#addresses.get(key);
    if (entry === undefined) {
      entry = { ip: target.ip, port: target.port, counters: targetCounters(), connections: new Set() };
      this.#addresses.set(key, entry);
    }
    return entry;
  }
}
