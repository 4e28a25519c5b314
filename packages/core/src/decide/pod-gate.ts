/**
 * A pod that carries Sluice's readiness gate but that no Sluice load balancer serves would stay
 * un-Ready forever, its ClusterIP traffic lost with it, and nobody told. This decides what such
 * a pod gets: its gate condition False with reason `NoLoadBalancer` and a message that says why
 * and the way out, and one Warning event. Pure. As soon as a Sluice Service selects the pod,
 * that Service's reconcile owns the condition again (and waits for its LB as usual), so a
 * Service created after its pods still gates them.
 */
import { type PodLike, podCondition } from '../model/kube-types.ts';
import { hasReadinessGate, isTerminating } from '../model/pod-state.ts';
import { conditionPatchBody, conditionToPatch, type GateCondition } from '../readiness/gate.ts';
import type { GatePatch, PlannedEvent } from './types.ts';

export const GATE_REASON_NO_LOAD_BALANCER = 'NoLoadBalancer';

export interface PodGateInput {
  readonly pod: PodLike;
  /** Keys of the Sluice Services that select the pod (by selector, or by their hand-written slices). */
  readonly servedBy: readonly string[];
  readonly gateConditionType: string;
  /** The class Sluice handles, for the message. */
  readonly loadBalancerClass: string;
  readonly handleUnclassed: boolean;
  readonly now: number;
}

export interface PodGatePlan {
  readonly patch?: GatePatch;
  readonly events: readonly PlannedEvent[];
}

export function decidePodGate(input: PodGateInput): PodGatePlan {
  const { pod, gateConditionType: gate } = input;
  if (!hasReadinessGate(pod, gate) || isTerminating(pod) || input.servedBy.length > 0) return { events: [] };
  const which = input.handleUnclassed ? `of type LoadBalancer with loadBalancerClass ${input.loadBalancerClass} or none` : `of type LoadBalancer with loadBalancerClass ${input.loadBalancerClass}`;
  const wanted: GateCondition = {
    status: 'False',
    reason: GATE_REASON_NO_LOAD_BALANCER,
    message: `No Service ${which} selects this pod, so no load balancer will report it healthy and it stays un-Ready. Create such a Service, or remove the readiness gate ${gate} from the pod template.`,
  };
  const patch = conditionToPatch(pod, gate, wanted);
  if (!patch) return { events: [] };
  const meta = pod.metadata ?? {};
  const ref = { kind: 'Pod' as const, namespace: meta.namespace ?? '', name: meta.name ?? '', uid: meta.uid ?? '' };
  const first = podCondition(pod, gate)?.reason !== GATE_REASON_NO_LOAD_BALANCER;
  return {
    patch: { pod: ref, condition: patch, body: conditionPatchBody(pod, gate, patch, new Date(input.now)) },
    events: first ? [{ object: ref, type: 'Warning', reason: GATE_REASON_NO_LOAD_BALANCER, message: wanted.message, when: 'end' }] : [],
  };
}
