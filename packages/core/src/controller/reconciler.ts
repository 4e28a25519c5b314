/**
 * reconcile(serviceKey): reads the Service, its EndpointSlices and pods from the caches,
 * builds the desired state, reads the provider's actual state, applies the minimal plan,
 * then patches readiness gates, the Service status and events. Level-based: it never acts
 * on an event payload, so running it twice in a row does nothing the second time.
 */
import type * as k8s from '@kubernetes/client-node';
import { applyPlan, initialBackends } from '../apply/apply.ts';
import { TerminalError, errorMessage, isTerminalError } from '../errors.ts';
import { parsePodWeight, parseServiceSettings } from '../model/annotations.ts';
import { buildDesired, type DesiredState } from '../model/build-desired.ts';
import { unsupportedProtocolProblems } from '../model/service-view.ts';
import { containersReady, isTerminating } from '../model/pod-state.ts';
import { plan } from '../plan/plan.ts';
import type { BackendStatus, LoadBalancer, LoadBalancerIngress, Logger, ServiceSpecView } from '../provider.ts';
import { backendAddressKey } from '../provider.ts';
import type { Clock } from '../queue/clock.ts';
import { eachBounded } from '../util/each-bounded.ts';
import { type GateCondition, combineGates, conditionPatchBody, conditionToPatch, gateForPod, healthByKey } from '../readiness/gate.ts';
import { type Caches, podsFor, slicesFor } from './caches.ts';
import type { ClusterWriter, ObjectRef } from './cluster.ts';
import type { EventRecorder } from './events.ts';
import { type ReconcileResult, done, resultFromError } from './result.ts';

export const FINALIZER = 'sluice.dev/load-balancer-cleanup';

export interface ReconcilerOptions {
  readonly provider: LoadBalancer;
  readonly writer: ClusterWriter;
  readonly caches: Caches;
  readonly events: EventRecorder;
  readonly clock: Clock;
  readonly log: Logger;
  readonly clusterName: string;
  /** Services with this `spec.loadBalancerClass` are handled, as are Services with none. @default undefined (only unclassed) */
  readonly loadBalancerClass?: string;
  /** The readiness gate condition type. */
  readonly gateConditionType: string;
  /** Wait for LB health before passing the gate. false: pass it as soon as containers are ready (no protection). @default true */
  readonly gate?: boolean;
  /** Drain terminating pods at once. false: keep them at full weight until they exit (no protection). @default true */
  readonly drain?: boolean;
  /** How often to look at LB health while a gate waits. @default 1000 */
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
  /** Observations for metrics (gate wait, drain latency, provider calls). */
  readonly observer?: ReconcileObserver;
  /** How many pod condition patches one reconcile keeps in flight at once. @default 8 */
  readonly podWriteConcurrency?: number;
}

export interface ReconcileObserver {
  gatePassed?(pod: ObjectRef, waitedMs: number): void;
  drainApplied?(pod: ObjectRef, latencyMs: number): void;
  gateStuck?(pod: ObjectRef, waitedMs: number): void;
  providerWrite?(operation: string): void;
}

/** Is this Service Sluice's to handle? */
export function isHandled(service: k8s.V1Service, loadBalancerClass: string | undefined): boolean {
  if (service.spec?.type !== 'LoadBalancer') return false;
  const cls = service.spec.loadBalancerClass;
  return cls === undefined || cls === null || cls === '' || cls === loadBalancerClass;
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

function specHash(view: ServiceSpecView): string {
  return JSON.stringify([view.ports, view.annotations, view.loadBalancerClass ?? '', view.sourceRanges ?? []]);
}

function sameIngress(a: readonly LoadBalancerIngress[] | undefined, b: readonly LoadBalancerIngress[] | undefined): boolean {
  const norm = (x: readonly LoadBalancerIngress[] | undefined) =>
    JSON.stringify((x ?? []).map((i) => ({ ip: i.ip ?? '', hostname: i.hostname ?? '', ports: (i.ports ?? []).map((p) => `${p.port}/${p.protocol}`) })));
  return norm(a) === norm(b);
}

export class Reconciler {
  readonly #o: ReconcilerOptions;
  readonly #gate: boolean;
  readonly #drain: boolean;
  readonly #healthPollMs: number;
  readonly #lbVerifyMs: number;
  readonly #reensureMs: number;
  readonly #podWriteConcurrency: number;
  /** When ensureLoadBalancer last ran per Service key (clock ms). */
  readonly #ensuredAt = new Map<string, number>();
  /** When each Service's LB was last seen to exist with its ingress (clock ms). */
  readonly #verifiedAt = new Map<string, number>();
  /** Spec last ensured per Service key: a change re-runs ensureLoadBalancer. */
  readonly #ensured = new Map<string, string>();
  /** Pod UID of each registration, for providers that cannot record it (address key -> UID). */
  readonly #registrations = new Map<string, Map<string, string>>();
  /** Per pod UID, each Service's gate decision: the pod passes when all Services agree. */
  readonly #gates = new Map<string, Map<string, GateCondition>>();
  /** When a pod was first seen with ready containers / terminating (clock ms). */
  readonly #readySince = new Map<string, number>();
  readonly #terminatingSince = new Map<string, number>();
  readonly #drained = new Set<string>();
  readonly #stuckReported = new Set<string>();

  constructor(options: ReconcilerOptions) {
    this.#o = options;
    this.#gate = options.gate ?? true;
    this.#drain = options.drain ?? true;
    this.#healthPollMs = options.healthPollMs ?? 1000;
    this.#lbVerifyMs = options.lbVerifyMs ?? 60_000;
    this.#reensureMs = options.reensureMs ?? 300_000;
    this.#podWriteConcurrency = options.podWriteConcurrency ?? 8;
  }

  /** Records when a pod's containers became ready or it began terminating, as the informer saw it. */
  observePod(pod: k8s.V1Pod, verb: 'add' | 'update' | 'delete'): void {
    const uid = pod.metadata?.uid;
    if (!uid) return;
    if (verb === 'delete') {
      this.#readySince.delete(uid);
      this.#terminatingSince.delete(uid);
      this.#drained.delete(uid);
      this.#gates.delete(uid);
      this.#stuckReported.delete(uid);
      return;
    }
    const now = this.#o.clock.now();
    if (containersReady(pod) && !this.#readySince.has(uid)) this.#readySince.set(uid, now);
    if (isTerminating(pod) && !this.#terminatingSince.has(uid)) this.#terminatingSince.set(uid, now);
  }

  async reconcile(key: string, signal: AbortSignal): Promise<ReconcileResult> {
    const [namespace = '', name = ''] = key.split('/');
    const service = this.#o.caches.services.get(name, namespace);
    if (!service) {
      this.#forget(key);
      return done;
    }
    // Every line this reconcile logs (events included) names its Service.
    const log = withFields(this.#o.log, { service: key });
    try {
      if (service.metadata?.deletionTimestamp || !isHandled(service, this.#o.loadBalancerClass)) {
        return await this.#cleanup(key, service, signal, log);
      }
      return await this.#sync(key, service, signal, log);
    } catch (error) {
      this.#verifiedAt.delete(key);
      if (signal.aborted) throw error;
      const result = resultFromError(error);
      const message = isTerminalError(error) ? error.message : `Error syncing load balancer: ${errorMessage(error)}`;
      await this.#o.events.record(ref('Service', service.metadata), 'Warning', 'SyncLoadBalancerFailed', message, signal, log);
      return result;
    }
  }

  /** The Service is being deleted, left type LoadBalancer, or changed class: delete its LB, then release it. */
  async #cleanup(key: string, service: k8s.V1Service, signal: AbortSignal, log: Logger): Promise<ReconcileResult> {
    const finalizers = service.metadata?.finalizers ?? [];
    if (!finalizers.includes(FINALIZER)) {
      this.#forget(key);
      return done;
    }
    const view = buildDesired(service, [], [], { gateConditionType: this.#o.gateConditionType }).service;
    const svcRef = ref('Service', service.metadata);
    await this.#o.events.record(svcRef, 'Normal', 'DeletingLoadBalancer', 'Deleting load balancer', signal, log);
    await this.#o.provider.ensureLoadBalancerDeleted(this.#o.clusterName, view, signal);
    this.#o.observer?.providerWrite?.('ensureLoadBalancerDeleted');
    if (!service.metadata?.deletionTimestamp && (service.status?.loadBalancer?.ingress?.length ?? 0) > 0) {
      await this.#o.writer.patchServiceIngress(view.namespace, view.name, [], signal);
    }
    await this.#o.writer.setServiceFinalizers(
      view.namespace,
      view.name,
      finalizers.filter((f) => f !== FINALIZER),
      service.metadata?.resourceVersion ?? '',
      signal,
    );
    await this.#o.events.record(svcRef, 'Normal', 'DeletedLoadBalancer', 'Deleted load balancer', signal, log);
    this.#forget(key);
    return done;
  }

  async #sync(key: string, service: k8s.V1Service, signal: AbortSignal, log: Logger): Promise<ReconcileResult> {
    const { provider, clusterName } = this.#o;
    const svcRef = ref('Service', service.metadata);
    const slices = slicesFor(this.#o.caches, svcRef.namespace, svcRef.name);
    const pods = podsFor(this.#o.caches, slices);
    const desired = this.#desired(service, slices, pods);
    const { settings, problems: settingProblems } = parseServiceSettings(service.metadata);
    const problems = [...desired.problems, ...settingProblems];
    problems.push(...unsupportedProtocolProblems(desired.service, provider.capabilities.protocols, provider.providerName));
    problems.push(...(provider.validate?.(desired.service) ?? []));
    if (problems.length > 0) {
      // Bad input changes nothing: no finalizer, no LB write, no gate.
      throw new TerminalError(problems.map((p) => p.message).join(' '), { field: problems[0]?.field, reason: 'InvalidConfiguration' });
    }

    const finalizers = service.metadata?.finalizers ?? [];
    if (!finalizers.includes(FINALIZER)) {
      await this.#o.writer.setServiceFinalizers(svcRef.namespace, svcRef.name, [...finalizers, FINALIZER], service.metadata?.resourceVersion ?? '', signal);
    }

    // Create or converge the LB itself when it is missing or the Service's spec changed.
    const view = desired.service;
    const hash = specHash(view);
    const now = this.#o.clock.now();
    const verifiedAt = this.#verifiedAt.get(key);
    const trusted = verifiedAt !== undefined && this.#ensured.get(key) === hash && now - verifiedAt < this.#lbVerifyMs;
    if (!trusted) {
      const lookup = await provider.getLoadBalancer(clusterName, view, signal);
      let ingress = lookup.status?.ingress;
      const changed = !lookup.exists || this.#ensured.get(key) !== hash;
      if (changed || now - (this.#ensuredAt.get(key) ?? 0) >= this.#reensureMs) {
        // A periodic re-ensure of an unchanged Service is a drift check: no events for it.
        if (changed) await this.#o.events.record(svcRef, 'Normal', 'EnsuringLoadBalancer', 'Ensuring load balancer', signal, log);
        const initial = initialBackends(desired.backends);
        const status = await provider.ensureLoadBalancer(clusterName, view, lookup.exists ? await this.#currentSet(key, view, desired, signal) : initial, signal);
        this.#o.observer?.providerWrite?.('ensureLoadBalancer');
        if (!lookup.exists) this.#remember(key, initial);
        ingress = status.ingress;
        this.#ensured.set(key, hash);
        this.#ensuredAt.set(key, now);
        if (changed) await this.#o.events.record(svcRef, 'Normal', 'EnsuredLoadBalancer', 'Ensured load balancer', signal, log);
      }
      if (ingress && !sameIngress(ingress, service.status?.loadBalancer?.ingress as LoadBalancerIngress[] | undefined)) {
        await this.#o.writer.patchServiceIngress(svcRef.namespace, svcRef.name, ingress, signal);
      }
      this.#verifiedAt.set(key, now);
    }

    // Converge backends: the hot path.
    const actual = this.#withRegistrations(key, await provider.getBackendHealth(clusterName, view, signal));
    const actions = plan(desired.backends, actual, provider.capabilities);
    let health = actual;
    if (actions.length > 0) {
      const applied = await applyPlan({ provider, clusterName, service: view, desired: desired.backends, actual, actions, signal });
      for (let i = 0; i < applied.calls; i++) this.#o.observer?.providerWrite?.('updateLoadBalancer');
      this.#remember(key, applied.backends);
      const before = healthByKey(actual);
      // What the LB holds now: unchanged registrations keep their health, new ones start `initial`.
      health = applied.backends.map((b) => {
        const prior = before.get(backendAddressKey(b));
        const same = prior && (prior.podUid === undefined || prior.podUid === b.podUid);
        return { servicePort: b.servicePort, ip: b.ip, port: b.port, podUid: b.podUid, weight: b.weight, health: b.weight === 0 ? 'draining' : same ? prior.health : 'initial' };
      });
      this.#reportDrains(desired, actions, log);
      log.debug('applied backend changes', { actions: actions.map((a) => a.kind) });
    }

    const waiting = await this.#syncGates(key, desired, health, settings.gateTimeoutSeconds, signal, log);
    return waiting ? { kind: 'requeue', afterMs: this.#healthPollMs } : done;
  }

  #desired(service: k8s.V1Service, slices: k8s.V1EndpointSlice[], pods: k8s.V1Pod[]): DesiredState {
    const desired = buildDesired(service, slices, pods, { gateConditionType: this.#o.gateConditionType });
    if (this.#drain) return desired;
    // Protection off: a terminating pod keeps its weight until it exits (what happens without Sluice).
    const podsByUid = new Map(pods.map((p) => [p.metadata?.uid ?? '', p]));
    return {
      ...desired,
      backends: desired.backends.map((b) => {
        if (!b.draining) return b;
        return { ...b, draining: false, weight: parsePodWeight(podsByUid.get(b.podUid)?.metadata).weight };
      }),
    };
  }

  async #currentSet(key: string, view: ServiceSpecView, desired: DesiredState, signal: AbortSignal) {
    const actual = this.#withRegistrations(key, await this.#o.provider.getBackendHealth(this.#o.clusterName, view, signal));
    const wanted = new Set(desired.backends.map((b) => b.key));
    // Converging the LB's spec keeps its backends; ports that disappeared lose theirs.
    const ports = new Set(view.ports.map((p) => p.name));
    return actual
      .filter((a) => ports.has(a.servicePort) || wanted.has(backendAddressKey(a)))
      .map((a) => ({ servicePort: a.servicePort, ip: a.ip, port: a.port, podUid: a.podUid ?? '', podName: '', weight: a.weight }));
  }

  /** Fills in pod UIDs the provider cannot record, from what this process registered. */
  #withRegistrations(key: string, actual: readonly BackendStatus[]): BackendStatus[] {
    if (this.#o.provider.capabilities.tracksPodUid) return [...actual];
    const known = this.#registrations.get(key);
    return actual.map((a) => {
      const uid = known?.get(backendAddressKey(a));
      return uid === undefined || a.podUid !== undefined ? a : { ...a, podUid: uid };
    });
  }

  #remember(key: string, backends: readonly { servicePort: string; ip: string; port: number; podUid: string }[]): void {
    if (this.#o.provider.capabilities.tracksPodUid) return;
    this.#registrations.set(key, new Map(backends.filter((b) => b.podUid).map((b) => [backendAddressKey(b), b.podUid])));
  }

  #reportDrains(desired: DesiredState, actions: ReturnType<typeof plan>, log: Logger): void {
    const now = this.#o.clock.now();
    for (const a of actions) {
      if (a.kind !== 'drain' || this.#drained.has(a.backend.podUid)) continue;
      this.#drained.add(a.backend.podUid);
      const since = this.#terminatingSince.get(a.backend.podUid);
      const podRef: ObjectRef = { kind: 'Pod', namespace: desired.service.namespace, name: a.backend.podName, uid: a.backend.podUid };
      const latency = since === undefined ? 0 : now - since;
      this.#o.observer?.drainApplied?.(podRef, latency);
      log.info('drain applied', { pod: `${podRef.namespace}/${podRef.name}`, podUid: podRef.uid, latencyMs: Math.round(latency), wallMs: this.#o.clock.now() });
    }
  }

  /** Patches gate conditions that changed; returns whether any gated pod is still waiting. */
  async #syncGates(
    key: string,
    desired: DesiredState,
    health: readonly BackendStatus[],
    gateTimeoutSeconds: number,
    signal: AbortSignal,
    log: Logger,
  ): Promise<boolean> {
    const byKey = healthByKey(health);
    const gateType = this.#o.gateConditionType;
    let waiting = false;
    const now = this.#o.clock.now();
    // Each pod's condition is its own object: patch them side by side, a few at a time.
    await eachBounded(desired.pods, this.#podWriteConcurrency, async (p) => {
      if (!p.gated) return;
      const pod = this.#o.caches.pods.get(p.name, p.namespace);
      if (!pod || pod.metadata?.uid !== p.uid) return;
      const mine = this.#gate ? gateForPod(p, byKey) : { status: 'True' as const, reason: 'LBHealthy', message: 'LB synced successfully' };
      let perService = this.#gates.get(p.uid);
      if (!perService) this.#gates.set(p.uid, (perService = new Map()));
      perService.set(key, mine);
      const wanted = combineGates([...perService.values()]);
      const podRef = ref('Pod', pod.metadata);
      const patch = conditionToPatch(pod, gateType, wanted);
      if (patch) {
        await this.#o.writer.patchPodStatus(p.namespace, p.name, conditionPatchBody(pod, gateType, patch, new Date(this.#o.clock.now())), signal);
        if (patch.status === 'True') {
          const waited = now - (this.#readySince.get(p.uid) ?? now);
          this.#o.observer?.gatePassed?.(podRef, waited);
          log.info('gate passed', { pod: `${p.namespace}/${p.name}`, podUid: p.uid, waitedMs: Math.round(waited), wallMs: this.#o.clock.now() });
        } else if (!pod.status?.conditions?.some((c) => c.type === gateType)) {
          await this.#o.events.record(podRef, 'Normal', 'WaitingForLoadBalancer', `Registered on the load balancer; ${patch.message}`, signal, log);
        }
      }
      if (wanted.status !== 'True' && pod.status?.conditions?.find((c) => c.type === gateType)?.status !== 'True') {
        waiting = true;
        const since = this.#readySince.get(p.uid) ?? now;
        if (now - since > gateTimeoutSeconds * 1000 && !this.#stuckReported.has(p.uid)) {
          this.#stuckReported.add(p.uid);
          this.#o.observer?.gateStuck?.(podRef, now - since);
          const message = `Readiness gate ${gateType} has waited ${Math.round((now - since) / 1000)}s for the load balancer (limit ${gateTimeoutSeconds}s): ${wanted.message}`;
          await this.#o.events.record(podRef, 'Warning', 'ReadinessGateStuck', message, signal, log);
          await this.#o.events.record(ref('Service', { namespace: p.namespace, name: desired.service.name, uid: desired.service.uid }), 'Warning', 'ReadinessGateStuck', `Pod ${p.name}: ${message}`, signal, log);
        }
      }
    });
    return waiting;
  }

  #forget(key: string): void {
    this.#ensured.delete(key);
    this.#verifiedAt.delete(key);
    this.#ensuredAt.delete(key);
    this.#registrations.delete(key);
    for (const perService of this.#gates.values()) perService.delete(key);
  }
}
