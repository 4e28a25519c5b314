/**
 * The backend part of decide(): pod UIDs filled in from memory, the pod-level holds (an invalid
 * weight, a refused backend), the health the gate may assume after the plan, and the removals
 * that were never drained. Pure.
 */
import { currentBackends } from '../apply/apply.ts';
import type { DesiredBackend, DesiredState } from '../model/build-desired.ts';
import { hasExited } from '../model/pod-state.ts';
import { applyToSet, type BackendAction } from '../plan/plan.ts';
import type { BackendStatus } from '../provider.ts';
import { backendAddressKey } from '../provider.ts';
import { healthByKey } from '../readiness/gate.ts';
import type { DecideInput } from './types.ts';

/** How long a refused backend waits before it is offered again, unless the options say. */
export const REJECTED_RETRY_MS = 30_000;

/** Removals of backends still taking new connections whose pod is gone or has exited. */
export function missedDrains(input: DecideInput, actions: readonly BackendAction[]): { podUid: string; address: string }[] {
  const byUid = new Map(input.pods.map((p) => [p.metadata?.uid ?? '', p]));
  const out: { podUid: string; address: string }[] = [];
  for (const a of actions) {
    if (a.kind !== 'deregister' || a.actual.weight === 0 || a.actual.health === 'draining') continue;
    const pod = a.actual.podUid !== undefined ? byUid.get(a.actual.podUid) : undefined;
    if (pod && !hasExited(pod)) continue; // a live pod leaving the Service (not ready, relabelled) is not a drain
    out.push({ podUid: a.actual.podUid ?? '', address: `${a.actual.ip}:${a.actual.port}` });
  }
  return out;
}

/** Health with pod UIDs filled in from what this process registered, for providers that cannot record them. */
export function withRegistrations(input: DecideInput): BackendStatus[] {
  const known = input.memory.registrations;
  if (input.provider.capabilities.tracksPodUid || !known) return [...input.health];
  return input.health.map((a) => {
    const uid = known.get(backendAddressKey(a));
    return uid === undefined || a.podUid !== undefined ? a : { ...a, podUid: uid };
  });
}

export interface Held {
  readonly backends: DesiredBackend[];
  /** Pod UIDs whose invalid weight keeps them off the LB. */
  readonly offForWeight: Set<string>;
  /** Pod UID -> its refused backends still waiting for a retry. */
  readonly rejected: Map<string, { readonly id: string; readonly message: string; readonly at: number }[]>;
  readonly retryAt: number[];
}

/**
 * The desired set with pod-level holds applied. A backend held back (invalid weight, or
 * refused by the provider and not yet due for a retry) keeps its registration exactly as the
 * LB has it for this pod, or stays off the LB when it has none.
 */
export function holdBackends(input: DecideInput, desired: DesiredState, health: readonly BackendStatus[]): Held {
  const actual = healthByKey(health);
  const retryMs = input.options.rejectedRetryMs ?? REJECTED_RETRY_MS;
  const offForWeight = new Set<string>();
  const rejected: Held['rejected'] = new Map();
  const retryAt: number[] = [];
  const backends: DesiredBackend[] = [];
  for (const d of desired.backends) {
    if (d.draining) {
      backends.push(d);
      continue;
    }
    const refusal = input.memory.rejected?.get(d.id);
    const refused = refusal !== undefined && input.now - refusal.at < retryMs;
    if (refused) {
      rejected.set(d.podUid, [...(rejected.get(d.podUid) ?? []), { id: d.id, ...refusal }]);
      retryAt.push(refusal.at + retryMs);
    }
    if (!d.invalidWeight && !refused) {
      backends.push(d);
      continue;
    }
    const a = actual.get(d.key);
    if (a && (a.podUid === undefined || a.podUid === d.podUid)) backends.push({ ...d, weight: a.weight });
    else if (d.invalidWeight) offForWeight.add(d.podUid);
  }
  return { backends, offForWeight, rejected, retryAt };
}

/** What the LB holds after the plan, with the health the gate may assume: new registrations start `initial`. */
export function healthAfter(actual: readonly BackendStatus[], desired: readonly DesiredBackend[], actions: readonly BackendAction[]): BackendStatus[] {
  if (actions.length === 0) return [...actual];
  const before = healthByKey(actual);
  return applyToSet(currentBackends(actual, desired), actions).map((b) => {
    const prior = before.get(backendAddressKey(b));
    const same = prior && (prior.podUid === undefined || prior.podUid === b.podUid);
    const health = b.weight === 0 ? 'draining' : same ? prior.health : 'initial';
    // A kept registration keeps the reason the LB gave for its health (the gate message names it).
    return { servicePort: b.servicePort, ip: b.ip, port: b.port, podUid: b.podUid, weight: b.weight, health, ...(same && health === prior.health && prior.reason ? { reason: prior.reason } : {}) };
  });
}
