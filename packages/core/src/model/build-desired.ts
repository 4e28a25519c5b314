/**
 * Desired state of one Service's load balancer, from the Service, its EndpointSlices and
 * the pods they reference. Pure: same inputs, same output, no I/O, no clock.
 *
 * Membership comes from the EndpointSlices (the Service's selector, as the EndpointSlice
 * controller applied it); each endpoint's pod decides its fate:
 * - pod missing from the cache, or every container terminated: not wanted (removed);
 * - deletionTimestamp set: wanted at weight 0 (draining) until it is gone;
 * - containers ready (`ContainersReady`): wanted at its weight, even while the pod's own
 *   `Ready` is False because Sluice's readiness gate is still pending;
 * - otherwise: pending (no IP yet, or containers not ready): not on the LB.
 */
import type { Backend } from '../provider.ts';
import { backendAddressKey } from '../provider.ts';
import type { EndpointSliceLike, PodLike, ServiceLike } from './kube-types.ts';
import { containersReady, hasExited, hasReadinessGate, isTerminating } from './pod-state.ts';
import type { ServicePortView, ServiceSpecView } from './service.ts';
import { type AnnotationProblem, parsePodWeight } from './annotations.ts';
import { toServiceView } from './service-view.ts';

/** A backend the LB should hold, with why. */
export interface DesiredBackend extends Backend {
  /** `servicePort|ip|port`: the address identity on the LB. */
  readonly key: string;
  /** The pod is terminating: the backend is held at weight 0 until the pod is gone. */
  readonly draining: boolean;
}

/** A pod that is wanted on the LB and not terminating: a candidate for the readiness gate. */
export interface DesiredPod {
  readonly uid: string;
  readonly namespace: string;
  readonly name: string;
  /** The pod lists the gate condition type in `spec.readinessGates`. */
  readonly gated: boolean;
  /** Keys of this pod's backends on this Service. */
  readonly backendKeys: readonly string[];
}

export interface DesiredState {
  readonly service: ServiceSpecView;
  /** Sorted by key, one entry per key. */
  readonly backends: readonly DesiredBackend[];
  readonly pods: readonly DesiredPod[];
  /** Invalid annotations or unresolvable ports; non-empty means: apply nothing. */
  readonly problems: readonly AnnotationProblem[];
}

export interface BuildDesiredOptions {
  /** The readiness gate condition type. @default 'sluice.dev/load-balancer-ready' */
  readonly gateConditionType?: string;
}

export const DEFAULT_GATE_CONDITION_TYPE = 'sluice.dev/load-balancer-ready';

/**
 * The slice's port number for a Service port. EndpointSlice ports carry the Service port's
 * name ('' for a single unnamed port) and the target port resolved per pod, which is how
 * named target ports reach us already resolved.
 */
function slicePort(slice: EndpointSliceLike, port: ServicePortView, onlyPort: boolean): number | undefined {
  const ports = slice.ports ?? [];
  const match = ports.find((p) => (p.name ?? '') === port.name) ?? (onlyPort ? ports.find((p) => (p.name ?? '') === '') : undefined);
  return match?.port ?? undefined;
}

/** Resolves a target port from the pod's container ports when the slice carries none. */
function podPort(pod: PodLike, port: ServicePortView): number | undefined {
  if (typeof port.targetPort === 'number') return port.targetPort;
  if (/^\d+$/.test(port.targetPort)) return Number(port.targetPort);
  for (const c of pod.spec?.containers ?? []) {
    for (const cp of c.ports ?? []) {
      if (cp.name === port.targetPort && (cp.protocol ?? 'TCP') === port.protocol) return cp.containerPort;
    }
  }
  return undefined;
}

export function buildDesired(
  service: ServiceLike,
  endpointSlices: readonly EndpointSliceLike[],
  pods: readonly PodLike[],
  options: BuildDesiredOptions = {},
): DesiredState {
  const gateType = options.gateConditionType ?? DEFAULT_GATE_CONDITION_TYPE;
  const { view, problems: viewProblems } = toServiceView(service);
  const problems: AnnotationProblem[] = [...viewProblems];
  const podsByUid = new Map<string, PodLike>();
  for (const pod of pods) if (pod.metadata?.uid) podsByUid.set(pod.metadata.uid, pod);

  const backends = new Map<string, DesiredBackend>();
  const podEntries = new Map<string, { pod: PodLike; keys: Set<string> }>();
  const onlyPort = view.ports.length === 1;

  for (const slice of endpointSlices) {
    for (const endpoint of slice.endpoints ?? []) {
      const ref = endpoint.targetRef;
      if (ref?.kind !== 'Pod' || !ref.uid) continue;
      const pod = podsByUid.get(ref.uid);
      if (!pod || hasExited(pod)) continue;
      const draining = isTerminating(pod);
      if (!draining && !containersReady(pod)) continue;
      const ip = endpoint.addresses?.[0];
      if (!ip) continue;

      const { weight, problem } = parsePodWeight(pod.metadata);
      if (problem && !problems.some((p) => p.message === problem.message)) problems.push(problem);

      for (const port of view.ports) {
        const target = slicePort(slice, port, onlyPort) ?? podPort(pod, port);
        if (target === undefined) continue; // this pod does not expose the named port: not a backend for it
        const key = backendAddressKey({ servicePort: port.name, ip, port: target });
        const nodeName = endpoint.nodeName ?? pod.spec?.nodeName;
        backends.set(key, {
          key,
          servicePort: port.name,
          ip,
          port: target,
          podUid: ref.uid,
          podName: pod.metadata?.name ?? ref.name ?? '',
          weight: draining ? 0 : weight,
          draining,
          ...(nodeName ? { nodeName } : {}),
          ...(endpoint.zone ? { zone: endpoint.zone } : {}),
        });
        if (!draining) {
          let entry = podEntries.get(ref.uid);
          if (!entry) podEntries.set(ref.uid, (entry = { pod, keys: new Set() }));
          entry.keys.add(key);
        }
      }
    }
  }

  const desiredPods: DesiredPod[] = [...podEntries.entries()]
    .map(([uid, { pod, keys }]) => ({
      uid,
      namespace: pod.metadata?.namespace ?? view.namespace,
      name: pod.metadata?.name ?? '',
      gated: hasReadinessGate(pod, gateType),
      backendKeys: [...keys].sort(),
    }))
    .sort((a, b) => a.name.localeCompare(b.name));

  return {
    service: view,
    backends: [...backends.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)),
    pods: desiredPods,
    problems,
  };
}
