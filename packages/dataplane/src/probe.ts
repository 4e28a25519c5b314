/**
 * One health check of one target: the result type every probe kind shares, and the
 * dispatch to the TCP or HTTP probe. A check the firewall drops is a probe that never gets
 * an answer: it fails at its timeout, as a dropped SYN does.
 */
import type { TimerHandle, Timers } from './timers.ts';

export interface ProbeResult {
  readonly ok: boolean;
  /** Why the check failed: a socket error code, an HTTP status, or a timeout. */
  readonly reason?: string;
}

export interface Probe {
  readonly result: Promise<ProbeResult>;
  /** Abandons the check and frees its socket; `result` then never settles. */
  cancel(): void;
}

/** What every probe kind needs. */
export interface ProbeTarget {
  readonly host: string;
  readonly port: number;
  /** The probe socket's local address (the health check's source), when set. */
  readonly localAddress: string | undefined;
  /** The configured timeout, in vendor units, for the failure reason. */
  readonly timeoutMs: number;
  /** The timeout as it runs (configured timeout times the time scale). */
  readonly scaledTimeoutMs: number;
  readonly timers: Timers;
}

/** A settle-once result with a timeout, the skeleton of every probe. */
export function probeSkeleton(target: ProbeTarget, cleanup: () => void): {
  readonly probe: Probe;
  finish(outcome: ProbeResult): void;
} {
  let settle: (result: ProbeResult) => void = () => {};
  const result = new Promise<ProbeResult>((resolve) => {
    settle = resolve;
  });
  let timer: TimerHandle | undefined;
  const finish = (outcome: ProbeResult): void => {
    if (timer !== undefined) target.timers.clearTimeout(timer);
    timer = undefined;
    cleanup();
    settle(outcome);
    settle = () => {};
  };
  timer = target.timers.setTimeout(() => finish({ ok: false, reason: `no answer within ${target.timeoutMs} ms` }), target.scaledTimeoutMs);
  return {
    finish,
    probe: {
      result,
      cancel() {
        settle = () => {};
        finish({ ok: false });
      },
    },
  };
}

/** A check the firewall drops: it fails at its timeout, naming the rule. */
export function probeBlocked(target: ProbeTarget, rule: string | undefined): Probe {
  const { probe } = probeSkeleton(target, () => {});
  return {
    cancel: probe.cancel,
    result: probe.result.then((r) => ({
      ok: false,
      reason: `${r.reason ?? 'no answer'} (dropped by ${rule === undefined ? 'the firewall default action' : `firewall rule ${rule}`})`,
    })),
  };
}
