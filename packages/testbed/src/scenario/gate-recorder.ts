/**
 * Records, per pod UID, every value of the readiness-gate condition an outside watcher sees
 * (status, reason, message, lastTransitionTime), so a test can assert that a gate went True
 * and never left it, or that it stayed False with a given reason.
 */
import type { KubeConfig, V1Pod } from '@kubernetes/client-node';
import { silentLogger } from '../harness/logger.ts';
import { type PodWatch, startPodWatch } from '../harness/pod-watch.ts';
import { waitFor } from '../harness/wait.ts';

export interface GateValue {
  readonly status: string;
  readonly reason: string;
  readonly message: string;
  readonly lastTransitionTime: string;
  /** Wall-clock ms when the watcher first saw this value. */
  readonly seenAt: number;
}

export class GateRecorder {
  readonly #byUid = new Map<string, GateValue[]>();
  readonly #gateType: string;
  #watch: PodWatch | undefined;

  private constructor(gateType: string) {
    this.#gateType = gateType;
  }

  /** Watches the pods of `namespace` from now on. */
  static async start(kubeConfig: KubeConfig, namespace: string, gateType: string): Promise<GateRecorder> {
    const recorder = new GateRecorder(gateType);
    recorder.#watch = await startPodWatch({
      kubeConfig,
      fieldSelector: `metadata.namespace=${namespace}`,
      onUpsert: (pod) => recorder.#see(pod),
      onDelete: () => {},
      log: silentLogger,
    });
    return recorder;
  }

  #see(pod: V1Pod): void {
    const uid = pod.metadata?.uid;
    const c = pod.status?.conditions?.find((x) => x.type === this.#gateType);
    if (!uid || !c) return;
    const value: GateValue = {
      status: c.status,
      reason: c.reason ?? '',
      message: c.message ?? '',
      lastTransitionTime: c.lastTransitionTime ? new Date(c.lastTransitionTime).toISOString() : '',
      seenAt: Date.now(),
    };
    let history = this.#byUid.get(uid);
    if (!history) this.#byUid.set(uid, (history = []));
    const last = history.at(-1);
    const same = last && last.status === value.status && last.reason === value.reason && last.message === value.message && last.lastTransitionTime === value.lastTransitionTime;
    if (!same) history.push(value);
  }

  /** Every distinct value seen for the pod, oldest first. */
  history(uid: string): readonly GateValue[] {
    return this.#byUid.get(uid) ?? [];
  }

  current(uid: string): GateValue | undefined {
    return this.#byUid.get(uid)?.at(-1);
  }

  /** Values seen after the first True (empty if it never went True). */
  afterFirstTrue(uid: string): readonly GateValue[] {
    const history = this.history(uid);
    const first = history.findIndex((v) => v.status === 'True');
    return first < 0 ? [] : history.slice(first + 1);
  }

  /** Waits until the pod's gate is seen with `status` (and the reason, if given); resolves with that value. */
  waitFor(uid: string, what: string, accept: (value: GateValue) => boolean, timeoutMs = 20_000): Promise<GateValue> {
    return waitFor(
      what,
      () => {
        const value = this.current(uid);
        return value && accept(value) ? value : undefined;
      },
      { timeoutMs, intervalMs: 50 },
    );
  }

  async stop(): Promise<void> {
    await this.#watch?.stop();
  }
}

/** One line per value: `True LBHealthy "..." (transition 12:00:01Z)`. */
export function describeGateHistory(history: readonly GateValue[]): string {
  return history.map((v) => `${v.status} ${v.reason} ${JSON.stringify(v.message)} (transition ${v.lastTransitionTime})`).join(' -> ') || '(no gate condition seen)';
}
