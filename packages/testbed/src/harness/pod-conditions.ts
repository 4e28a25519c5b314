/**
 * The pod status the kubelet simulator owns, computed from the pod and what runs for it, and
 * the strategic-merge patch that moves the API object there. Pure: no I/O, time passed in.
 *
 * Ready follows the kubelet (pkg/kubelet/status): if ContainersReady is not True, Ready copies
 * its status, reason and message; otherwise every `spec.readinessGates[].conditionType` must
 * be present with status True, a missing gate counting as not ready, and Ready is False with
 * reason `ReadinessGatesNotReady` and a message naming each failing gate.
 */
import type { V1Pod, V1PodCondition } from '@kubernetes/client-node';

/** Runtime state of one container, as the simulator sees it. */
export type ContainerState =
  | { kind: 'waiting'; reason: string }
  | { kind: 'running'; startedAt: Date }
  | { kind: 'terminated'; startedAt: Date | undefined; finishedAt: Date; exitCode: number; reason: string };

export interface ContainerRuntime {
  name: string;
  image: string;
  state: ContainerState;
  /** Readiness as last decided by the probe (or "started", without a probe). */
  ready: boolean;
  restartCount: number;
  /** Used as the container ID (`sim://<pid>`); undefined before the process exists. */
  pid: number | undefined;
}

/** Everything the simulator knows about a pod it runs. */
export interface PodRuntime {
  hostIp: string;
  /** The pod's addresses, primary first (one per family); empty before the sandbox has them. */
  podIps: readonly string[];
  startTime: Date | undefined;
  /** The "sandbox" (IP and network) is set up and not torn down. */
  sandboxReady: boolean;
  containers: ContainerRuntime[];
}

/** A condition as it should be, before transition-time bookkeeping. */
export interface ConditionValue {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
}

/** Condition types this simulator writes (the kubelet's, plus PodScheduled as the scheduler). */
export const OWNED_CONDITION_TYPES = ['PodScheduled', 'PodReadyToStartContainers', 'Initialized', 'ContainersReady', 'Ready'] as const;

/** Kubernetes time format with second precision. */
export function formatTime(date: Date): string {
  return new Date(Math.floor(date.getTime() / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** ContainersReady, as the kubelet words it. */
export function containersReadyCondition(pod: V1Pod, runtime: PodRuntime): ConditionValue {
  const specNames = (pod.spec?.containers ?? []).map((c) => c.name);
  const unknown: string[] = [];
  const unready: string[] = [];
  for (const name of specNames) {
    const container = runtime.containers.find((c) => c.name === name);
    if (!container) unknown.push(name);
    else if (!container.ready) unready.push(name);
  }
  const messages: string[] = [];
  if (unknown.length > 0) messages.push(`containers with unknown status: [${unknown.join(' ')}]`);
  if (unready.length > 0) messages.push(`containers with unready status: [${unready.join(' ')}]`);
  if (messages.length === 0) return { type: 'ContainersReady', status: 'True' };
  return { type: 'ContainersReady', status: 'False', reason: 'ContainersNotReady', message: messages.join(', ') };
}

/**
 * Ready from ContainersReady and the readiness gates. `conditions` is the pod's current
 * condition list, where other actors (such as the Sluice controller) set the gate conditions.
 */
export function readyCondition(
  pod: V1Pod,
  containersReady: ConditionValue,
  conditions: readonly V1PodCondition[] = pod.status?.conditions ?? [],
): ConditionValue {
  if (containersReady.status !== 'True') {
    return { type: 'Ready', status: containersReady.status, reason: containersReady.reason, message: containersReady.message };
  }
  const messages: string[] = [];
  for (const gate of pod.spec?.readinessGates ?? []) {
    const condition = conditions.find((c) => c.type === gate.conditionType);
    if (!condition) {
      messages.push(`corresponding condition of pod readiness gate "${gate.conditionType}" does not exist.`);
    } else if (condition.status !== 'True') {
      messages.push(`the status of pod readiness gate "${gate.conditionType}" is not "True", but ${condition.status}`);
    }
  }
  if (messages.length > 0) {
    return { type: 'Ready', status: 'False', reason: 'ReadinessGatesNotReady', message: messages.join(', ') };
  }
  return { type: 'Ready', status: 'True' };
}

/** All conditions the simulator owns, in the kubelet's order. */
export function desiredConditions(pod: V1Pod, runtime: PodRuntime): ConditionValue[] {
  const containersReady = containersReadyCondition(pod, runtime);
  return [
    { type: 'PodScheduled', status: 'True' },
    { type: 'PodReadyToStartContainers', status: runtime.sandboxReady ? 'True' : 'False' },
    { type: 'Initialized', status: 'True' },
    containersReady,
    readyCondition(pod, containersReady),
  ];
}

function containerStatusJson(runtime: ContainerRuntime): Record<string, unknown> {
  const s = runtime.state;
  const state =
    s.kind === 'waiting'
      ? { waiting: { reason: s.reason } }
      : s.kind === 'running'
        ? { running: { startedAt: formatTime(s.startedAt) } }
        : {
            terminated: {
              exitCode: s.exitCode,
              reason: s.reason,
              ...(s.startedAt ? { startedAt: formatTime(s.startedAt) } : {}),
              finishedAt: formatTime(s.finishedAt),
            },
          };
  return {
    name: runtime.name,
    image: runtime.image,
    imageID: `sim://${runtime.image}`,
    ...(runtime.pid !== undefined ? { containerID: `sim://${runtime.pid}` } : {}),
    ready: runtime.ready,
    started: s.kind === 'running',
    restartCount: runtime.restartCount,
    state,
  };
}

/** The same projection of what the API server holds, for comparison. */
function currentContainerStatusJson(pod: V1Pod): unknown[] {
  return (pod.status?.containerStatuses ?? []).map((cs) => {
    const st = cs.state ?? {};
    const time = (d: Date | undefined) => (d ? formatTime(new Date(d)) : undefined);
    const state = st.waiting
      ? { waiting: { reason: st.waiting.reason } }
      : st.running
        ? { running: { startedAt: time(st.running.startedAt) } }
        : st.terminated
          ? {
              terminated: {
                exitCode: st.terminated.exitCode,
                reason: st.terminated.reason,
                ...(st.terminated.startedAt ? { startedAt: time(st.terminated.startedAt) } : {}),
                finishedAt: time(st.terminated.finishedAt),
              },
            }
          : {};
    return {
      name: cs.name,
      image: cs.image,
      imageID: cs.imageID,
      ...(cs.containerID !== undefined ? { containerID: cs.containerID } : {}),
      ready: cs.ready,
      started: cs.started ?? false,
      restartCount: cs.restartCount,
      state,
    };
  });
}

/** Pending until a container runs, then Running (terminal phases are never set). */
export function desiredPhase(runtime: PodRuntime): 'Pending' | 'Running' {
  return runtime.containers.some((c) => c.state.kind !== 'waiting') ? 'Running' : 'Pending';
}

/**
 * The strategic-merge patch for `pods/status` that brings `pod` to what `runtime` says, or
 * undefined when nothing differs. Only owned condition types whose status, reason or message
 * differ are sent (conditions merge by `type`, so other actors' conditions are untouched);
 * `lastTransitionTime` moves only when the status flips. Absent reason/message are sent as
 * null so stale ones are removed.
 */
export function statusPatch(pod: V1Pod, runtime: PodRuntime, now: Date): { status: Record<string, unknown> } | undefined {
  const status: Record<string, unknown> = {};
  const current = pod.status ?? {};

  const phase = desiredPhase(runtime);
  if (current.phase !== phase) status['phase'] = phase;
  if (current.hostIP !== runtime.hostIp) {
    status['hostIP'] = runtime.hostIp;
    status['hostIPs'] = [{ ip: runtime.hostIp }];
  }
  const podIps = runtime.podIps;
  const currentPodIps = (current.podIPs ?? []).map((p) => p.ip);
  if (podIps.length > 0 && (current.podIP !== podIps[0] || currentPodIps.join(',') !== podIps.join(','))) {
    // podIPs is a list merged by `ip`: sending the whole list adds the new ones; a pod's
    // addresses never change once set, so nothing ever has to be removed.
    status['podIP'] = podIps[0];
    status['podIPs'] = podIps.map((ip) => ({ ip }));
  }
  if (runtime.startTime && !current.startTime) status['startTime'] = formatTime(runtime.startTime);

  const containerStatuses = runtime.containers.map(containerStatusJson);
  if (JSON.stringify(containerStatuses) !== JSON.stringify(currentContainerStatusJson(pod))) {
    status['containerStatuses'] = containerStatuses;
  }

  const conditions: Record<string, unknown>[] = [];
  for (const want of desiredConditions(pod, runtime)) {
    const have = current.conditions?.find((c) => c.type === want.type);
    if (have && have.status === want.status && (have.reason ?? undefined) === want.reason && (have.message ?? undefined) === want.message) {
      continue;
    }
    const flipped = !have || have.status !== want.status;
    const since = flipped || !have?.lastTransitionTime ? now : new Date(have.lastTransitionTime);
    conditions.push({
      type: want.type,
      status: want.status,
      reason: want.reason ?? null,
      message: want.message ?? null,
      lastProbeTime: null,
      lastTransitionTime: formatTime(since),
    });
  }
  if (conditions.length > 0) status['conditions'] = conditions;
  return Object.keys(status).length > 0 ? { status } : undefined;
}
