/**
 * Desired state of one Service's load balancer, from the Service, its EndpointSlices and
 * the pods they reference. Pure: same inputs, same output, no I/O, no clock, and the same
 * output for any order of slices and endpoints.
 *
 * Membership comes from the EndpointSlices (the Service's selector, as the EndpointSlice
 * controller applied it); each endpoint's pod decides its fate:
 * - pod missing from the cache, or every container terminated: not wanted (removed);
 * - deletionTimestamp set: wanted at weight 0 (draining) until it is gone;
 * - containers ready (`ContainersReady`): wanted at its weight, even while the pod's own
 *   `Ready` is False because Sluice's readiness gate is still pending;
 * - otherwise: pending (no IP yet, or containers not ready): not on the LB.
 *
 * Identity is pod UID + IP + port. A load balancer holds one registration per address
 * (Service port, IP, port), so when two pods claim one address (a new pod got the IP of a
 * pod still terminating) exactly one wins it, whatever the slice order: a live pod over a
 * terminating one, then the newer pod, then the smaller UID. The loser's claim is reported
 * in `conflicts` and never drains, reweights or removes the winner's registration.
 */
import type { Backend } from '../provider.ts';
import { backendAddressKey, backendKey } from '../provider.ts';
import { type AnnotationProblem, parsePodWeight } from './annotations.ts';
import type { EndpointSliceLike, PodLike, ServiceLike } from './kube-types.ts';
import { containersReady, hasExited, hasReadinessGate, isTerminating } from './pod-state.ts';
import type { ServicePortView, ServiceSpecView } from './service.ts';
import { toServiceView } from './service-view.ts';

/** A backend the LB should hold, with why. */
export interface DesiredBackend extends Backend {
  /** `servicePort|ip|port`: the address the LB registers; one desired backend per address. */
  readonly key: string;
  /** `servicePort|ip|port|podUid`: the backend's identity. */
  readonly id: string;
  /** The pod is terminating: the backend is held at weight 0 until the pod is gone. */
  readonly draining: boolean;
  /** The pod's weight annotation is invalid: `weight` is the default and must not be applied. */
  readonly invalidWeight?: boolean;
}

/** A pod that is wanted on the LB and not terminating: a candidate for the readiness gate. */
export interface DesiredPod {
  readonly uid: string;
  readonly namespace: string;
  readonly name: string;
  /** The pod lists the gate condition type in `spec.readinessGates`. */
  readonly gated: boolean;
  /** Address keys of this pod's backends on this Service (only addresses it won). */
  readonly backendKeys: readonly string[];
  /** Its weight annotation is invalid (see {@link DesiredState.podProblems}). */
  readonly invalidWeight?: AnnotationProblem;
  /** Addresses it claims that another pod holds (see {@link AddressConflict}). */
  readonly lostAddresses?: readonly AddressConflict[];
}

/** Two pods claim one address; `winner` holds it on the LB. */
export interface AddressConflict {
  readonly key: string;
  readonly loserUid: string;
  readonly loserName: string;
  readonly winnerUid: string;
  readonly winnerName: string;
}

export interface DesiredState {
  readonly service: ServiceSpecView;
  /** Sorted by key, one entry per address key. */
  readonly backends: readonly DesiredBackend[];
  readonly pods: readonly DesiredPod[];
  /** Service-level problems (ports, protocols): non-empty means: create or change nothing. */
  readonly problems: readonly AnnotationProblem[];
  /** Pod-level problems (a pod's weight annotation), by pod UID: they affect only that pod. */
  readonly podProblems: ReadonlyMap<string, AnnotationProblem>;
  readonly conflicts: readonly AddressConflict[];
}

export interface BuildDesiredOptions {
  /** The readiness gate condition type. @default 'sluice.dev/load-balancer-ready' */
  readonly gateConditionType?: string;
  /** false: a terminating pod keeps its weight until it exits (no drain protection). @default true */
  readonly drain?: boolean;
  /** Node name -> `spec.providerID`; each backend gets its node's as `nodeProviderId`. @default none */
  readonly nodeProviderIds?: ReadonlyMap<string, string>;
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
export function podTargetPort(pod: PodLike, port: Pick<ServicePortView, 'targetPort' | 'protocol'>): number | undefined {
  if (typeof port.targetPort === 'number') return port.targetPort;
  if (/^\d+$/.test(port.targetPort)) return Number(port.targetPort);
  for (const c of pod.spec?.containers ?? []) {
    for (const cp of c.ports ?? []) {
      if (cp.name === port.targetPort && (cp.protocol ?? 'TCP') === port.protocol) return cp.containerPort;
    }
  }
  return undefined;
}

function created(pod: PodLike): number {
  const t = pod.metadata?.creationTimestamp;
  const ms = t === undefined ? Number.NaN : new Date(t).getTime();
  return Number.isNaN(ms) ? 0 : ms;
}

/** Does claim `a` win the address over claim `b`? Live over terminating, newer pod, smaller UID. */
function wins(a: { draining: boolean; pod: PodLike; uid: string }, b: { draining: boolean; pod: PodLike; uid: string }): boolean {
  if (a.draining !== b.draining) return !a.draining;
  const ca = created(a.pod);
  const cb = created(b.pod);
  if (ca !== cb) return ca > cb;
  return a.uid < b.uid;
}

interface Claim {
  readonly backend: DesiredBackend;
  readonly pod: PodLike;
  readonly uid: string;
  readonly draining: boolean;
}

export function buildDesired(
  service: ServiceLike,
  endpointSlices: readonly EndpointSliceLike[],
  pods: readonly PodLike[],
  options: BuildDesiredOptions = {},
): DesiredState {
  const gateType = options.gateConditionType ?? DEFAULT_GATE_CONDITION_TYPE;
  const drainOn = options.drain ?? true;
  const { view, problems } = toServiceView(service);
  const podsByUid = new Map<string, PodLike>();
  for (const pod of pods) if (pod.metadata?.uid) podsByUid.set(pod.metadata.uid, pod);
  const onlyPort = view.ports.length === 1;

  // Every (pod, address) claim, deduplicated by identity: a pod may appear in several slices.
  const claims = new Map<string, Claim>();
  const podProblems = new Map<string, AnnotationProblem>();
  const candidates = new Map<string, PodLike>();
  // EndpointSlices come one per address family; FQDN slices carry no pod address. Only the
  // families the Service has are balanced to (a dual-stack Service gets both).
  const families = new Set<string>(view.ipFamilies ?? ['IPv4']);
  for (const slice of endpointSlices) {
    if (!families.has(slice.addressType ?? 'IPv4')) continue;
    for (const endpoint of slice.endpoints ?? []) {
      const ref = endpoint.targetRef;
      if (ref?.kind !== 'Pod' || !ref.uid) continue;
      const pod = podsByUid.get(ref.uid);
      if (!pod || hasExited(pod)) continue;
      const terminating = isTerminating(pod);
      if (!terminating && !containersReady(pod)) continue;
      const ip = endpoint.addresses?.[0];
      if (!ip) continue;
      const { weight, problem } = parsePodWeight(pod.metadata);
      if (problem) podProblems.set(ref.uid, problem);
      const draining = terminating && drainOn;
      if (!terminating) candidates.set(ref.uid, pod);
      for (const port of view.ports) {
        const target = slicePort(slice, port, onlyPort) ?? podTargetPort(pod, port);
        if (target === undefined) continue; // this pod does not expose the named port: not a backend for it
        const address = { servicePort: port.name, ip, port: target };
        const id = backendKey({ ...address, podUid: ref.uid });
        if (claims.has(id)) continue;
        const nodeName = endpoint.nodeName ?? pod.spec?.nodeName;
        const nodeProviderId = nodeName ? options.nodeProviderIds?.get(nodeName) : undefined;
        const backend: DesiredBackend = {
          key: backendAddressKey(address),
          id,
          ...address,
          podUid: ref.uid,
          podName: pod.metadata?.name ?? ref.name ?? '',
          weight: draining ? 0 : weight,
          draining,
          ...(problem && !draining ? { invalidWeight: true } : {}),
          ...(nodeName ? { nodeName } : {}),
          ...(endpoint.zone ? { zone: endpoint.zone } : {}),
          ...(nodeProviderId ? { nodeProviderId } : {}),
        };
        claims.set(id, { backend, pod, uid: ref.uid, draining });
      }
    }
  }

  // One winner per address.
  const winners = new Map<string, Claim>();
  for (const claim of claims.values()) {
    const current = winners.get(claim.backend.key);
    if (!current || wins(claim, current)) winners.set(claim.backend.key, claim);
  }
  const conflicts: AddressConflict[] = [];
  for (const claim of claims.values()) {
    const winner = winners.get(claim.backend.key)!;
    if (winner === claim) continue;
    conflicts.push({
      key: claim.backend.key,
      loserUid: claim.uid,
      loserName: claim.backend.podName,
      winnerUid: winner.uid,
      winnerName: winner.backend.podName,
    });
  }
  conflicts.sort((a, b) => (a.key + a.loserUid < b.key + b.loserUid ? -1 : 1));

  const wonBy = new Map<string, string[]>();
  for (const w of winners.values()) wonBy.set(w.uid, [...(wonBy.get(w.uid) ?? []), w.backend.key]);
  const lostBy = new Map<string, AddressConflict[]>();
  for (const c of conflicts) lostBy.set(c.loserUid, [...(lostBy.get(c.loserUid) ?? []), c]);
  const desiredPods: DesiredPod[] = [...candidates.entries()]
    .map(([uid, pod]) => {
      const keys = (wonBy.get(uid) ?? []).sort();
      const lost = lostBy.get(uid) ?? [];
      const problem = podProblems.get(uid);
      return {
        uid,
        namespace: pod.metadata?.namespace ?? view.namespace,
        name: pod.metadata?.name ?? '',
        gated: hasReadinessGate(pod, gateType),
        backendKeys: keys,
        ...(problem ? { invalidWeight: problem } : {}),
        ...(lost.length > 0 ? { lostAddresses: lost } : {}),
      };
    })
    .filter((p) => p.backendKeys.length > 0 || (p.lostAddresses?.length ?? 0) > 0)
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.uid < b.uid ? -1 : 1));

  return {
    service: view,
    backends: [...winners.values()].map((w) => w.backend).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)),
    pods: desiredPods,
    problems,
    podProblems,
    conflicts,
  };
}
