/**
 * Pure reads of a pod's lifecycle, as Sluice sees it.
 */
import { type PodLike, podCondition } from './kube-types.ts';

/** The pod has a deletionTimestamp: it is on its way out and must be drained. */
export function isTerminating(pod: PodLike): boolean {
  return pod.metadata?.deletionTimestamp !== undefined && pod.metadata.deletionTimestamp !== null;
}

/**
 * Every container has terminated (or the pod reached a final phase): nothing can still be
 * serving on the pod's IP, so its backend may be removed even though the Pod object remains.
 */
export function hasExited(pod: PodLike): boolean {
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return true;
  const statuses = pod.status?.containerStatuses ?? [];
  if (statuses.length === 0) return false;
  return statuses.every((s) => s.state?.terminated !== undefined && s.state.terminated !== null);
}

/**
 * The pod's containers are ready (the `ContainersReady` condition). This is what decides
 * registration: the pod's own `Ready` waits for Sluice's gate, so it cannot be used.
 */
export function containersReady(pod: PodLike): boolean {
  return podCondition(pod, 'ContainersReady')?.status === 'True';
}

/** The pod lists this readiness gate in its spec. */
export function hasReadinessGate(pod: PodLike, conditionType: string): boolean {
  return (pod.spec?.readinessGates ?? []).some((g) => g.conditionType === conditionType);
}
