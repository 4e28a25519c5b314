/**
 * The in-process data plane: listeners, target groups, the firewall and the time scale,
 * behind the {@link DataPlane} interface.
 *
 * Constructing opens nothing (STYLE habit 5): sockets open in `putListener`, checks start
 * when targets are registered, and `close()` stops all of it. Mutations run one at a time
 * in call order, so a put that awaits a bind cannot interleave with a delete of the same
 * object; reads answer at once.
 */
import { acceptClient } from './accept.ts';
import type { DataPlane, DataPlaneState, ListenerState, StateScope, TargetHealth } from './data-plane.ts';
import { ConflictError, DataPlaneError, NotFoundError } from './errors.ts';
import { FIREWALL_ACTIONS, Firewall, type FirewallAction, type FirewallRule, type ResolvedFirewallRule } from './firewall.ts';
import { Listener } from './listener.ts';
import { resolveHealthCheck, resolveListener, resolveTargetGroup, resolveTargetRefs, resolveTargets, resolveTimeScale } from './resolve.ts';
import type { HealthCheckSpec, ListenerSpec, ResolvedHealthCheckSpec, ResolvedTargetGroupSpec, TargetGroupSpec, TargetRef, TargetSpec } from './spec.ts';
import type { DataPlaneStats } from './stats.ts';
import { TargetGroup } from './target-group.ts';
import { type Logger, silentLogger, type Timers, unrefTimers } from './timers.ts';
import { name, oneOf } from './validate.ts';

export interface EngineOptions {
  /**
   * Multiplies every configured duration (intervals, timeouts, delays, registration
   * latency, draining timeouts): 0.1 runs a vendor's 10 s interval as 1 s.
   * @default 1
   */
  readonly timeScale?: number;
  /**
   * The firewall's action when no rule matches.
   * @default 'allow'
   */
  readonly firewallDefault?: FirewallAction;
  /**
   * Timers for health checks, connect timeouts, registration and drain delays.
   * @default the global timers, unref'd
   */
  readonly timers?: Timers;
  /**
   * Where listener errors, health transitions and refusals are logged.
   * @default a logger that discards everything
   */
  readonly log?: Logger;
}

/** The in-process engine: the {@link DataPlane} plus its lifecycle. */
export interface DataPlaneEngine extends DataPlane {
  /** Closes every listener and its connections, stops every check and timer. Idempotent; other calls afterwards reject. */
  close(): Promise<void>;
}

const MAX_TIMER_MS = 2 ** 31 - 1;

/** Creates an engine; nothing is opened until the first listener is put. */
export function createEngine(options: EngineOptions = {}): DataPlaneEngine {
  return new Engine(options);
}

class Engine implements DataPlaneEngine {
  #timeScale: number;
  readonly #timers: Timers;
  readonly #log: Logger;
  readonly #firewall: Firewall;
  readonly #groups = new Map<string, TargetGroup>();
  readonly #listeners = new Map<string, Listener>();
  #nextId = 1;
  #chain: Promise<unknown> = Promise.resolve();
  #closed = false;
  #closing: Promise<void> | undefined;

  constructor(options: EngineOptions) {
    this.#timeScale = resolveTimeScale(options.timeScale ?? 1, 'timeScale');
    this.#firewall = new Firewall(oneOf('firewallDefault', options.firewallDefault ?? 'allow', FIREWALL_ACTIONS));
    this.#timers = options.timers ?? unrefTimers;
    this.#log = options.log ?? silentLogger;
  }

  putTargetGroup(spec: TargetGroupSpec): Promise<ResolvedTargetGroupSpec> {
    return this.#serial(() => {
      const resolved = resolveTargetGroup(spec);
      const current = this.#groups.get(resolved.name);
      if (current !== undefined) current.spec = resolved;
      else
        this.#groups.set(
          resolved.name,
          new TargetGroup(resolved, {
            firewall: this.#firewall,
            scale: this.#scale,
            timers: this.#timers,
            log: this.#log,
            nextId: () => this.#nextId++,
          }),
        );
      return resolved;
    });
  }

  deleteTargetGroup(groupName: string): Promise<void> {
    return this.#serial(() => {
      const group = this.#groups.get(name('targetGroup', groupName));
      if (group === undefined) return;
      const users = [...this.#listeners.values()].filter((l) => l.spec.targetGroup === groupName).map((l) => l.spec.name);
      if (users.length > 0) {
        throw new ConflictError(`Target group ${groupName} cannot be deleted while listeners forward to it (${users.join(', ')}); delete or retarget them first.`, {
          field: 'targetGroup',
        });
      }
      group.close();
      this.#groups.delete(groupName);
    });
  }

  putHealthCheck(groupName: string, spec: HealthCheckSpec): Promise<ResolvedHealthCheckSpec> {
    return this.#serial(() => {
      const group = this.#group(groupName);
      const resolved = resolveHealthCheck(spec);
      group.setHealthCheck(resolved);
      return resolved;
    });
  }

  deleteHealthCheck(groupName: string): Promise<void> {
    return this.#serial(() => this.#group(groupName).setHealthCheck(undefined));
  }

  registerTargets(groupName: string, targets: readonly TargetSpec[]): Promise<void> {
    return this.#serial(() => this.#group(groupName).register(resolveTargets(targets)));
  }

  deregisterTargets(groupName: string, targets: readonly TargetRef[]): Promise<void> {
    return this.#serial(() => this.#group(groupName).deregister(resolveTargetRefs(targets)));
  }

  setTargets(groupName: string, targets: readonly TargetSpec[]): Promise<void> {
    return this.#serial(() => this.#group(groupName).setTargets(resolveTargets(targets)));
  }

  async targetHealth(groupName: string): Promise<TargetHealth[]> {
    return this.#group(groupName).health(this.#inUse(groupName));
  }

  putListener(spec: ListenerSpec): Promise<ListenerState> {
    return this.#serial(async () => {
      const resolved = resolveListener(spec);
      if (!this.#groups.has(resolved.targetGroup)) {
        throw new NotFoundError(
          `Listener ${resolved.name} forwards to the target group ${resolved.targetGroup}, which does not exist; put the target group first.`,
          { field: 'listener.targetGroup' },
        );
      }
      const current = this.#listeners.get(resolved.name);
      const samePort = resolved.port === 0 ? current?.spec.port === 0 : resolved.port === current?.bound.port;
      if (current !== undefined && current.spec.address === resolved.address && samePort) {
        current.spec = resolved;
        return listenerState(current);
      }
      const context = { groups: this.#groups, firewall: this.#firewall, timers: this.#timers, scale: this.#scale, log: this.#log };
      const listener = await Listener.open(resolved, (l, client) => acceptClient(l, client, context), this.#log);
      this.#listeners.set(resolved.name, listener);
      this.#log.info('listener open', { listener: resolved.name, address: listener.bound.address, port: listener.bound.port });
      await current?.close();
      return listenerState(listener);
    });
  }

  deleteListener(listenerName: string): Promise<void> {
    return this.#serial(async () => {
      const listener = this.#listeners.get(name('listener', listenerName));
      if (listener === undefined) return;
      this.#listeners.delete(listenerName);
      await listener.close();
    });
  }

  putFirewallRule(rule: FirewallRule): Promise<ResolvedFirewallRule> {
    return this.#serial(() => this.#firewall.put(rule));
  }

  deleteFirewallRule(ruleName: string): Promise<void> {
    return this.#serial(() => {
      this.#firewall.delete(name('rule', ruleName));
    });
  }

  setFirewallDefault(action: FirewallAction): Promise<void> {
    return this.#serial(() => {
      this.#firewall.defaultAction = oneOf('defaultAction', action, FIREWALL_ACTIONS);
    });
  }

  setTimeScale(timeScale: number): Promise<void> {
    return this.#serial(() => {
      this.#timeScale = resolveTimeScale(timeScale);
    });
  }

  async state(scope?: StateScope): Promise<DataPlaneState> {
    const inScope = (name: string) => scope === undefined || name.startsWith(scope.prefix);
    const firewall = this.#firewall.policy;
    return {
      timeScale: this.#timeScale,
      listeners: sortedByName([...this.#listeners].filter(([name]) => inScope(name)).map(([, listener]) => listenerState(listener))),
      targetGroups: sortedByName(
        [...this.#groups]
          .filter(([name]) => inScope(name))
          .map(([, group]) => ({
            ...group.spec,
            healthCheck: group.healthCheck ?? null,
            targets: group.health(this.#inUse(group.spec.name)),
          })),
      ),
      firewall: scope === undefined ? firewall : { ...firewall, rules: firewall.rules.filter((rule) => inScope(rule.name)) },
    };
  }

  async stats(): Promise<DataPlaneStats> {
    return {
      listeners: sortedByName([...this.#listeners.values()].map((l) => l.stats())),
      targets: [...this.#groups.values()].flatMap((g) => g.stats()),
    };
  }

  close(): Promise<void> {
    this.#closing ??= this.#serial(async () => {
      this.#closed = true;
      const listeners = [...this.#listeners.values()];
      this.#listeners.clear();
      for (const group of this.#groups.values()) group.close();
      this.#groups.clear();
      await Promise.all(listeners.map((l) => l.close()));
    });
    return this.#closing;
  }

  /** A configured duration as it runs; capped at the largest delay setTimeout honours (about 24.8 days). */
  readonly #scale = (ms: number): number => Math.min(ms * this.#timeScale, MAX_TIMER_MS);

  #group(groupName: string): TargetGroup {
    const group = this.#groups.get(name('targetGroup', groupName));
    if (group === undefined) {
      throw new NotFoundError(`Target group ${groupName} does not exist; put it first.`, { field: 'targetGroup' });
    }
    return group;
  }

  #inUse(groupName: string): boolean {
    for (const listener of this.#listeners.values()) if (listener.spec.targetGroup === groupName) return true;
    return false;
  }

  #serial<T>(work: () => T | Promise<T>): Promise<T> {
    const run = this.#chain.then(() => {
      if (this.#closed) throw new DataPlaneError('The data plane engine is closed; create a new one.');
      return work();
    });
    this.#chain = run.catch(() => {});
    return run;
  }
}

function listenerState(listener: Listener): ListenerState {
  return { ...listener.spec, bound: listener.bound };
}

function sortedByName<T extends { readonly name: string }>(items: T[]): T[] {
  return items.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
