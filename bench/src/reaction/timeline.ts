/**
 * What happened to each pod of one reaction run, from three sources with comparable clocks:
 * the pod stamper (containers ready was accepted by the API server), the bench (its DELETE
 * returned) and the controller process (registration write returned, gate True patch
 * returned, drain write returned). Turns them into the gate and drain samples.
 */
import { type Percentiles, percentiles } from '../scale/cluster.ts';

interface PodTimes {
  containersReady?: number;
  registered?: number;
  gatePassed?: number;
  /** The controller's own view: containers ready seen -> gate patched. */
  gateWaitedMs?: number;
  deleted?: number;
  drained?: number;
  /** The stamper removed the pod (its containers had exited). */
  removed?: number;
  /** The controller's own view: deletion seen -> drain written. */
  drainLatencyMs?: number;
}

export interface ReactionSamples {
  /** Containers ready -> backend registered. */
  readonly readyToRegistered: Percentiles;
  /** Backend registered -> gate condition True. */
  readonly registeredToGate: Percentiles;
  /** Containers ready -> gate condition True. */
  readonly gate: Percentiles;
  /** DELETE accepted -> drain applied on the provider. */
  readonly drain: Percentiles;
  /** The same two as the controller measures them (from when its informer saw the change). */
  readonly controllerGate: Percentiles;
  readonly controllerDrain: Percentiles;
  /** Churn pods that never passed the gate within the wait. */
  readonly missingGates: number;
  /** Deleted pods removed (preStop over) before the controller drained them. */
  readonly missedDrains: number;
}

export class Timeline {
  readonly #pods = new Map<string, PodTimes>();
  /** Pods the churn created: their gates are the gate samples (not the initial population's). */
  readonly #created = new Set<string>();
  /** Pods the churn deleted: their drains are the drain samples. */
  readonly #deleted = new Set<string>();

  #of(uid: string): PodTimes {
    let t = this.#pods.get(uid);
    if (!t) this.#pods.set(uid, (t = {}));
    return t;
  }

  /** A pod the churn created: its gate is a sample. */
  created(uid: string): void {
    this.#created.add(uid);
  }

  containersReady(uid: string, at: number): void {
    this.#of(uid).containersReady ??= at;
  }

  registered(uid: string, at: number): void {
    this.#of(uid).registered ??= at;
  }

  gatePassed(uid: string, at: number, waitedMs: number): void {
    const t = this.#of(uid);
    t.gatePassed ??= at;
    t.gateWaitedMs ??= waitedMs;
  }

  /** The churn's DELETE of the pod returned: its drain is a sample. */
  deleted(uid: string, at: number): void {
    this.#deleted.add(uid);
    this.#of(uid).deleted ??= at;
  }

  drained(uid: string, at: number, latencyMs: number): void {
    const t = this.#of(uid);
    t.drained ??= at;
    t.drainLatencyMs ??= latencyMs;
  }

  /** The pod is gone: a drain not written by now will not be (its backend is simply removed). */
  removed(uid: string, at: number): void {
    this.#of(uid).removed ??= at;
  }

  hasPassed(uid: string): boolean {
    return this.#pods.get(uid)?.gatePassed !== undefined;
  }

  /** Created pods still waiting for their gate, and deleted pods neither drained nor removed yet. */
  outstanding(): { gates: number; drains: number } {
    let gates = 0;
    let drains = 0;
    for (const uid of this.#created) if (this.#pods.get(uid)?.gatePassed === undefined) gates++;
    for (const uid of this.#deleted) {
      const t = this.#pods.get(uid);
      if (t?.drained === undefined && t?.removed === undefined) drains++;
    }
    return { gates, drains };
  }

  /** Deleted pods that were removed before their drain was written (their backend was never drained). */
  missedDrains(): number {
    let n = 0;
    for (const uid of this.#deleted) {
      const t = this.#pods.get(uid);
      if (t?.drained === undefined || (t.removed !== undefined && t.drained > t.removed)) n++;
    }
    return n;
  }

  samples(): ReactionSamples {
    const readyToRegistered: number[] = [];
    const registeredToGate: number[] = [];
    const gate: number[] = [];
    const drain: number[] = [];
    const controllerGate: number[] = [];
    const controllerDrain: number[] = [];
    for (const uid of this.#created) {
      const t = this.#pods.get(uid) ?? {};
      if (t.containersReady !== undefined && t.gatePassed !== undefined) {
        gate.push(t.gatePassed - t.containersReady);
        if (t.registered !== undefined) {
          readyToRegistered.push(t.registered - t.containersReady);
          registeredToGate.push(t.gatePassed - t.registered);
        }
      }
      if (t.gateWaitedMs !== undefined) controllerGate.push(t.gateWaitedMs);
    }
    for (const uid of this.#deleted) {
      const t = this.#pods.get(uid) ?? {};
      if (t.deleted !== undefined && t.drained !== undefined) drain.push(t.drained - t.deleted);
      if (t.drainLatencyMs !== undefined) controllerDrain.push(t.drainLatencyMs);
    }
    const { gates } = this.outstanding();
    return {
      readyToRegistered: percentiles(readyToRegistered),
      registeredToGate: percentiles(registeredToGate),
      gate: percentiles(gate),
      drain: percentiles(drain),
      controllerGate: percentiles(controllerGate),
      controllerDrain: percentiles(controllerDrain),
      missingGates: gates,
      missedDrains: this.missedDrains(),
    };
  }
}
