/**
 * The Sluice controller: informers for Services, EndpointSlices and Pods feed Service keys
 * into a work queue; workers reconcile one key at a time; a jittered periodic resync
 * re-reads every handled Service so drift made by hand on the LB is corrected.
 *
 * Construct without starting: the constructor only stores options. `start(signal)` lists,
 * watches and runs until the signal aborts, then stops watches and workers and resolves.
 */
import * as k8s from '@kubernetes/client-node';
import { errorMessage } from '../errors.ts';
import { LIST_PAGE_SIZE, listInPages } from '../kube/paged-list.ts';
import { shareApiConnections } from '../kube/shared-connections.ts';
import { isLeadershipLost } from '../leader/leader-elector.ts';
import { objectKey, podCondition } from '../model/kube-types.ts';
import { hasReadinessGate, isTerminating } from '../model/pod-state.ts';
import { selectorMatches } from '../model/selector.ts';
import type { LoadBalancer, Logger } from '../provider.ts';
import { type Clock, systemClock } from '../queue/clock.ts';
import { WorkQueue } from '../queue/work-queue.ts';
import { type Caches, serviceKeyOfSlice, serviceKeysOfPod } from './caches.ts';
import { type ClusterWriter, KubeClusterWriter } from './cluster.ts';
import { EventRecorder } from './events.ts';
import { FINALIZER, isHandled, POD_KEY_PREFIX, type ReconcileObserver, Reconciler } from './reconciler.ts';
import { ResilientInformer } from './resilient-informer.ts';
import { handleResult } from './result.ts';

export interface ControllerOptions {
  readonly kubeConfig: k8s.KubeConfig;
  readonly provider: LoadBalancer;
  readonly log: Logger;
  /** Names this cluster in LB names and ownership tags. @default 'kubernetes' */
  readonly clusterName?: string;
  /** Sluice's loadBalancerClass: Services with it are handled. @default 'sluice.dev/load-balancer' */
  readonly loadBalancerClass?: string;
  /** Also handle Services with no class (only where no cloud controller takes them). @default false */
  readonly handleUnclassed?: boolean;
  /** @default 'sluice.dev/load-balancer-ready' */
  readonly gateConditionType?: string;
  /** Wait for LB health before passing the gate. @default true */
  readonly gate?: boolean;
  /** Drain terminating pods at once. @default true */
  readonly drain?: boolean;
  /** Concurrent reconciles (different Services). @default 4 */
  readonly workers?: number;
  /** Full resync period; each Service is spread with up to 20% jitter. @default 300_000 */
  readonly resyncMs?: number;
  /** How often LB health is read while a gate waits. @default the provider's health-check interval */
  readonly healthPollMs?: number;
  /** Restart a silent watch after this long. @default 120_000 */
  readonly watchStallMs?: number;
  /** @default systemClock */
  readonly clock?: Clock;
  /** @default KubeClusterWriter on kubeConfig */
  readonly writer?: ClusterWriter;
  readonly observer?: ReconcileObserver & ControllerObserver;
  /**
   * After the start signal aborts, how long in-flight reconciles may run before they are
   * aborted. An abort whose reason is a LeadershipLostError aborts them at once. @default 30_000
   */
  readonly shutdownTimeoutMs?: number;
  /** Called once caches are synced and workers run. */
  readonly onReady?: () => void;
}

/** Hooks for metrics around the work queue and reconciles. */
export interface ControllerObserver {
  /** A key left the queue after waiting `waitedMs`. */
  dequeued?(waitedMs: number): void;
  /** A reconcile ended with `result` ('done', 'requeue', 'retry', 'terminal' or 'crash') after `durationMs`. */
  reconciled?(result: string, durationMs: number): void;
}

export class Controller {
  readonly #o: ControllerOptions;
  #queue: WorkQueue | undefined;
  #synced = false;

  constructor(options: ControllerOptions) {
    this.#o = options;
  }

  /** True once every informer has listed. */
  get synced(): boolean {
    return this.#synced;
  }

  /** Keys waiting in the queue. */
  get queueDepth(): number {
    return this.#queue?.length ?? 0;
  }

  async start(signal: AbortSignal): Promise<void> {
    const o = this.#o;
    const clock = o.clock ?? systemClock;
    const log = o.log;
    const observer = o.observer;
    const queue = new WorkQueue({ clock, ...(observer?.dequeued ? { onDequeue: (_key: string, waited: number) => observer.dequeued!(waited) } : {}) });
    // Reconciles run on their own signal: a stop stops taking work at once but lets them
    // finish (up to the shutdown timeout); a lost Lease aborts them at once.
    const inflight = new AbortController();
    this.#queue = queue;
    const kc = shareApiConnections(o.kubeConfig);
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const discovery = kc.makeApiClient(k8s.DiscoveryV1Api);
    const loadBalancerClass = o.loadBalancerClass;
    const page = (cont: string | undefined) => ({ limit: LIST_PAGE_SIZE, ...(cont ? { _continue: cont } : {}) });
    let reconciler: Reconciler | undefined;

    const watch = <T extends k8s.KubernetesObject>(name: string, path: string, list: k8s.ListPromise<T>, onChange: (obj: T, verb: 'add' | 'update' | 'delete') => void) =>
      new ResilientInformer<T>({ name, informer: k8s.makeInformer(kc, path, list), clock, log, ...(o.watchStallMs ? { stallMs: o.watchStallMs } : {}), onChange });
    // A Service that appears, changes or goes may take a pod's gate over or leave it to itself.
    let checkGatesOf: (svc: k8s.V1Service) => void = () => {};
    const services = watch<k8s.V1Service>('services', '/api/v1/services', () => listInPages((cont) => core.listServiceForAllNamespaces(page(cont))), (svc) => {
      queue.add(objectKey(svc.metadata));
      checkGatesOf(svc);
    });
    const slices = watch<k8s.V1EndpointSlice>('endpointslices', '/apis/discovery.k8s.io/v1/endpointslices', () => listInPages((cont) => discovery.listEndpointSliceForAllNamespaces(page(cont))), (slice) => {
      const key = serviceKeyOfSlice(slice);
      if (key) queue.add(key);
    });
    const gateType = o.gateConditionType ?? 'sluice.dev/load-balancer-ready';
    // A gated pod is also looked at on its own, so one that no Sluice Service selects is told.
    const checkGate = (pod: k8s.V1Pod) => {
      if (hasReadinessGate(pod, gateType) && !isTerminating(pod) && podCondition(pod, gateType)?.status !== 'True') queue.add(`${POD_KEY_PREFIX}${objectKey(pod.metadata)}`);
    };
    const pods = watch<k8s.V1Pod>('pods', '/api/v1/pods', () => listInPages((cont) => core.listPodForAllNamespaces(page(cont))), (pod, verb) => {
      reconciler?.observePod(pod, verb);
      if (verb !== 'delete') checkGate(pod);
      for (const key of serviceKeysOfPod(services.cache, pod, slices.cache)) queue.add(key);
    });
    checkGatesOf = (svc) => {
      for (const pod of pods.cache.list(svc.metadata?.namespace ?? '')) if (selectorMatches(svc.spec?.selector, pod.metadata?.labels)) checkGate(pod);
    };
    // Nodes only for a provider that needs their provider IDs; a node has its ID before pods run on it.
    const nodes = o.provider.capabilities.nodeProviderIds
      ? watch<k8s.V1Node>('nodes', '/api/v1/nodes', () => listInPages((cont) => core.listNode(page(cont))), () => {})
      : undefined;
    const caches: Caches = { services: services.cache, endpointSlices: slices.cache, pods: pods.cache, ...(nodes ? { nodes: nodes.cache } : {}) };
    const writer = o.writer ?? new KubeClusterWriter(kc);
    reconciler = new Reconciler({
      provider: o.provider,
      writer,
      caches,
      events: new EventRecorder({ writer, clock, log }),
      clock,
      log,
      clusterName: o.clusterName ?? 'kubernetes',
      ...(loadBalancerClass ? { loadBalancerClass } : {}),
      handleUnclassed: o.handleUnclassed ?? false,
      gateConditionType: o.gateConditionType ?? 'sluice.dev/load-balancer-ready',
      gate: o.gate ?? true,
      drain: o.drain ?? true,
      ...(o.healthPollMs ? { healthPollMs: o.healthPollMs } : {}),
      ...(o.observer ? { observer: o.observer } : {}),
    });

    const informers = [services, slices, pods, ...(nodes ? [nodes] : [])];
    try {
      // Preflight: one cheap authenticated call, so an unreachable or refusing API server fails
      // the start with its own error rather than as a watch that retries forever.
      await kc.makeApiClient(k8s.CoreV1Api).listNamespace({ limit: 1 });
      // Nodes, pods and slices first, so the first Service reconciles see complete caches.
      if (nodes) {
        await nodes.start().catch((error: unknown) => {
          throw new Error(
            `The ${o.provider.providerName} provider needs each node's spec.providerID, and listing nodes failed: ${errorMessage(error)}. Grant the controller list and watch on nodes (deploy/examples/${o.provider.providerName}).`,
            { cause: error },
          );
        });
      }
      await pods.start();
      await slices.start();
      await services.start();
    } catch (error) {
      await Promise.allSettled(informers.map((i) => i.stop()));
      queue.shutDown();
      throw error;
    }
    this.#synced = true;
    log.info('caches synced', { services: services.cache.list().length, pods: pods.cache.list().length });

    const resyncMs = o.resyncMs ?? 300_000;
    let cancelResync: () => void = () => {};
    const resync = () => {
      for (const svc of services.cache.list()) {
        const handled = isHandled(svc, loadBalancerClass, o.handleUnclassed ?? false) || (svc.metadata?.finalizers ?? []).includes(FINALIZER);
        if (handled) queue.addAfter(objectKey(svc.metadata), Math.random() * resyncMs * 0.2);
      }
      for (const pod of pods.cache.list()) checkGate(pod);
      cancelResync = clock.setTimer(resync, resyncMs);
    };
    cancelResync = clock.setTimer(resync, resyncMs);

    const worker = async () => {
      for (;;) {
        const key = await queue.get(signal);
        if (key === undefined) return;
        const started = clock.now();
        let kind = 'crash';
        try {
          const result = await reconciler.reconcile(key, inflight.signal);
          kind = result.kind;
          const delay = handleResult(queue, key, result);
          if (result.kind === 'retry' || result.kind === 'terminal') {
            log.warn(`reconcile ${key}: ${result.kind}`, { service: key, error: errorMessage(result.error), retryInMs: delay === undefined ? undefined : Math.round(delay) });
          } else {
            log.debug(`reconcile ${key}: ${result.kind}`, { service: key, ms: Math.round(clock.now() - started) });
          }
        } catch (error) {
          if (!inflight.signal.aborted) {
            log.error(`reconcile ${key} crashed`, { service: key, error: errorMessage(error) });
            queue.addRateLimited(key);
          }
        } finally {
          observer?.reconciled?.(kind, clock.now() - started);
          queue.done(key);
        }
      }
    };
    const workers = Array.from({ length: o.workers ?? 4 }, () => worker());
    o.onReady?.();

    await new Promise<void>((resolve) => {
      if (signal.aborted) resolve();
      else signal.addEventListener('abort', () => resolve(), { once: true });
    });
    cancelResync();
    queue.shutDown();
    const timeoutMs = o.shutdownTimeoutMs ?? 30_000;
    const busy = queue.processingCount;
    if (isLeadershipLost(signal.reason)) {
      inflight.abort(signal.reason);
    } else if (busy > 0) {
      log.info('stopping: finishing in-flight reconciles', { inFlight: busy, timeoutMs });
    }
    const cancelDeadline = clock.setTimer(() => {
      if (!inflight.signal.aborted) log.warn('stopping: in-flight reconciles did not finish in time, aborting them', { timeoutMs });
      inflight.abort(new Error(`shutdown timeout of ${timeoutMs} ms`));
    }, timeoutMs);
    await Promise.allSettled(workers);
    cancelDeadline();
    await Promise.allSettled(informers.map((i) => i.stop()));
    this.#synced = false;
  }
}
