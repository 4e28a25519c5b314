/**
 * Counters of every connection outcome and health check, per listener and per target.
 * Each accepted client connection ends in exactly one outcome: `refusedSourceRange`,
 * `refusedFirewall`, `refusedNoTarget`, `backendFailed`, `clientGone` or `proxied`.
 * `connectFailed` and `retried` count attempts, so one client can add several.
 * Byte counts include connections still open; `bytesIn` is client -> target (without the
 * PROXY header), `bytesOut` target -> client.
 */

export interface ListenerCounters {
  /** Client connections accepted by the socket (before any check). */
  accepted: number;
  /** Reset at accept: the client is outside the listener's `sourceRanges`. */
  refusedSourceRange: number;
  /** Reset at accept: the firewall denied client -> listener. */
  refusedFirewall: number;
  /** Reset: no target could be chosen at all (none eligible, fail-closed). */
  refusedNoTarget: number;
  /** Reset: every connect attempt to a target failed (refused, timed out, dropped by the firewall). */
  backendFailed: number;
  /** The client went away before a target accepted. */
  clientGone: number;
  /** Connected to a target and piped. */
  proxied: number;
  /** Connect attempts to targets that failed. */
  connectFailed: number;
  /** Connect attempts after a failed one (connect retries). */
  retried: number;
  /** Proxied connections closed because their target's drain expired. */
  closedByDrain: number;
  /** Proxied connections whose flow ended at the group's idle timeout (reset or dropped). */
  idleTimedOut: number;
  bytesIn: number;
  bytesOut: number;
}

export interface TargetCounters {
  /** Client connections proxied to this target. */
  proxied: number;
  /** Connect attempts to this target that failed (including those the firewall dropped). */
  connectFailed: number;
  /** Connect attempts to this target the firewall dropped (LB -> target denied). */
  blockedByFirewall: number;
  /** Connections closed because this target's drain expired. */
  closedByDrain: number;
  bytesIn: number;
  bytesOut: number;
  healthChecksOk: number;
  healthChecksFailed: number;
}

export interface ListenerStats extends ListenerCounters {
  readonly name: string;
  /** Proxied connections open now. */
  readonly active: number;
}

export interface TargetStats extends TargetCounters {
  readonly targetGroup: string;
  readonly ip: string;
  readonly port: number;
  /** Proxied connections open now (also those of a draining registration). */
  readonly active: number;
}

export interface DataPlaneStats {
  readonly listeners: readonly ListenerStats[];
  readonly targets: readonly TargetStats[];
}

export function listenerCounters(): ListenerCounters {
  return {
    accepted: 0,
    refusedSourceRange: 0,
    refusedFirewall: 0,
    refusedNoTarget: 0,
    backendFailed: 0,
    clientGone: 0,
    proxied: 0,
    connectFailed: 0,
    retried: 0,
    closedByDrain: 0,
    idleTimedOut: 0,
    bytesIn: 0,
    bytesOut: 0,
  };
}

export function targetCounters(): TargetCounters {
  return { proxied: 0, connectFailed: 0, blockedByFirewall: 0, closedByDrain: 0, bytesIn: 0, bytesOut: 0, healthChecksOk: 0, healthChecksFailed: 0 };
}
