/**
 * reconcile(serviceKey): read, decide, execute. It reads the Service, its EndpointSlices and
 * pods from the caches and the LB's state from the provider, hands everything to the pure
 * {@link decide}, and runs the plan it returns with {@link executePlan}. It makes no decision
 * itself: a restart or a new leadership term, reading the same state, reaches the same plan.
 * Level-based: it never acts on an event payload, so running it twice in a row does nothing
 * the second time.
 */
import type * as k8s from '@kubernetes/client-node';
import { type ExecuteContext, type ExecuteObserver, executePlan } from '../apply/execute.ts';
import { decide, drainsOnly, FINALIZER, healthPollMs, shouldReadLoadBalancer } from '../decide/decide.ts';
import { decidePodGate } from '../decide/pod-gate.ts';
import { DEFAULT_LOAD_BALANCER_CLASS, isHandled } from '../decide/service-checks.ts';
import type { DecideInput, ObservedLoadBalancer, ServicePlan } from '../decide/types.ts';
import { errorMessage, isTerminalError } from '../errors.ts';
import { containersReady, isTerminating } from '../model/pod-state.ts';
import { toServiceView } from '../model/service-view.ts';
import type { BackendStatus, LoadBalancer, Logger } from '../provider.ts';
import type { Clock } from '../queue/clock.ts';
import { type Caches, serviceKeysOfPod } from './caches.ts';
import { readClusterState } from './cluster-state.ts';
import type { ClusterWriter, ObjectRef } from './cluster.ts';
import type { EventRecorder } from './events.ts';
import { sameHealth, settled } from './health-reads.ts';
import { ReconcileMemory } from './memory.ts';
import { done, type ReconcileResult, resultFromError } from './result.ts';

export { FINALIZER, isHandled };

/** Work-queue keys of pods (whose gate no Sluice Service may own) start with this; Service keys are `namespace/name`. */
export const POD_KEY_PREFIX = 'pod:';

export interface ReconcilerOptions {
  readonly provider: LoadBalancer;
  readonly writer: ClusterWriter;
  readonly caches: Caches;
  readonly events: EventRecorder;
  readonly clock: Clock;
  readonly log: Logger;
  readonly clusterName: string;
  /** Sluice's `spec.loadBalancerClass`. @default 'sluice.dev/load-balancer' */
  readonly loadBalancerClass?: string;
  /** Also handle Services with no class (where no cloud controller takes them). @default false */
  readonly handleUnclassed?: boolean;
  /** The readiness gate condition type. */
  readonly gateConditionType: string;
  /** Wait for LB health before passing the gate. false: pass it as soon as containers are ready (no protection). @default true */
  readonly gate?: boolean;
  /** Drain terminating pods at once. false: keep them at full weight until they exit (no protection). @default true */
  readonly drain?: boolean;
  /** How often to look at LB health while a gate waits. @default the provider's healthCheckIntervalMs */
  readonly healthPollMs?: number;
  /**
   * How long an LB this process ensured and found is trusted to exist before getLoadBalancer
   * is called again. Within it the hot path reads only backend health; any error, a spec
   * change or the period running out re-checks the LB (and so repairs an LB deleted by hand).
   * @default 60_000
   */
  readonly lbVerifyMs?: number;
  /**
   * How often ensureLoadBalancer runs again on an unchanged Service, so drift made by hand on
   * the LB itself (a deleted listener, an edited health check) is repaired. Providers make no
   * write when nothing drifted. @default 300_000
   */
  readonly reensureMs?: number;
  /** How long a backend the provider refused waits before it is offered again. @default 30_000 */
  readonly rejectedRetryMs?: number;
  /** Observations for metrics (gate wait, drain latency, provider calls) and the plan of each reconcile. */
  readonly observer?: ReconcileObserver;
  /** How many pod condition patches one reconcile keeps in flight at once. @default 8 */
  readonly podWriteConcurrency?: number;
}

export interface ReconcileObserver extends ExecuteObserver {
  /** The plan a reconcile is about to execute. */
  planned?(plan: ServicePlan): void;
}

function ref(kind: 'Service' | 'Pod', meta: k8s.V1ObjectMeta | undefined): ObjectRef {
  return { kind, namespace: meta?.namespace ?? '', name: meta?.name ?? '', uid: meta?.uid ?? '' };
}

/** `log` with `fields` on every line: its own child when it has one, else a wrapper that adds them. */
function withFields(log: Logger, fields: Record<string, unknown>): Logger {
  if (log.child) return log.child(fields);
  const add = (extra?: Record<string, unknown>) => ({ ...fields, ...extra });
  return {
    debug: (message, extra) => log.debug(message, add(extra)),
    info: (message, extra) => log.info(message, add(extra)),
    warn: (message, extra) => log.warn(message, add(extra)),
    error: (message, extra) => log.error(message, add(extra)),
    child: (more) => withFields(log, { ...fields, ...more }),
  };
}

export class Reconciler {
  readonly #o: ReconcilerOptions;
  readonly #lbVerifyMs: number;
  /** Caches only; see {@link ReconcileMemory} for what losing each costs. */
  readonly #memory = new ReconcileMemory();

  constructor(options: ReconcilerOptions) {
    this.#o = options;
    this.#lbVerifyMs = options.lbVerifyMs ?? 60_000;
  }

  /** Records when a pod's containers became ready or it began terminating, as the informer saw it. */
  observePod(pod: k8s.V1Pod, verb: 'add' | 'update' | 'delete'): void {
    const uid = pod.metadata?.uid;
    if (!uid) return;
    if (verb === 'delete') {
      this.#memory.forgetPod(uid);
      return;
    }
    const now = this.#o.clock.now();
    if (containersReady(pod) && !this.#memory.readySince.has(uid)) this.#memory.readySince.set(uid, now);
    if (isTerminating(pod) && !this.#memory.terminatingSince.has(uid)) this.#memory.terminatingSince.set(uid, now);
  }

  async reconcile(key: string, signal: AbortSignal): Promise<ReconcileResult> {
    if (key.startsWith(POD_KEY_PREFIX)) return this.#reconcilePodGate(key.slice(POD_KEY_PREFIX.length), signal);
    const [namespace = '', name = ''] = key.split('/');
    const service = this.#o.caches.services.get(name, namespace);
    if (!service) {
      this.#memory.forgetService(key);
      return done;
    }
    // Every line this reconcile logs (events included) names its Service.
    const log = withFields(this.#o.log, { service: key });
    let readFailed = false;
    try {
      const input = await this.#read(key, service, signal).catch(async (error: unknown) => {
        readFailed = true;
        await this.#drainDespite(error, key, service, signal, log);
        throw error;
      });
      const plan = decide(input);
      this.#o.observer?.planned?.(plan);
      const result = await executePlan(plan, this.#executeContext(log, signal));
      if (plan.mode === 'cleanup' || plan.mode === 'ignore') this.#memory.forgetService(key);
      return result;
    } catch (error) {
      this.#memory.verifiedAt.delete(key);
      // After a failed read our record of the LB's backends still holds (only our writes change
      // them): kept, marked due, so the next reconcile reads again and can still drain meanwhile.
      // After a failed write it may not hold: dropped.
      const cached = this.#memory.health.get(key);
      if (cached && readFailed) this.#memory.health.set(key, { ...cached, at: Number.NEGATIVE_INFINITY });
      else this.#memory.health.delete(key);
      if (signal.aborted) throw error;
      const message = isTerminalError(error) ? error.message : `Error syncing load balancer: ${errorMessage(error)}`;
      await this.#o.events.record(ref('Service', service.metadata), 'Warning', 'SyncLoadBalancerFailed', message, signal, log);
      return resultFromError(error);
    }
  }

  /**
   * A gated pod no Sluice Service selects gets told (see decidePodGate). Pods that a Sluice
   * Service selects are that Service's reconcile's business.
   */
  async #reconcilePodGate(podKey: string, signal: AbortSignal): Promise<ReconcileResult> {
    const [namespace = '', name = ''] = podKey.split('/');
    const pod = this.#o.caches.pods.get(name, namespace);
    if (!pod) return done;
    const handleUnclassed = this.#o.handleUnclassed ?? false;
    const servedBy = serviceKeysOfPod(this.#o.caches.services, pod, this.#o.caches.endpointSlices).filter((k) => {
      const [ns = '', n = ''] = k.split('/');
      const svc = this.#o.caches.services.get(n, ns);
      return svc !== undefined && !svc.metadata?.deletionTimestamp && isHandled(svc, this.#o.loadBalancerClass, handleUnclassed);
    });
    const plan = decidePodGate({
      pod,
      servedBy,
      gateConditionType: this.#o.gateConditionType,
      loadBalancerClass: this.#o.loadBalancerClass ?? DEFAULT_LOAD_BALANCER_CLASS,
      handleUnclassed,
      now: this.#o.clock.now(),
    });
    const log = withFields(this.#o.log, { pod: podKey });
    try {
      if (plan.patch) await this.#o.writer.patchPodStatus(namespace, name, plan.patch.body, signal);
      for (const e of plan.events) await this.#o.events.record(e.object, e.type, e.reason, e.message, signal, log);
      return done;
    } catch (error) {
      if (signal.aborted) throw error;
      return resultFromError(error);
    }
  }

  /**
   * A provider read failed (throttled, a cloud outage): drains must not wait for it. What our
   * own writes left on the LB (the last health read, kept current by executePlan) tells which
   * registrations the Service's terminating pods hold; only those drains are applied, nothing
   * else of the plan. Then the read's error goes on to the usual retry. With no such record (the
   * first read of this process) there is nothing to drain from, and nothing is written.
   */
  async #drainDespite(error: unknown, key: string, service: k8s.V1Service, signal: AbortSignal, log: Logger): Promise<void> {
    const cached = this.#memory.health.get(key);
    if (signal.aborted || !cached || cached.statuses.length === 0) return;
    const plan = decide(await this.#read(key, service, signal, cached.statuses));
    if (plan.drains.length > 0 && (plan.mode === 'sync' || plan.mode === 'invalid')) {
      log.warn('a provider read failed; applying the Service\'s drains without it', { error: errorMessage(error), drains: plan.drains.length });
      try {
        await executePlan(drainsOnly(plan), this.#executeContext(log, signal));
      } catch (drainError) {
        if (signal.aborted) throw drainError;
        log.warn('drains without a read failed too', { error: errorMessage(drainError) });
      }
    }
  }

  #executeContext(log: Logger, signal: AbortSignal): ExecuteContext {
    return {
      provider: this.#o.provider,
      writer: this.#o.writer,
      events: this.#o.events,
      memory: this.#memory,
      clusterName: this.#o.clusterName,
      now: () => this.#o.clock.now(),
      log,
      signal,
      podWriteConcurrency: this.#o.podWriteConcurrency ?? 8,
      ...(this.#o.observer ? { observer: this.#o.observer } : {}),
    };
  }

  /**
   * Reads what decide needs: caches, then the provider (getLoadBalancer unless trusted, backend
   * health). With `recorded` (see #drainDespite) the provider is not asked: the LB is trusted and
   * its backends are the ones recorded.
   */
  async #read(key: string, service: k8s.V1Service, signal: AbortSignal, recorded?: readonly BackendStatus[]): Promise<DecideInput> {
    const { provider, clusterName } = this.#o;
    const state = readClusterState(this.#o.caches, service, this.#o.loadBalancerClass, this.#o.handleUnclassed ?? false);
    const now = this.#o.clock.now();
    // Read after the provider reads below, so it includes what they changed (the health-read streak).
    const memory = () => this.#memory.view(key, [...state.pods, ...state.selectedPods].map((p) => p.metadata?.uid ?? ''));
    const options = {
      clusterName,
      ...(this.#o.loadBalancerClass ? { loadBalancerClass: this.#o.loadBalancerClass } : {}),
      handleUnclassed: this.#o.handleUnclassed ?? false,
      gateConditionType: this.#o.gateConditionType,
      gate: this.#o.gate ?? true,
      drain: this.#o.drain ?? true,
      ...(this.#o.healthPollMs !== undefined ? { healthPollMs: this.#o.healthPollMs } : {}),
      ...(this.#o.reensureMs !== undefined ? { reensureMs: this.#o.reensureMs } : {}),
      ...(this.#o.rejectedRetryMs !== undefined ? { rejectedRetryMs: this.#o.rejectedRetryMs } : {}),
    };
    const base = { service, ...state, provider, now, options };
    const leaving = Boolean(service.metadata?.deletionTimestamp) || !isHandled(service, this.#o.loadBalancerClass, this.#o.handleUnclassed ?? false);
    if (leaving) return { ...base, memory: memory(), health: [] }; // ensureLoadBalancerDeleted is idempotent: nothing to read
    if (recorded) return { ...base, lb: { kind: 'trusted' }, memory: memory(), health: recorded };
    // First sight of this Service in this process: the drift check counts from now (see ReconcileMemory.ensuredAt).
    if (!this.#memory.ensuredAt.has(key)) this.#memory.ensuredAt.set(key, now);
    const read = shouldReadLoadBalancer({
      service,
      verifiedAt: this.#memory.verifiedAt.get(key),
      ensuredAt: this.#memory.ensuredAt.get(key),
      now,
      verifyMs: this.#lbVerifyMs,
      ...(this.#o.reensureMs !== undefined ? { reensureMs: this.#o.reensureMs } : {}),
    });
    const specView = toServiceView(service).view;
    let lb: ObservedLoadBalancer = { kind: 'trusted' };
    if (read) {
      const lookup = await provider.getLoadBalancer(clusterName, specView, signal);
      lb = { kind: 'read', lookup };
      if (lookup.exists) this.#memory.verifiedAt.set(key, now);
      if (!lookup.exists) {
        // No LB, no backends: that is this poll's health read (the create keeps it current).
        this.#memory.health.set(key, { at: now, statuses: [], unchanged: 0 });
        return { ...base, lb, memory: memory(), health: [] };
      }
    }
    const health = await this.#readHealth(key, specView, now, signal);
    return { ...base, lb, memory: memory(), health };
  }

  /**
   * One shared health read per poll: a read younger than the poll (the LB's own health-check
   * interval, see healthPollMs) stands for every reconcile of the Service within it. Our own
   * writes keep it current (executePlan updates it); anything else waits for the next read.
   * Once every registration in it is settled (healthy, or drained), nothing waits on what the
   * LB says next: the read then stands for the LB verification period (lbVerifyMs), so the
   * drains and removals of a rollout cost no health read; a registration of ours makes it
   * unsettled again (`initial`) and the poll resumes.
   */
  async #readHealth(key: string, view: ReturnType<typeof toServiceView>['view'], now: number, signal: AbortSignal) {
    const { provider, clusterName } = this.#o;
    const cached = this.#memory.health.get(key);
    const ttl = healthPollMs({ ...(this.#o.healthPollMs !== undefined ? { healthPollMs: this.#o.healthPollMs } : {}) }, provider.capabilities.healthCheckIntervalMs);
    if (cached && now - cached.at < (settled(cached.statuses) ? Math.max(ttl, this.#lbVerifyMs) : ttl)) return cached.statuses;
    const statuses = [...(await provider.getBackendHealth(clusterName, view, signal))];
    const same = cached !== undefined && sameHealth(cached.statuses, statuses);
    this.#memory.health.set(key, { at: now, statuses, unchanged: same ? cached.unchanged + 1 : 0 });
    return statuses;
  }
}
