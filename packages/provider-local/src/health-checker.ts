/**
 * Active health checking of one backend registration.
 *
 * Contract: the first check starts in `start()`, synchronously, so a readiness gate waiting
 * on a new backend is not held back by a full interval. The next check is scheduled
 * `intervalMs` after the previous one finished, so checks of one backend never overlap.
 * Failed proxy connects are fed in through `recordFailure` and count like failed checks.
 * After `stop()` no timer or socket of this checker remains and no result is recorded.
 */
import { type CheckedHealth, type HealthCounters, type HealthThresholds, initialHealth, recordCheck } from './health-state.ts';
import type { TimerHandle, Timers } from './options.ts';
import { type Probe, probeTcp } from './tcp-probe.ts';

export interface HealthCheckerOptions extends HealthThresholds {
  readonly host: string;
  readonly port: number;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly timers: Timers;
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
    if (this.#running) this.#record(false, reason);
  }

  #check(): void {
    const { host, port, timeoutMs, timers } = this.#options;
    const probe = probeTcp(host, port, timeoutMs, timers);
    this.#probe = probe;
    void probe.result.then((result) => {
      if (!this.#running || this.#probe !== probe) return;
      this.#probe = undefined;
      this.#record(result.ok, result.reason);
      this.#timer = timers.setTimeout(() => {
        this.#timer = undefined;
        if (this.#running) this.#check();
      }, this.#options.intervalMs);
    });
  }

  #record(ok: boolean, reason: string | undefined): void {
    const before = this.#counters.state;
    this.#counters = recordCheck(this.#counters, ok, this.#options);
    this.#reason = ok ? undefined : reason;
    if (this.#counters.state !== before) this.#options.onTransition?.(before, this.#counters.state, this.#reason);
  }
}
