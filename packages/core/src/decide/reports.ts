/**
 * Warnings for pod-level problems, each made once (see DecideMemory.reported). Pure.
 */
import type { DesiredState } from '../model/build-desired.ts';
import { address, podRef } from './gates.ts';
import { type Held, REJECTED_RETRY_MS } from './holds.ts';
import type { DecideInput, PlannedEvent, PlanObjectRef } from './types.ts';

/** Warnings for pod-level problems, each once: an invalid weight, a refused backend, an address conflict. */
export function podReports(input: DecideInput, desired: DesiredState, held: Held, svcRef: PlanObjectRef, events: PlannedEvent[]): void {
  const reported = input.memory.reported;
  for (const p of desired.pods) {
    const ref = podRef(p);
    if (p.invalidWeight) {
      const reportKey = `weight|${p.uid}|${p.invalidWeight.message}`;
      if (!reported?.has(reportKey)) {
        const fate = held.offForWeight.has(p.uid) ? 'the pod is kept off the load balancer until it is fixed' : 'its registration keeps its current weight until it is fixed';
        events.push({ object: ref, type: 'Warning', reason: 'InvalidWeight', message: `${p.invalidWeight.message} Sluice ignores it: ${fate}.`, when: 'end', reportKey });
        events.push({ object: svcRef, type: 'Warning', reason: 'InvalidPodWeight', message: `${p.invalidWeight.message} Only this pod is affected: ${fate}.`, when: 'end' });
      }
    }
    for (const refusal of held.rejected.get(p.uid) ?? []) {
      const reportKey = `rejected|${refusal.id}|${refusal.at}`;
      if (!reported?.has(reportKey)) {
        events.push({ object: ref, type: 'Warning', reason: 'BackendRejected', message: `The load balancer refused this pod: ${refusal.message} Sluice offers it again in ${Math.round((input.options.rejectedRetryMs ?? REJECTED_RETRY_MS) / 1000)}s; the Service's other pods are not affected.`, when: 'end', reportKey });
      }
    }
    if (p.backendKeys.length === 0 && p.lostAddresses?.length) {
      const c = p.lostAddresses[0]!;
      const reportKey = `conflict|${p.uid}|${c.key}|${c.winnerUid}`;
      if (!reported?.has(reportKey)) {
        events.push({ object: ref, type: 'Warning', reason: 'AddressConflict', message: `Address ${address(c.key)} is held on the load balancer by pod ${c.winnerName}, which claims the same IP and port; this pod is not registered.`, when: 'end', reportKey });
      }
    }
  }
}