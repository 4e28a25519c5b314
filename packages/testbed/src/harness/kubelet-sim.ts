/**
 * A kubelet (and scheduler) stand-in for one node: it registers the Node, binds the pending
 * pods the scheduling policy gives it, runs each pod's containers as real processes in the pod
 * network, reports their status the way the kubelet does (Ready honours readiness gates), and
 * on deletion honours preStop and the grace period before removing the Pod. Each pod gets one
 * address per family of `podIpFamilies` (or of its `sim.sluice.dev/ip-families`), reported in
 * `status.podIPs` primary first; a pod annotated `sim.sluice.dev/pod-ip` gets that address of
 * the pod network (even one another pod holds).
 *
 * Several simulators may share a cluster and a pod network; each owns only the pods bound to
 * its node. Watches: pods with `spec.nodeName=<node>` (to run) and pods with an empty nodeName
 * (to schedule).
 */
import { CoordinationV1Api, CoreV1Api, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { apiStatus, describeApiError } from './api-errors.ts';
import type { IpFamily } from './ip-family.ts';
import { type HarnessLogger, silentLogger } from './logger.ts';
import { registerNode, SIMULATED_NODE_LABEL } from './node-registration.ts';
import type { PodNetwork } from './pod-network.ts';
import { PodRunner } from './pod-runner.ts';
import { assignPods, isSchedulable, type SchedulePolicy, schedulableNodes, spreadByOwner } from './pod-scheduling.ts';
import { type PodWatch, startPodWatch } from './pod-watch.ts';

/** Options for {@link startKubeletSimulator}. */
export interface KubeletSimulatorOptions {
  kubeConfig: KubeConfig;
  network: PodNetwork;
  /**
   * Node name.
   * @default `sim-${zone}`
   */
  nodeName?: string;
  /**
   * `topology.kubernetes.io/zone` of the node.
   * @default 'zone-a'
   */
  zone?: string;
  /**
   * `topology.kubernetes.io/region`.
   * @default undefined (label omitted)
   */
  region?: string;
  /**
   * The node's InternalIP address.
   * @default network.hostIp (the root end of the pod network)
   */
  internalIp?: string;
  /**
   * Extra node labels.
   * @default {}
   */
  labels?: Record<string, string>;
  /**
   * `spec.providerID` of the node (cloud controllers map nodes to instances with it).
   * @default undefined
   */
  providerId?: string;
  /**
   * Chooses a node for each pending pod. Every simulator in the cluster must use the same one.
   * @default spreadByOwner (spread replicas across fitting nodes, deterministic ties)
   */
  schedule?: SchedulePolicy;
  /**
   * The address families each pod gets, primary first, as the pods of a single- or dual-stack
   * cluster do; a pod may choose its own with `sim.sluice.dev/ip-families`. Every family must
   * be one the network has ({@link PodNetwork.families}).
   * @default ['IPv4']
   */
  podIpFamilies?: readonly IpFamily[];
  /**
   * Multiplies readiness probe timings. The API server defaults `periodSeconds` to 10, so tests
   * either set it on the probe or pass e.g. 0.1 here.
   * @default 1
   */
  probeTimeScale?: number;
  /**
   * Node Lease renewal interval.
   * @default 10000
   */
  heartbeatIntervalMs?: number;
  /**
   * On stop, delete the pods bound to the node, its Lease and the Node itself.
   * @default true
   */
  cleanUpOnStop?: boolean;
  /**
   * Where progress goes.
   * @default silentLogger
   */
  log?: HarnessLogger;
}

/** A running simulated node. */
export interface KubeletSimulator {
  readonly nodeName: string;
  readonly zone: string;
  /** The node's InternalIP. */
  readonly nodeIp: string;
  /** Kills all containers, stops watching, and cleans up per `cleanUpOnStop`. Idempotent. */
  stop(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** How often pending pods are looked at again when nothing else triggers a pass. */
const SCHEDULE_RESYNC_MS = 1000;

export async function startKubeletSimulator(options: KubeletSimulatorOptions): Promise<KubeletSimulator> {
  const zone = options.zone ?? 'zone-a';
  const nodeName = options.nodeName ?? `sim-${zone}`;
  const log = options.log ?? silentLogger;
  const policy = options.schedule ?? spreadByOwner;
  const core = options.kubeConfig.makeApiClient(CoreV1Api);
  const coordination = options.kubeConfig.makeApiClient(CoordinationV1Api);
  const network = options.network;
  const podIpFamilies = options.podIpFamilies ?? ['IPv4'];
  const unserved = podIpFamilies.filter((f) => !network.families.includes(f));
  if (unserved.length > 0 || podIpFamilies.length === 0 || new Set(podIpFamilies).size !== podIpFamilies.length) {
    throw new Error(`podIpFamilies ${JSON.stringify(podIpFamilies)} is invalid: allowed are one or two of the pod network's families (${network.families.join(', ')}).`);
  }

  const registration = await registerNode(
    core,
    coordination,
    {
      name: nodeName,
      zone,
      region: options.region,
      internalIp: options.internalIp ?? network.hostIp,
      labels: options.labels ?? {},
      providerId: options.providerId,
      heartbeatIntervalMs: options.heartbeatIntervalMs ?? 10_000,
    },
    log,
  );

  let stopped = false;
  const runners = new Map<string, PodRunner>();
  /** uids whose pods this simulator has finished with; late watch events for them are ignored. */
  const finished = new Set<string>();
  const context = {
    core,
    network,
    hostIp: network.hostIp,
    podIpFamilies,
    probeTimeScale: options.probeTimeScale ?? 1,
    log,
    onDone: (uid: string) => {
      runners.delete(uid);
      finished.add(uid);
    },
  };

  const forceDelete = async (pod: V1Pod) => {
    const { name = '', namespace = '', uid } = pod.metadata ?? {};
    try {
      // With a body the API server ignores query parameters: the grace period goes in the body.
      await core.deleteNamespacedPod({ name, namespace, body: { gracePeriodSeconds: 0, preconditions: { uid } } });
    } catch (error) {
      const status = apiStatus(error);
      if (status !== 404 && status !== 409) log.warn(`delete of ${namespace}/${name} failed: ${describeApiError(error)}`);
    }
  };

  const onMyPod = (pod: V1Pod) => {
    const uid = pod.metadata?.uid ?? '';
    if (stopped || finished.has(uid)) return;
    const runner = runners.get(uid);
    if (runner) {
      runner.update(pod);
      return;
    }
    if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') return;
    if (pod.metadata?.deletionTimestamp) {
      // Deleted before anything ran: nothing to drain.
      finished.add(uid);
      void forceDelete(pod);
      return;
    }
    const created = new PodRunner(pod, context);
    runners.set(uid, created);
    try {
      created.start();
    } catch (error) {
      log.warn(`cannot start pod ${pod.metadata?.namespace}/${pod.metadata?.name}: ${(error as Error).message}`);
    }
  };

  const mine = await startPodWatch({
    kubeConfig: options.kubeConfig,
    fieldSelector: `spec.nodeName=${nodeName}`,
    onUpsert: onMyPod,
    onDelete: (pod) => runners.get(pod.metadata?.uid ?? '')?.removed(),
    log,
  });

  // Scheduling passes never overlap; requests during a pass cause exactly one more.
  let passRunning = false;
  let passAgain = false;
  const schedulePass = async (): Promise<void> => {
    if (passRunning) {
      passAgain = true;
      return;
    }
    passRunning = true;
    try {
      do {
        passAgain = false;
        await scheduleOnce();
      } while (passAgain && !stopped);
    } catch (error) {
      log.warn(`scheduling pass failed: ${describeApiError(error)}`);
    } finally {
      passRunning = false;
    }
  };
  let pendingWatch: PodWatch | undefined;
  const scheduleOnce = async () => {
    const pending = (pendingWatch?.list() ?? []).filter(isSchedulable);
    if (stopped || pending.length === 0) return;
    const nodes = schedulableNodes((await core.listNode({ labelSelector: `${SIMULATED_NODE_LABEL}=true` })).items);
    const bound = (await core.listPodForAllNamespaces({ fieldSelector: 'spec.nodeName!=' })).items.filter(
      (p) => p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed',
    );
    const assignments = assignPods(pending, { nodes, boundPods: bound }, policy);
    for (const pod of pending) {
      const { name = '', namespace = '', uid } = pod.metadata ?? {};
      if (stopped || assignments.get(uid ?? '') !== nodeName) continue;
      try {
        await core.createNamespacedPodBinding({
          name,
          namespace,
          body: {
            apiVersion: 'v1',
            kind: 'Binding',
            metadata: { name, namespace, uid },
            target: { apiVersion: 'v1', kind: 'Node', name: nodeName },
          },
        });
        log.debug(`bound ${namespace}/${name} to ${nodeName}`);
      } catch (error) {
        // 409: another simulator bound it first; 404: it is gone. Both settle themselves.
        const status = apiStatus(error);
        if (status !== 409 && status !== 404) log.warn(`binding ${namespace}/${name} failed: ${describeApiError(error)}`);
      }
    }
  };
  pendingWatch = await startPodWatch({
    kubeConfig: options.kubeConfig,
    fieldSelector: 'spec.nodeName=',
    onUpsert: () => void schedulePass(),
    onDelete: () => {},
    log,
  });
  const resync = setInterval(() => void schedulePass(), SCHEDULE_RESYNC_MS);
  void schedulePass();

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      stopped = true;
      clearInterval(resync);
      await Promise.all([mine.stop(), pendingWatch?.stop()]);
      await Promise.all([...runners.values()].map((r) => r.kill()));
      const cleanUp = options.cleanUpOnStop ?? true;
      if (cleanUp) {
        try {
          const left = await core.listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${nodeName}` });
          await Promise.all(left.items.map(forceDelete));
        } catch (error) {
          log.warn(`listing pods of ${nodeName} for cleanup failed: ${describeApiError(error)}`);
        }
      }
      await registration.stop(cleanUp);
      log.info(`node ${nodeName} stopped`);
    })();
    return stopping;
  };

  return { nodeName, zone, nodeIp: options.internalIp ?? network.hostIp, stop, [Symbol.asyncDispose]: stop };
}
