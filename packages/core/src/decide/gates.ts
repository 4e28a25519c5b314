/**
 * The readiness-gate part of decide(): each desired pod's condition on this Service, combined
 * with the other Sluice Services that select it, the patches that follows, and the reports of
 * gates waiting too long. Pure.
 */
import type { DesiredPod, DesiredState } from '../model/build-desired.ts';
import { type PodLike, podCondition } from '../model/kube-types.ts';
import { containersReady, hasReadinessGate, isTerminating } from '../model/pod-state.ts';
import type { BackendStatus } from '../provider.ts';
import {
  combineGates,
  conditionPatchBody,
  conditionToPatch,
  GATE_MESSAGE_HEALTHY,
  GATE_REASON_HEALTHY,
  GATE_REASON_REGISTERING,
  type GateCondition,
  gateForPod,
  healthByKey,
} from '../readiness/gate.ts';
import type { Held } from './holds.ts';
import type { DecideInput, GatePatch, PlannedEvent, PlanObjectRef } from './types.ts';

export const GATE_REASON_INVALID_WEIGHT = 'InvalidWeight';
export const GATE_REASON_REJECTED = 'LBRegistrationFailed';
export const GATE_REASON_ADDRESS_CONFLICT = 'AddressConflict';
export const GATE_REASON_SERVICE_REFUSED = 'ServiceRefused';

/** A gated pod still waiting, with the condition this plan gives it. */
export interface WaitingGate {
  readonly pod: DesiredPod;
  readonly wanted: GateCondition;
}

/** `ip:port (Service port p)` of an address key. */
export const address = (key: string) => {
  const [port = '', ip = '', target = ''] = key.split('|');
  return `${ip.includes(':') ? `[${ip}]` : ip}:${target} (Service port ${port})`;
};

export function podRef(p: { namespace: string; name: string; uid: string }): PlanObjectRef {
  return { kind: 'Pod', namespace: p.namespace, name: p.name, uid: p.uid };
}

/** When a pod's containers became ready: as this process saw it, else the condition's transition time. */
function readySince(input: DecideInput, pod: PodLike | undefined, uid: string): number {
  const seen = input.memory.readySince?.get(uid);
  if (seen !== undefined) return seen;
  const t = pod ? podCondition(pod, 'ContainersReady')?.lastTransitionTime : undefined;
  const ms = t === undefined ? Number.NaN : new Date(t).getTime();
  return Number.isNaN(ms) ? input.now : Math.min(ms, input.now);
}

const familyOf = (ip: string): string => (ip.includes(':') ? 'IPv6' : 'IPv4');

/**
 * The families of the pod's addresses that the Service balances to but no EndpointSlice has
 * brought yet: a dual-stack Service gets one slice per family, written apart, and a pod must
 * not pass its gate on one family while the other is still on its way.
 */
function missingFamilies(families: readonly string[], p: DesiredPod, pod: PodLike | undefined): string[] {
  if (families.length < 2) return [];
  const podFamilies = new Set((pod?.status?.podIPs ?? []).map((a) => familyOf(a.ip)));
  const have = new Set(p.backendKeys.map((k) => familyOf(k.split('|')[1] ?? '')));
  return families.filter((f) => podFamilies.has(f) && !have.has(f));
}

/** This Service's view of one pod's gate; `families` are the Service's IP families. */
function myGate(input: DecideInput, families: readonly string[], p: DesiredPod, pod: PodLike | undefined, after: ReadonlyMap<string, BackendStatus>, held: Held): GateCondition {
  if (input.options.gate === false) return { status: 'True', reason: GATE_REASON_HEALTHY, message: GATE_MESSAGE_HEALTHY };
  if (held.offForWeight.has(p.uid) && p.invalidWeight) {
    return { status: 'False', reason: GATE_REASON_INVALID_WEIGHT, message: `${p.invalidWeight.message} The pod is kept off the load balancer until the annotation is fixed.` };
  }
  const refused = held.rejected.get(p.uid);
  if (refused) return { status: 'False', reason: GATE_REASON_REJECTED, message: `The load balancer refused this pod: ${refused.map((r) => r.message).join(' ')}` };
  if (p.backendKeys.length === 0 && p.lostAddresses?.length) {
    const c = p.lostAddresses[0]!;
    return { status: 'False', reason: GATE_REASON_ADDRESS_CONFLICT, message: `Address ${address(c.key)} is held on the load balancer by pod ${c.winnerName}, which claims the same IP and port.` };
  }
  const missing = missingFamilies(families, p, pod);
  if (missing.length > 0) {
    return { status: 'False', reason: GATE_REASON_REGISTERING, message: `waiting for the pod's ${missing.join(' and ')} address in the Service's EndpointSlices` };
  }
  return gateForPod(p, after);
}

export function decideGates(
  input: DecideInput,
  families: readonly string[],
  podsByUid: ReadonlyMap<string, PodLike>,
  desired: DesiredState,
  after: readonly BackendStatus[],
  held: Held,
  svcRef: PlanObjectRef,
  events: PlannedEvent[],
): { patches: GatePatch[]; decisions: Map<string, GateCondition>; waiting: WaitingGate[] } {
  const byKey = healthByKey(after);
  const gateType = input.options.gateConditionType;
  const patches: GatePatch[] = [];
  const decisions = new Map<string, GateCondition>();
  const waiting: WaitingGate[] = [];
  for (const p of desired.pods) {
    const pod = podsByUid.get(p.uid);
    if (!pod || !p.gated) continue;
    const mine = myGate(input, families, p, pod, byKey, held);
    decisions.set(p.uid, mine);
    // The pod passes only when every handled Service that selects it agrees; one not yet heard from holds it.
    const others = (input.otherServicesOfPod?.get(p.uid) ?? []).map(
      (k) => input.memory.otherGates?.get(p.uid)?.get(k) ?? { status: 'False' as const, reason: GATE_REASON_REGISTERING, message: `waiting for Service ${k}` },
    );
    const wanted = combineGates([mine, ...others]);
    const patch = conditionToPatch(pod, gateType, wanted);
    // Already patched True by this controller; the cached pod may not show it yet.
    if (patch && !(patch.status === 'True' && input.memory.passed?.has(p.uid))) {
      if (patch.status === 'False' && (patch.reason === GATE_REASON_REGISTERING || patch.reason === 'LBNotRegistered') && !podCondition(pod, gateType)) {
        events.push({ object: podRef(p), type: 'Normal', reason: 'WaitingForLoadBalancer', message: `Registered on the load balancer; ${patch.message}`, when: 'end' });
      }
      const since = readySince(input, pod, p.uid);
      patches.push({
        pod: podRef(p),
        condition: patch,
        body: conditionPatchBody(pod, gateType, patch, new Date(input.now)),
        ...(patch.status === 'True' ? { passedAfterMs: input.now - since } : {}),
      });
    }
    if (wanted.status !== 'True' && podCondition(pod, gateType)?.status !== 'True') waiting.push({ pod: p, wanted });
  }
  // Ready pods this Service selects but does not balance to (no matching port) have no say: they pass here.
  const inDesired = new Set(desired.pods.map((p) => p.uid));
  for (const pod of input.selectedPods) {
    const uid = pod.metadata?.uid;
    if (uid && !inDesired.has(uid) && containersReady(pod) && !decisions.has(uid)) {
      decisions.set(uid, { status: 'True', reason: GATE_REASON_HEALTHY, message: `not a backend of Service ${svcRef.namespace}/${svcRef.name}` });
    }
  }
  return { patches, decisions, waiting };
}

/**
 * The gates of a Service refused for bad input (mode `invalid`): it gets no LB until fixed, so
 * each live gated pod it selects that has not passed is told why it waits (False, reason
 * `ServiceRefused`, the Service's problems as message) instead of waiting with no word. A pod
 * that passed keeps its condition: gates never go back.
 */
export function refusedServiceGates(input: DecideInput, svcRef: PlanObjectRef, problems: string): { patches: GatePatch[]; decisions: Map<string, GateCondition> } {
  const gateType = input.options.gateConditionType;
  const patches: GatePatch[] = [];
  const decisions = new Map<string, GateCondition>();
  if (input.options.gate === false) return { patches, decisions };
  const wanted: GateCondition = {
    status: 'False',
    reason: GATE_REASON_SERVICE_REFUSED,
    message: `Service ${svcRef.namespace}/${svcRef.name} gets no load balancer until its configuration is fixed: ${problems}`,
  };
  for (const pod of input.selectedPods) {
    const uid = pod.metadata?.uid;
    if (!uid || !hasReadinessGate(pod, gateType) || isTerminating(pod)) continue;
    decisions.set(uid, wanted);
    const patch = conditionToPatch(pod, gateType, wanted);
    if (!patch || input.memory.passed?.has(uid)) continue;
    const ref = { kind: 'Pod' as const, namespace: pod.metadata?.namespace ?? svcRef.namespace, name: pod.metadata?.name ?? '', uid };
    patches.push({ pod: ref, condition: patch, body: conditionPatchBody(pod, gateType, patch, new Date(input.now)) });
  }
  return { patches, decisions };
}

/** A Warning once per pod whose gate has waited past the Service's limit; returns how many gates wait. */
export function stuckReports(input: DecideInput, podsByUid: ReadonlyMap<string, PodLike>, waiting: readonly WaitingGate[], timeoutSeconds: number, svcRef: PlanObjectRef, events: PlannedEvent[]): number {
  const gateType = input.options.gateConditionType;
  for (const { pod: p, wanted } of waiting) {
    const pod = podsByUid.get(p.uid);
    const since = readySince(input, pod, p.uid);
    const waited = input.now - since;
    const reportKey = `stuck|${p.uid}`;
    if (waited <= timeoutSeconds * 1000 || input.memory.reported?.has(reportKey)) continue;
    const message = `Readiness gate ${gateType} has waited ${Math.round(waited / 1000)}s for the load balancer (limit ${timeoutSeconds}s): ${(pod && podCondition(pod, gateType)?.message) ?? wanted.message}`;
    events.push({ object: podRef(p), type: 'Warning', reason: 'ReadinessGateStuck', message, when: 'end', reportKey, stuckMs: waited });
    events.push({ object: svcRef, type: 'Warning', reason: 'ReadinessGateStuck', message: `Pod ${p.name}: ${message}`, when: 'end' });
  }
  return waiting.length;
}
