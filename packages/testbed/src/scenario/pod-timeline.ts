/**
 * An outside observer of pod lifecycles: a watch on every pod that records, per pod UID and
 * in wall-clock time, when it first saw ContainersReady True, the readiness gate True, and
 * the deletionTimestamp. Compared with the controller's own `drain applied` log times, it
 * gives the reaction latencies as a user's watcher would measure them.
 */
import * as k8s from '@kubernetes/client-node';

export interface PodTimes {
  containersReadyAt?: number;
  gateTrueAt?: number;
  deletionSeenAt?: number;
}

export interface PodTimeline {
  readonly pods: ReadonlyMap<string, PodTimes>;
  stop(): Promise<void>;
}

export async function watchPodTimeline(kubeConfig: k8s.KubeConfig, gateType = 'sluice.dev/load-balancer-ready'): Promise<PodTimeline> {
  const core = kubeConfig.makeApiClient(k8s.CoreV1Api);
  const informer = k8s.makeInformer(kubeConfig, '/api/v1/pods', () => core.listPodForAllNamespaces());
  const pods = new Map<string, PodTimes>();
  const see = (pod: k8s.V1Pod) => {
    const uid = pod.metadata?.uid;
    if (!uid) return;
    const now = Date.now();
    let t = pods.get(uid);
    if (!t) pods.set(uid, (t = {}));
    const status = (type: string) => pod.status?.conditions?.find((c) => c.type === type)?.status;
    if (t.containersReadyAt === undefined && status('ContainersReady') === 'True') t.containersReadyAt = now;
    if (t.gateTrueAt === undefined && status(gateType) === 'True') t.gateTrueAt = now;
    if (t.deletionSeenAt === undefined && pod.metadata?.deletionTimestamp) t.deletionSeenAt = now;
  };
  informer.on('add', see);
  informer.on('update', see);
  let stopped = false;
  // A watch error (not one caused by stop) restarts the watch; after stop nothing restarts it.
  informer.on('error', () => {
    if (!stopped) setTimeout(() => void (stopped ? undefined : informer.start().catch(() => {})), 500).unref();
  });
  await informer.start();
  return {
    pods,
    stop: async () => {
      stopped = true;
      await informer.stop();
    },
  };
}

/** Gate latency (ContainersReady -> gate True) per pod, from an outside watcher. */
export function gateLatencies(timeline: PodTimeline): number[] {
  return [...timeline.pods.values()]
    .filter((t) => t.containersReadyAt !== undefined && t.gateTrueAt !== undefined)
    .map((t) => t.gateTrueAt! - t.containersReadyAt!);
}

/** Drain latency (deletion seen by a watcher -> controller logged the drain applied), by pod UID. */
export function drainLatencies(timeline: PodTimeline, drains: readonly { podUid: string; wallMs: number }[]): number[] {
  return drains.flatMap((d) => {
    const seen = timeline.pods.get(d.podUid)?.deletionSeenAt;
    return seen === undefined ? [] : [d.wallMs - seen];
  });
}
