/**
 * What reconciles remember between runs, in one place. Every map here is a cache: decide()
 * reaches a correct plan without it, and each field says what a restart or a new leadership
 * term (which starts with an empty memory) costs. What a decision must not lose (the spec the
 * LB was last ensured with) lives on the Service instead (see decide/applied-spec.ts).
 */
import type { DecideMemory } from '../decide/types.ts';
import type { BackendStatus } from '../provider.ts';
import type { GateCondition } from '../readiness/gate.ts';

export class ReconcileMemory {
  /** Service key -> when ensureLoadBalancer last ran. Lost: the drift check waits one more period. */
  readonly ensuredAt = new Map<string, number>();
  /** Service key -> when its LB was last seen to exist. Lost: one getLoadBalancer read. */
  readonly verifiedAt = new Map<string, number>();
  /** Service key -> address key -> pod UID, for providers that cannot record it. Lost: registrations are attributed to the pod claiming the address. */
  readonly registrations = new Map<string, Map<string, string>>();
  /** Pod UID -> when its containers were first seen ready. Lost: the ContainersReady transition time is used (1 s resolution). */
  readonly readySince = new Map<string, number>();
  /** Pod UID -> when it was first seen terminating (drain latency metric only). */
  readonly terminatingSince = new Map<string, number>();
  /** Pod UID -> Service key -> that Service's gate decision. Lost: a pod selected by several Services waits until each has reconciled once. */
  readonly gates = new Map<string, Map<string, GateCondition>>();
  /** Report keys already made. Lost: each current report is made once more. */
  readonly reported = new Set<string>();
  /** Service key -> backend id -> refusal. Lost: a refused backend is offered again at once. */
  readonly rejected = new Map<string, Map<string, { message: string; at: number }>>();
  /**
   * Service key -> the last health read: when, what it said, and how many reads in a row found
   * nothing changed. Reconciles within one poll share it; writes update it to what the LB
   * holds after them (new registrations `initial`). Lost: one more read.
   */
  readonly health = new Map<string, { at: number; statuses: BackendStatus[]; unchanged: number }>();
  /** Pod UIDs whose drain was reported (metric and log line once per pod). */
  readonly drained = new Set<string>();
  /**
   * Pod UIDs whose gate this controller patched True (True is sticky). A reconcile that runs
   * before the pod cache has seen that patch would otherwise patch True again with a new
   * lastTransitionTime. Lost: such a pod may be patched True once more.
   */
  readonly passed = new Set<string>();

  /** The memory decide() reads for one Service. */
  view(key: string, podUids: Iterable<string>): DecideMemory {
    const otherGates = new Map<string, ReadonlyMap<string, GateCondition>>();
    for (const uid of podUids) {
      const perService = this.gates.get(uid);
      if (perService) otherGates.set(uid, new Map([...perService].filter(([k]) => k !== key)));
    }
    const ensuredAt = this.ensuredAt.get(key);
    const registrations = this.registrations.get(key);
    const rejected = this.rejected.get(key);
    const unchangedHealthReads = this.health.get(key)?.unchanged;
    return {
      ...(unchangedHealthReads ? { unchangedHealthReads } : {}),
      ...(ensuredAt !== undefined ? { ensuredAt } : {}),
      ...(registrations ? { registrations } : {}),
      readySince: this.readySince,
      passed: this.passed,
      otherGates,
      reported: this.reported,
      ...(rejected ? { rejected } : {}),
    };
  }

  forgetService(key: string): void {
    this.ensuredAt.delete(key);
    this.verifiedAt.delete(key);
    this.registrations.delete(key);
    this.rejected.delete(key);
    this.health.delete(key);
    for (const perService of this.gates.values()) perService.delete(key);
  }

  forgetPod(uid: string): void {
    this.readySince.delete(uid);
    this.terminatingSince.delete(uid);
    this.gates.delete(uid);
    this.drained.delete(uid);
    this.passed.delete(uid);
    for (const k of [...this.reported]) if (k.includes(`|${uid}`)) this.reported.delete(k);
  }
}
