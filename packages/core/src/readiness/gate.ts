/**
 * The readiness-gate decision for a pod. Pure.
 *
 * A gated pod's condition is True only when every one of its backends on the Service's LB
 * is registered for this very pod (pod UID, so a reused IP cannot lend it a dead pod's
 * health) and the LB reports it healthy. True is sticky: once a pod has passed the gate,
 * a later health flap is the LB's business (it stops sending traffic), not a reason to
 * flip the pod un-Ready and disturb the rollout or ClusterIP traffic.
 */

import type { DesiredPod } from '../model/build-desired.ts';
import { type PodLike, podCondition } from '../model/kube-types.ts';
import type { BackendStatus } from '../provider.ts';
import { backendAddressKey } from '../provider.ts';

export const GATE_REASON_HEALTHY = 'LBHealthy';
export const GATE_MESSAGE_HEALTHY = 'LB synced successfully';
export const GATE_REASON_REGISTERING = 'LBRegistering';
export const GATE_REASON_NOT_REGISTERED = 'LBNotRegistered';

export interface GateCondition {
  readonly status: 'True' | 'False';
  readonly reason: string;
  readonly message: string;
}

/** What the LB says of one pod on one Service. */
export function gateForPod(pod: DesiredPod, health: ReadonlyMap<string, BackendStatus>): GateCondition {
  const waiting: string[] = [];
  let registered = true;
  for (const key of pod.backendKeys) {
    const status = health.get(key);
    if (!status || (status.podUid !== undefined && status.podUid !== pod.uid)) {
      registered = false;
      waiting.push(`${key.replaceAll('|', ' ')} not registered`);
    } else if (status.health !== 'healthy') {
      waiting.push(`${key.replaceAll('|', ' ')} is ${status.health}${status.reason ? ` (${status.reason})` : ''}`);
    }
  }
  if (pod.backendKeys.length > 0 && waiting.length === 0) {
    return { status: 'True', reason: GATE_REASON_HEALTHY, message: GATE_MESSAGE_HEALTHY };
  }
  return {
    status: 'False',
    reason: registered ? GATE_REASON_REGISTERING : GATE_REASON_NOT_REGISTERED,
    message: `waiting for the load balancer: ${waiting.join('; ')}`,
  };
}

/** Combines one pod's decisions across every Service that selects it: True only if all are. */
export function combineGates(decisions: readonly GateCondition[]): GateCondition {
  const notReady = decisions.find((d) => d.status !== 'True');
  return notReady ?? { status: 'True', reason: GATE_REASON_HEALTHY, message: GATE_MESSAGE_HEALTHY };
}

/** Index BackendStatus by address key. */
export function healthByKey(statuses: readonly BackendStatus[]): Map<string, BackendStatus> {
  return new Map(statuses.map((s) => [backendAddressKey(s), s]));
}

/**
 * The condition to write, or undefined when nothing needs patching: the pod already has this
 * status, reason and message, or it already passed the gate (True is sticky).
 */
export function conditionToPatch(pod: PodLike, conditionType: string, wanted: GateCondition): GateCondition | undefined {
  const current = podCondition(pod, conditionType);
  if (current?.status === 'True') return undefined;
  if (current && current.status === wanted.status && current.reason === wanted.reason && current.message === wanted.message) return undefined;
  return wanted;
}

/**
 * A strategic-merge patch body for `pods/status` that sets one condition. Conditions merge
 * by `type`, so the kubelet's own conditions are untouched. lastTransitionTime moves only
 * when the status flips.
 */
export function conditionPatchBody(pod: PodLike, conditionType: string, wanted: GateCondition, now: Date): object {
  const current = podCondition(pod, conditionType);
  const flipped = current?.status !== wanted.status;
  const lastTransitionTime = flipped || !current?.lastTransitionTime ? now.toISOString() : new Date(current.lastTransitionTime).toISOString();
  return {
    status: {
      conditions: [
        { type: conditionType, status: wanted.status, reason: wanted.reason, message: wanted.message, lastProbeTime: null, lastTransitionTime },
      ],
    },
  };
}
