/**
 * The `backend health changed` log lines of the local provider. The engine judges health
 * (in its own process by default, where the controller's log does not reach), so the
 * provider reports each change of a backend's checked health (`initial`, `healthy`,
 * `unhealthy`) the first time it reads it: readiness gates read health until their backends
 * are healthy, so every backend's way to `healthy` is logged before its gate passes.
 *
 * Fields: `service`, `listener` (`namespace/name:port`), `backend` (`ip:port`), `podUid`,
 * `from`, `to` and, for a failure, `reason`. `from` is `initial` for a backend this provider
 * registered and `unknown` for one first seen in another state (adopted from the engine).
 * Weight 0 (`draining`) is not a change of checked health and is not logged.
 */
import type { BackendStatus, Logger } from '@sluice/core';
import { hostPort } from '@sluice/dataplane';

type Checked = 'initial' | 'healthy' | 'unhealthy';

const CHECKED = new Set<string>(['initial', 'healthy', 'unhealthy']);

export interface ServiceRef {
  readonly namespace: string;
  readonly name: string;
}

export class HealthLog {
  readonly #log: Logger;
  /** Per load balancer (its engine prefix): per backend, the checked health last seen. */
  readonly #seen = new Map<string, Map<string, Checked>>();

  constructor(log: Logger) {
    this.#log = log;
  }

  /** Backends this provider just registered: their health starts at `initial`. Forgets the others. */
  registered(key: string, backends: readonly { readonly servicePort: string; readonly ip: string; readonly port: number; readonly podUid: string }[]): void {
    const before = this.#seen.get(key);
    const after = new Map<string, Checked>();
    for (const b of backends) {
      const id = backendId(b);
      after.set(id, before?.get(id) ?? 'initial');
    }
    this.#seen.set(key, after);
  }

  /** Logs every change of checked health since the last look, and remembers the current set. */
  observed(key: string, service: ServiceRef, statuses: readonly BackendStatus[]): void {
    const before = this.#seen.get(key);
    const after = new Map<string, Checked>();
    for (const s of statuses) {
      const id = backendId({ ...s, podUid: s.podUid ?? '' });
      const previous = before?.get(id);
      if (!CHECKED.has(s.health)) {
        if (previous !== undefined) after.set(id, previous);
        continue;
      }
      const now = s.health as Checked;
      after.set(id, now);
      if (previous === now || (previous === undefined && now === 'initial')) continue;
      this.#log.info('backend health changed', {
        service: `${service.namespace}/${service.name}`,
        listener: `${service.namespace}/${service.name}:${s.servicePort}`,
        backend: hostPort(s.ip, s.port),
        podUid: s.podUid,
        from: previous ?? 'unknown',
        to: now,
        ...(now !== 'healthy' && s.reason !== undefined ? { reason: s.reason } : {}),
      });
    }
    this.#seen.set(key, after);
  }

  forget(key: string): void {
    this.#seen.delete(key);
  }
}

function backendId(b: { readonly servicePort: string; readonly ip: string; readonly port: number; readonly podUid: string }): string {
  return `${b.servicePort}|${b.ip}|${b.port}|${b.podUid}`;
}
