/**
 * Active health checking of one target registration.
 *
 * Contract: the first check starts in `start()`, synchronously (the registration delay,
 * if any, has already passed), so a readiness gate waiting on a new target is not held back
 * by a full interval. The next check is scheduled `intervalMs` (times the time scale) after
 * the previous one finished, so checks of one target never overlap. The health check spec is
 * read at every check, so a changed spec applies from the next check on. Before each check
 * the firewall judges it (source: the check's address and tags; destination: the target);
 * a dropped check fails at its timeout. Failed proxy connects can be fed in through
 * `recordFailure`. After `stop()` no timer or socket of this checker remains and no result
 * is recorded.
 */
import type { Firewall } from './firewall.ts';
import { type CheckedHealth, type HealthCounters, initialHealth, recordCheck } from './health-state.ts';
import { type Probe, type ProbeTarget, probeBlocked } from './probe.ts';
import { probeHttp } from './probe-http.ts';
import { probeTcp } from './probe-tcp.ts';
import type { ResolvedHealthCheckSpec } from './spec.ts';
import { parseStatusMatcher } from './status-matcher.ts';
import type { TimerHandle, Timers } from './timers.ts';

export interface HealthCheckerOptions {
  readonly ip: string;
  /** The target's port: checked unless the spec names another. */
  readonly port: number;
  /** The target's firewall tags, read at each check. */
  readonly tags: () => readonly string[];
  /** The group's health check, read at each check. */
  readonly spec: () => ResolvedHealthCheckSpec | undefined;
  readonly firewall: Firewall;
  /** A configured duration as it runs (times the time scale). */
  readonly scale: (ms: number) => number;
  readonly timers: Timers;
  /** Called after every check result (not for `recordFailure`). */
  readonly onResult?: (ok: boolean) => void;
  /** Called when the checked state changes, with the reason of the last failure if any. */
  readonly onTransition?: (from: CheckedHealth, to: CheckedHealth, reason: string | undefined) => void;
}

export class HealthChecker {
  readonly #options: HealthCheckerOptions;
  #counters: HealthCounters = initialHealth;
  #reason: string | undefined;
  #timer: TimerHandle | undefined;
  #probe: Probe | undefined;
  #running = false;

  constructor(options: HealthCheckerOptions) {
    this.#options = options;
  }

  get state(): CheckedHealth {
    return this.#counters.state;
  }

  /** The reason of the most recent failure, cleared by a success. */
  get reason(): string | undefined {
    return this.#reason;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#check();
  }

  stop(): void {
    this.#running = false;
    if (this.#timer !== undefined) this.#options.timers.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#probe?.cancel();
    this.#probe = undefined;
  }

  /** Counts a failure observed outside the checks (a refused or timed-out proxy connect). */
  recordFailure(reason: string): void {
    const spec = this.#options.spec();
    if (this.#running && spec !== undefined) this.#record(false, reason, spec);
  }

  #check(): void {
    const spec = this.#options.spec();
    if (spec === undefined) return;
    const probe = this.#startProbe(spec);
    this.#probe = probe;
    void probe.result.then((result) => {
      if (!this.#running || this.#probe !== probe) return;
      this.#probe = undefined;
      this.#options.onResult?.(result.ok);
      this.#record(result.ok, result.reason, this.#options.spec() ?? spec);
      const next = this.#options.spec();
      if (next === undefined) return;
      this.#timer = this.#options.timers.setTimeout(() => {
        this.#timer = undefined;
        if (this.#running) this.#check();
      }, this.#options.scale(next.intervalMs));
    });
  }

  #startProbe(spec: ResolvedHealthCheckSpec): Probe {
    const { ip, firewall, timers } = this.#options;
    const port = spec.port ?? this.#options.port;
    const target: ProbeTarget = {
      host: ip,
      port,
      localAddress: spec.source.address,
      timeoutMs: spec.timeoutMs,
      scaledTimeoutMs: this.#options.scale(spec.timeoutMs),
      timers,
    };
    const verdict = firewall.evaluate({
      direction: 'to-target',
      source: { address: spec.source.address, tags: spec.source.tags },
      destination: { address: ip, port, tags: this.#options.tags() },
    });
    if (verdict.action === 'deny') return probeBlocked(target, verdict.rule);
    if (spec.protocol === 'tcp') return probeTcp(target);
    const hostHeader = spec.host ?? (ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`);
    return probeHttp({ ...target, path: spec.path, hostHeader, matcher: parseStatusMatcher('healthCheck.matcher', spec.matcher) });
  }

  #record(ok: boolean, reason: string | undefined, spec: ResolvedHealthCheckSpec): void {
    const before = this.#counters.state;
    this.#counters = recordCheck(this.#counters, ok, spec);
    this.#reason = ok ? undefined : reason;
    if (this.#counters.state !== before) this.#options.onTransition?.(before, this.#counters.state, this.#reason);
  }
}
