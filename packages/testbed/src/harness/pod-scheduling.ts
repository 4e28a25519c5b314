/**
 * Where pods go when several simulated nodes share a cluster. Pure: every simulator computes
 * the same assignment from the same view and binds only the pods assigned to its own node.
 * When views differ for a moment, the binding subresource settles it: a pod can be bound
 * once, a second bind gets 409, and a pod nobody bound is assigned again on the next pass.
 */
import type { V1Node, V1NodeSelectorRequirement, V1Pod } from '@kubernetes/client-node';

/** What a policy sees: the schedulable nodes and the pods already placed (including earlier decisions of the same pass). */
export interface ScheduleContext {
  nodes: readonly V1Node[];
  boundPods: readonly V1Pod[];
}

/** Picks a node name for `pod` among `context.nodes`, or undefined to leave it pending. */
export type SchedulePolicy = (pod: V1Pod, context: ScheduleContext) => string | undefined;

function requirementMatches(req: V1NodeSelectorRequirement, labels: Record<string, string>): boolean {
  const value = labels[req.key];
  switch (req.operator) {
    case 'In':
      return value !== undefined && (req.values ?? []).includes(value);
    case 'NotIn':
      return value === undefined || !(req.values ?? []).includes(value);
    case 'Exists':
      return value !== undefined;
    case 'DoesNotExist':
      return value === undefined;
    default:
      return false;
  }
}

/**
 * Whether `pod` may run on `node`: `spec.nodeSelector` and the required node affinity terms
 * (matchExpressions; any term may match) against the node labels. Taints are not simulated.
 */
export function podFitsNode(pod: V1Pod, node: V1Node): boolean {
  const labels = node.metadata?.labels ?? {};
  for (const [key, value] of Object.entries(pod.spec?.nodeSelector ?? {})) {
    if (labels[key] !== value) return false;
  }
  const terms = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  if (terms && terms.length > 0) {
    return terms.some((term) => (term.matchExpressions ?? []).every((req) => requirementMatches(req, labels)));
  }
  return true;
}

function ownerKey(pod: V1Pod): string {
  const owner = pod.metadata?.ownerReferences?.find((o) => o.controller) ?? pod.metadata?.ownerReferences?.[0];
  return owner ? `uid:${owner.uid}` : `ns:${pod.metadata?.namespace}`;
}

/**
 * The default policy: spread pods of the same owner (ReplicaSet) across fitting nodes, like
 * the scheduler's default topology spreading. Ties go to the node with fewer pods, then to the
 * node name that sorts first, so the choice is deterministic.
 */
export const spreadByOwner: SchedulePolicy = (pod, context) => {
  const key = ownerKey(pod);
  let best: { name: string; siblings: number; total: number } | undefined;
  for (const node of context.nodes) {
    const name = node.metadata?.name ?? '';
    if (!podFitsNode(pod, node)) continue;
    const here = context.boundPods.filter((p) => p.spec?.nodeName === name);
    const candidate = { name, siblings: here.filter((p) => ownerKey(p) === key).length, total: here.length };
    if (
      !best ||
      candidate.siblings < best.siblings ||
      (candidate.siblings === best.siblings && (candidate.total < best.total || (candidate.total === best.total && name < best.name)))
    ) {
      best = candidate;
    }
  }
  return best?.name;
};

/** Whether the simulator should consider the pod at all. */
export function isSchedulable(pod: V1Pod): boolean {
  return (
    !pod.spec?.nodeName &&
    !pod.metadata?.deletionTimestamp &&
    (pod.spec?.schedulingGates ?? []).length === 0 &&
    (pod.spec?.schedulerName ?? 'default-scheduler') === 'default-scheduler' &&
    pod.status?.phase !== 'Succeeded' &&
    pod.status?.phase !== 'Failed'
  );
}

/**
 * Assigns every schedulable pod, oldest first (then by namespace/name), counting each decision
 * before the next, so two pods created together spread instead of both taking the emptiest
 * node. Pods that also appear in `boundPods` are skipped. Returns pod uid to node name.
 */
export function assignPods(
  pending: readonly V1Pod[],
  context: ScheduleContext,
  policy: SchedulePolicy = spreadByOwner,
): Map<string, string> {
  // A pending list from a watch cache can lag a fresher list of bound pods; a pod in both
  // is already placed and must not be counted twice.
  const placedUids = new Set(context.boundPods.map((p) => p.metadata?.uid));
  const order = [...pending].filter((p) => isSchedulable(p) && !placedUids.has(p.metadata?.uid)).sort((a, b) => {
    const ta = new Date(a.metadata?.creationTimestamp ?? 0).getTime();
    const tb = new Date(b.metadata?.creationTimestamp ?? 0).getTime();
    if (ta !== tb) return ta - tb;
    const ka = `${a.metadata?.namespace}/${a.metadata?.name}`;
    const kb = `${b.metadata?.namespace}/${b.metadata?.name}`;
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
  const placed = [...context.boundPods];
  const result = new Map<string, string>();
  for (const pod of order) {
    const node = policy(pod, { nodes: context.nodes, boundPods: placed });
    if (!node) continue;
    result.set(pod.metadata?.uid ?? '', node);
    placed.push({ ...pod, spec: { ...pod.spec!, nodeName: node } });
  }
  return result;
}

/** Nodes that can take pods: simulated, Ready, not cordoned, not being deleted. */
export function schedulableNodes(nodes: readonly V1Node[]): V1Node[] {
  return nodes
    .filter(
      (n) =>
        !n.metadata?.deletionTimestamp &&
        !n.spec?.unschedulable &&
        n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
    )
    .sort((a, b) => ((a.metadata?.name ?? '') < (b.metadata?.name ?? '') ? -1 : 1));
}
