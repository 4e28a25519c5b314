/**
 * A simulated node that runs nothing: the pods bound to it get an IP, `Running` and ready
 * containers by status patches alone, so a benchmark can put 10,000 pods in a real API
 * server on a small machine. Nothing ever listens on the IPs it hands out (unless the caller
 * arranges it, see `podCidr`).
 *
 * What it keeps from the kubelet: Ready honours readiness gates (Ready = ContainersReady and
 * every gate True, recomputed whenever another actor changes a gate condition); a deleted
 * pod keeps serving until its containers "exit" (after the longest preStop sleep, within the
 * grace period), is then reported terminated, and deleted with grace 0 and a uid
 * precondition. What it leaves out: scheduling (create pods with `spec.nodeName` set to
 * {@link PodStamper.nodeName}), probes, restarts, processes.
 *
 * Writes go through one keep-alive connection pool with at most `concurrency` requests in
 * flight; each pod has at most one write in flight, and changes seen meanwhile are folded
 * into one more write after it.
 */
import { CoordinationV1Api, CoreV1Api, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { apiStatus, describeApiError } from './api-errors.ts';
import { AddressPool } from './address-pool.ts';
import { formatIpv4, type Ipv4Range, parseCidr, parseIpv4 } from './ipv4.ts';
import { createKubeRest, type KubeRest, PATCH_TYPES } from './kube-rest.ts';
import { preStopAction } from './lifecycle-hooks.ts';
import { familyOf, type IpFamily } from './ip-family.ts';
import { type HarnessLogger, silentLogger } from './logger.ts';
import { podAddressRequest } from './pod-addresses.ts';
import { registerNode, SIMULATED_NODE_LABEL } from './node-registration.ts';
import { type ContainerRuntime, type PodRuntime, statusPatch } from './pod-conditions.ts';
import { type PodWatch, startPodWatch } from './pod-watch.ts';

/** Options for {@link startPodStamper}. */
export interface PodStamperOptions {
  kubeConfig: KubeConfig;
  /**
   * Node name; pods must be created with this `spec.nodeName`.
   * @default 'stamper'
   */
  nodeName?: string;
  /**
   * `topology.kubernetes.io/zone` of the node.
   * @default 'zone-a'
   */
  zone?: string;
  /**
   * Pod IPs are taken from this range, from its 257th address (`x.x.1.1` in a /16) upwards,
   * skipping `.0` and `.255`; released ones are reused only after the range wraps. A pod
   * annotated `sim.sluice.dev/pod-ip` gets that address of the range instead (even one
   * another pod holds).
   * @default '10.213.0.0/16'
   */
  podCidr?: string;
  /**
   * An IPv6 range: when set, every pod also gets an address of it (from `<prefix>::1:1`
   * upwards), listed after its IPv4 one in `status.podIPs`, as in a dual-stack cluster. A pod
   * may choose its families with `sim.sluice.dev/ip-families` and name one address per family
   * in `sim.sluice.dev/pod-ip`.
   * @default undefined (IPv4 only)
   */
  ipv6PodCidr?: string;
  /**
   * The node's InternalIP (also each pod's hostIP).
   * @default the first address of `podCidr` plus one (`10.213.0.1`)
   */
  internalIp?: string;
  /**
   * Most API writes in flight at once.
   * @default 32
   */
  concurrency?: number;
  /**
   * Node Lease renewal interval.
   * @default 10000
   */
  heartbeatIntervalMs?: number;
  /**
   * On stop, delete the pods bound to the node (grace 0), its Lease and the Node.
   * @default true
   */
  cleanUpOnStop?: boolean;
  /** Told about each pod as the API server accepts what the stamper wrote. */
  observer?: PodStamperObserver;
  /**
   * Where progress goes.
   * @default silentLogger
   */
  log?: HarnessLogger;
}

/** Callbacks with the pod as the API server returned it. */
export interface PodStamperObserver {
  /** ContainersReady=True was written for the pod (once per pod). */
  containersReady?(pod: V1Pod): void;
  /** The pod's containers were reported terminated and the pod deleted. */
  finalized?(pod: V1Pod): void;
}

/** Write counts since start. */
export interface PodStamperStats {
  statusPatches: number;
  deletes: number;
  /** Failed writes (each was retried). */
  errors: number;
  /** Pods currently stamped (with an IP). */
  pods: number;
}

export interface PodStamper {
  readonly nodeName: string;
  readonly nodeIp: string;
  stats(): PodStamperStats;
  /** Resolves once no write is in flight or queued. */
  idle(): Promise<void>;
  /** Stops watching and writing, and cleans up per `cleanUpOnStop`. Idempotent. */
  stop(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** What the stamper tracks per pod uid. */
interface Stamped {
  pod: V1Pod;
  /** Primary first. */
  readonly ips: readonly string[];
  readonly startTime: Date;
  /** Deletion seen: the containers exit at `exitAt` (ms since epoch). */
  exitAt: number | undefined;
  exitTimer: NodeJS.Timeout | undefined;
  exited: Date | undefined;
  readyReported: boolean;
}

const RETRY_DELAY_MS = 500;

function newer(a: V1Pod, b: V1Pod): V1Pod {
  const ra = a.metadata?.resourceVersion ?? '';
  const rb = b.metadata?.resourceVersion ?? '';
  if (/^\d+$/.test(ra) && /^\d+$/.test(rb)) return BigInt(rb) >= BigInt(ra) ? b : a;
  return b;
}

function podPath(pod: V1Pod): string {
  return `/api/v1/namespaces/${pod.metadata?.namespace}/pods/${pod.metadata?.name}`;
}

/** How long a deleted pod's containers take to exit: the longest preStop sleep, within the grace period. */
function exitDelayMs(pod: V1Pod): number {
  let sleepSeconds = 0;
  for (const container of pod.spec?.containers ?? []) {
    const action = preStopAction(container);
    if (action.kind === 'sleep') sleepSeconds = Math.max(sleepSeconds, action.seconds);
  }
  const grace = pod.metadata?.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30;
  return Math.max(0, Math.min(sleepSeconds, grace)) * 1000;
}

export async function startPodStamper(options: PodStamperOptions): Promise<PodStamper> {
  if (options.ipv6PodCidr !== undefined && familyOf(options.ipv6PodCidr.split('/')[0] ?? '') !== 'IPv6') {
    throw new Error(`ipv6PodCidr ${JSON.stringify(options.ipv6PodCidr)} is invalid: allowed is an IPv6 CIDR such as fd00:10:244::/64.`);
  }
  const nodeName = options.nodeName ?? 'stamper';
  const log = options.log ?? silentLogger;
  const concurrency = options.concurrency ?? 32;
  const range = parseCidr(options.podCidr ?? '10.213.0.0/16');
  const nodeIp = options.internalIp ?? formatIpv4(range.start + 1);
  const observer = options.observer ?? {};
  const core = options.kubeConfig.makeApiClient(CoreV1Api);
  const registration = await registerNode(
    core,
    options.kubeConfig.makeApiClient(CoordinationV1Api),
    {
      name: nodeName,
      zone: options.zone ?? 'zone-a',
      region: undefined,
      internalIp: nodeIp,
      // Not a node the kubelet simulators schedule onto: pods come here by spec.nodeName only.
      labels: { [SIMULATED_NODE_LABEL]: 'false' },
      providerId: undefined,
      heartbeatIntervalMs: options.heartbeatIntervalMs ?? 10_000,
    },
    log,
  );
  const rest: KubeRest = await createKubeRest(options.kubeConfig, { maxSockets: concurrency });

  // Pod IPs: the node's own address is never handed out; a pod may choose its IP (and share it).
  const pools: Partial<Record<IpFamily, AddressPool>> = {
    IPv4: new AddressPool(options.podCidr ?? '10.213.0.0/16', { firstOffset: 257, reserved: rangeHolds(range, nodeIp) ? [nodeIp] : [] }),
    ...(options.ipv6PodCidr ? { IPv6: new AddressPool(options.ipv6PodCidr) } : {}),
  };
  const families = Object.keys(pools) as IpFamily[];
  /** One address per family of the pod, primary first; on a refusal nothing stays taken. */
  const allocate = (pod: V1Pod): string[] => {
    const ips: string[] = [];
    try {
      for (const { family, address } of podAddressRequest(pod.metadata, families, families)) {
        const pool = pools[family]!;
        ips.push(address === undefined ? pool.next() : pool.take(address).address);
      }
    } catch (error) {
      giveBack(ips);
      throw error;
    }
    return ips;
  };
  const giveBack = (ips: readonly string[]) => {
    for (const ip of ips) pools[familyOf(ip) ?? 'IPv4']?.give(ip);
  };

  const pods = new Map<string, Stamped>();
  /** uids the stamper is done with; late watch events for them are ignored. */
  const finished = new Set<string>();
  const stats: PodStamperStats = { statusPatches: 0, deletes: 0, errors: 0, pods: 0 };
  let stopped = false;

  // The write pipeline: `queued` in arrival order, `inFlight` at most `concurrency`,
  // `again` for pods that changed while their write was in flight.
  const queued = new Set<string>();
  const inFlight = new Set<string>();
  const again = new Set<string>();
  let idleWaiters: (() => void)[] = [];
  const settleIdle = () => {
    if (queued.size > 0 || inFlight.size > 0) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const resolve of waiters) resolve();
  };
  const enqueue = (uid: string) => {
    if (stopped) return;
    if (inFlight.has(uid)) again.add(uid);
    else queued.add(uid);
    pump();
  };
  const pump = () => {
    while (!stopped && inFlight.size < concurrency && queued.size > 0) {
      const uid = queued.values().next().value as string;
      queued.delete(uid);
      inFlight.add(uid);
      void sync(uid).finally(() => {
        inFlight.delete(uid);
        if (again.delete(uid)) queued.add(uid);
        pump();
        settleIdle();
      });
    }
    settleIdle();
  };
  const retryLater = (uid: string) => {
    stats.errors++;
    setTimeout(() => enqueue(uid), RETRY_DELAY_MS).unref();
  };

  const runtimeOf = (state: Stamped): PodRuntime => {
    const containers: ContainerRuntime[] = (state.pod.spec?.containers ?? []).map((c) => ({
      name: c.name,
      image: c.image ?? 'unknown',
      state: state.exited
        ? { kind: 'terminated', startedAt: state.startTime, finishedAt: state.exited, exitCode: 0, reason: 'Completed' }
        : { kind: 'running', startedAt: state.startTime },
      ready: state.exited === undefined,
      restartCount: 0,
      pid: undefined,
    }));
    return { hostIp: nodeIp, podIps: state.ips, startTime: state.startTime, sandboxReady: state.exited === undefined, containers };
  };

  const release = (uid: string) => {
    const state = pods.get(uid);
    if (!state) return;
    clearTimeout(state.exitTimer);
    pods.delete(uid);
    finished.add(uid);
    giveBack(state.ips);
    stats.pods = pods.size;
  };

  const forceDelete = async (pod: V1Pod): Promise<boolean> => {
    try {
      await rest.request('DELETE', podPath(pod), {
        apiVersion: 'v1',
        kind: 'DeleteOptions',
        gracePeriodSeconds: 0,
        preconditions: { uid: pod.metadata?.uid },
      });
      stats.deletes++;
      return true;
    } catch (error) {
      const status = apiStatus(error);
      // 404: already gone; 409: the name now belongs to a new pod. Both mean done.
      if (status === 404 || status === 409) return true;
      log.warn(`delete of ${pod.metadata?.namespace}/${pod.metadata?.name} failed: ${describeApiError(error)}`);
      return false;
    }
  };

  const sync = async (uid: string): Promise<void> => {
    const state = pods.get(uid);
    if (!state || stopped) return;
    const body = statusPatch(state.pod, runtimeOf(state), new Date());
    if (body) {
      try {
        const updated = await rest.request<V1Pod>('PATCH', `${podPath(state.pod)}/status`, body, PATCH_TYPES.strategic);
        stats.statusPatches++;
        state.pod = newer(state.pod, updated);
        const containersReady = updated.status?.conditions?.find((c) => c.type === 'ContainersReady')?.status === 'True';
        if (containersReady && !state.readyReported) {
          state.readyReported = true;
          observer.containersReady?.(updated);
        }
      } catch (error) {
        if (apiStatus(error) === 404) {
          release(uid);
          return;
        }
        log.warn(`status patch of ${state.pod.metadata?.namespace}/${state.pod.metadata?.name} failed: ${describeApiError(error)}`);
        retryLater(uid);
        return;
      }
    }
    if (state.exited) {
      if (await forceDelete(state.pod)) {
        release(uid);
        observer.finalized?.(state.pod);
      } else {
        retryLater(uid);
      }
    }
  };

  const onPod = (pod: V1Pod) => {
    const uid = pod.metadata?.uid ?? '';
    if (stopped || finished.has(uid)) return;
    const state = pods.get(uid);
    if (!state) {
      if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') return;
      if (pod.metadata?.deletionTimestamp) {
        // Deleted before it was stamped: nothing ran, nothing to report.
        finished.add(uid);
        void forceDelete(pod);
        return;
      }
      let ips: string[];
      try {
        ips = allocate(pod);
      } catch (error) {
        log.warn(`cannot stamp pod ${pod.metadata?.namespace}/${pod.metadata?.name}: ${(error as Error).message}`);
        finished.add(uid);
        return;
      }
      pods.set(uid, { pod, ips, startTime: new Date(), exitAt: undefined, exitTimer: undefined, exited: undefined, readyReported: false });
      stats.pods = pods.size;
      enqueue(uid);
      return;
    }
    state.pod = newer(state.pod, pod);
    if (state.pod.metadata?.deletionTimestamp && !state.exited) {
      // A second delete with a shorter grace period can only bring the exit forward.
      const exitAt = Date.now() + exitDelayMs(state.pod);
      if (state.exitAt === undefined || exitAt < state.exitAt) {
        state.exitAt = exitAt;
        clearTimeout(state.exitTimer);
        state.exitTimer = setTimeout(() => {
          state.exited = new Date();
          enqueue(uid);
        }, Math.max(0, exitAt - Date.now()));
      }
    }
    enqueue(uid);
  };

  const watch: PodWatch = await startPodWatch({
    kubeConfig: options.kubeConfig,
    fieldSelector: `spec.nodeName=${nodeName}`,
    onUpsert: onPod,
    onDelete: (pod) => release(pod.metadata?.uid ?? ''),
    log,
  });
  log.info(`pod stamper ${nodeName} watching (pods from ${[...Object.values(pools)].map((p) => p.cidr).join(' and ')})`);

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      stopped = true;
      await watch.stop();
      for (const state of pods.values()) clearTimeout(state.exitTimer);
      queued.clear();
      // Writes in flight finish on their own; wait for them so none lands after cleanup.
      while (inFlight.size > 0) await new Promise((resolve) => setTimeout(resolve, 20));
      const cleanUp = options.cleanUpOnStop ?? true;
      if (cleanUp) {
        try {
          const left = (await core.listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${nodeName}` })).items;
          for (let i = 0; i < left.length; i += concurrency) await Promise.all(left.slice(i, i + concurrency).map(forceDelete));
        } catch (error) {
          log.warn(`listing pods of ${nodeName} for cleanup failed: ${describeApiError(error)}`);
        }
      }
      rest.close();
      await registration.stop(cleanUp);
      log.info(`pod stamper ${nodeName} stopped`);
    })();
    return stopping;
  };

  return {
    nodeName,
    nodeIp,
    stats: () => ({ ...stats }),
    idle: () =>
      new Promise<void>((resolve) => {
        idleWaiters.push(resolve);
        settleIdle();
      }),
    stop,
    [Symbol.asyncDispose]: stop,
  };
}

function rangeHolds(range: Ipv4Range, address: string): boolean {
  const value = parseIpv4(address);
  return value >= range.start && value < range.start + range.size;
}
