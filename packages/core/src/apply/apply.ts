/**
 * Runs a plan on a provider: the only place in the lifecycle that writes to a load
 * balancer's backends. Each batch (at most `capabilities.maxBatch` actions of one kind) is
 * one updateLoadBalancer call carrying the whole backend set as it should be after that
 * batch, so a failure part-way leaves the LB in a state the next reconcile can read and
 * continue from, with registrations always made before anything is drained or removed.
 */

import type { DesiredBackend } from '../model/build-desired.ts';
import { applyToSet, type BackendAction, batchActions, stripKey } from '../plan/plan.ts';
import type { Backend, BackendStatus, LoadBalancer, ServiceSpecView } from '../provider.ts';
import { backendAddressKey } from '../provider.ts';

export interface ApplyInput {
  readonly provider: LoadBalancer;
  readonly clusterName: string;
  readonly service: ServiceSpecView;
  readonly desired: readonly DesiredBackend[];
  readonly actual: readonly BackendStatus[];
  readonly actions: readonly BackendAction[];
  readonly signal: AbortSignal;
}

export interface ApplyResult {
  /** updateLoadBalancer calls made. */
  readonly calls: number;
  /** The backend set the LB holds after the last successful call. */
  readonly backends: readonly Backend[];
}

/** The LB's current backends as core Backends, enriched from the desired state where known. */
export function currentBackends(actual: readonly BackendStatus[], desired: readonly DesiredBackend[]): Backend[] {
  const desiredByKey = new Map(desired.map((d) => [d.key, d]));
  return actual.map((a) => {
    const d = desiredByKey.get(backendAddressKey(a));
    const podUid = a.podUid ?? d?.podUid ?? '';
    const sameUid = d !== undefined && d.podUid === podUid;
    return {
      servicePort: a.servicePort,
      ip: a.ip,
      port: a.port,
      podUid,
      podName: sameUid ? d.podName : '',
      weight: a.weight,
      ...(sameUid && d.nodeName ? { nodeName: d.nodeName } : {}),
      ...(sameUid && d.zone ? { zone: d.zone } : {}),
      ...(sameUid && d.nodeProviderId ? { nodeProviderId: d.nodeProviderId } : {}),
    };
  });
}

export async function applyPlan(input: ApplyInput): Promise<ApplyResult> {
  let set = currentBackends(input.actual, input.desired);
  let calls = 0;
  for (const batch of batchActions(input.actions, input.provider.capabilities.maxBatch)) {
    input.signal.throwIfAborted();
    const next = applyToSet(set, batch);
    await input.provider.updateLoadBalancer(input.clusterName, input.service, next, input.signal);
    calls += 1;
    set = next;
  }
  return { calls, backends: set };
}

/** The set a freshly ensured LB should start with: everything desired except drains. */
export function initialBackends(desired: readonly DesiredBackend[]): Backend[] {
  return desired.filter((d) => !d.draining).map(stripKey);
}

export { backendAddressKey };
