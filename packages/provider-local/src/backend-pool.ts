/**
 * The backends of one Service port: registrations, their health checkers and the choice
 * of backend for each new connection.
 *
 * Identity is Service port + IP + port + pod UID. The same IP and port under another pod
 * UID is a new pod that reused a dead pod's address, so it becomes a new registration
 * whose health starts again at `initial`; it must not inherit the old pod's health.
 */
import { type Backend, type BackendStatus, backendAddressKey } from '@sluice/core';
import type { HealthChecker } from './health-checker.ts';
import { pickSmoothWeighted, type WeightedPeer } from './weighted-round-robin.ts';

/** One registration as the proxy sees it. */
export interface PoolEntry extends WeightedPeer {
  /** Unique per registration within its pool (a re-registration under a new pod UID gets a new id). */
  readonly id: number;
  readonly ip: string;
  readonly port: number;
  readonly podUid: string;
  weight: number;
  readonly checker: HealthChecker;
}

export type HealthCheckerFactory = (backend: Backend) => HealthChecker;

export class BackendPool {
  readonly #entries = new Map<string, PoolEntry>();
  readonly #createChecker: HealthCheckerFactory;
  #nextId = 1;

  constructor(createChecker: HealthCheckerFactory) {
    this.#createChecker = createChecker;
  }

  get size(): number {
    return this.#entries.size;
  }

  /**
   * Makes the pool hold exactly `backends`: new registrations start health checking at
   * once, weight changes apply in place (health and open connections untouched), and
   * registrations no longer listed stop being chosen. Open connections to a removed
   * backend are left alone: its pod is exiting on its own schedule.
   */
  replace(backends: readonly Backend[]): void {
    const wanted = new Map<string, Backend>();
    for (const backend of backends) wanted.set(backendAddressKey(backend), backend);

    for (const [key, entry] of this.#entries) {
      const next = wanted.get(key);
      if (next === undefined || next.podUid !== entry.podUid) {
        entry.checker.stop();
        this.#entries.delete(key);
      }
    }
    for (const [key, backend] of wanted) {
      const entry = this.#entries.get(key);
      if (entry !== undefined) {
        entry.weight = backend.weight;
        continue;
      }
      const checker = this.#createChecker(backend);
      this.#entries.set(key, {
        id: this.#nextId++,
        ip: backend.ip,
        port: backend.port,
        podUid: backend.podUid,
        weight: backend.weight,
        currentWeight: 0,
        checker,
      });
      checker.start();
    }
  }

  /**
   * Chooses the backend for a new connection by smooth weighted round-robin, skipping
   * weight-0 (draining) backends and those in `tried`. Healthy backends are preferred;
   * when none is healthy the not-yet-judged `initial` ones are tried, and when only
   * unhealthy ones remain they are tried as a last resort (fail open, as cloud load
   * balancers do), since refusing the connection outright is never better.
   */
  pick(tried: ReadonlySet<number>): PoolEntry | undefined {
    for (const tier of ['healthy', 'initial', 'unhealthy'] as const) {
      const candidates = [...this.#entries.values()].filter((e) => e.checker.state === tier && !tried.has(e.id));
      const chosen = pickSmoothWeighted(candidates);
      if (chosen !== undefined) return chosen;
    }
    return undefined;
  }

  statuses(servicePort: string): BackendStatus[] {
    return [...this.#entries.values()].map((entry) => {
      const draining = entry.weight === 0;
      const reason = draining ? 'weight is 0' : entry.checker.reason;
      return {
        servicePort,
        ip: entry.ip,
        port: entry.port,
        podUid: entry.podUid,
        weight: entry.weight,
        health: draining ? 'draining' : entry.checker.state,
        ...(reason === undefined ? {} : { reason }),
      };
    });
  }

  /** Stops every health checker and forgets every registration. */
  clear(): void {
    for (const entry of this.#entries.values()) entry.checker.stop();
    this.#entries.clear();
  }
}
