/**
 * Executes a {@link ServicePlan}: the only place a reconcile writes. It makes no decision of
 * its own; it runs the plan's steps in the order that keeps traffic safe and records what
 * happened for the next decide():
 *
 * 1. 'start' events (an invalid Service's Warning is all it gets);
 * 2. the finalizer, before the LB exists, so a deleted Service always deletes its LB;
 * 3. drains, first and on their own: nothing registered later, and no error of another
 *    backend, can hold them back;
 * 4. the LB operation (create, ensure, delete); a backend refused here is taken out as in 5;
 * 5. registrations, reweights, removals, one updateLoadBalancer per batch carrying the whole
 *    set as it should be after that batch. A backend the provider refuses
 *    ({@link BackendRejectedError}, or a terminal error that bisecting pins on it) is taken
 *    out and remembered; the others go ahead;
 * 6. the applied-spec digest, the ingress, the finalizer's release;
 * 7. gate patches (side by side, a few at a time), skipping pods refused in step 5;
 * 8. 'end' events.
 */

import type { ClusterWriter } from '../controller/cluster.ts';
import type { EventRecorder } from '../controller/events.ts';
import type { ReconcileMemory } from '../controller/memory.ts';
import type { ReconcileResult } from '../controller/result.ts';
import { sameIngress, withIpMode } from '../decide/service-checks.ts';
import type { ServicePlan } from '../decide/types.ts';
import { errorMessage, isBackendRejectedError, isTerminalError, TerminalError } from '../errors.ts';
import { APPLIED_SPEC_ANNOTATION } from '../model/annotations.ts';
import { applyToSet, type BackendAction, batchActions } from '../plan/plan.ts';
import type { Backend, BackendStatus, LoadBalancer, Logger } from '../provider.ts';
import { backendAddressKey, backendKey } from '../provider.ts';
import { eachBounded } from '../util/each-bounded.ts';

export interface ExecuteObserver {
  gatePassed?(pod: { kind: 'Pod'; namespace: string; name: string; uid: string }, waitedMs: number): void;
  drainApplied?(pod: { kind: 'Pod'; namespace: string; name: string; uid: string }, latencyMs: number): void;
  gateStuck?(pod: { kind: 'Pod'; namespace: string; name: string; uid: string }, waitedMs: number): void;
  providerWrite?(operation: string): void;
  /** A backend was removed without ever being drained, its pod gone or exited (see ServicePlan.drainsMissed). */
  drainMissed?(service: string, podUid: string): void;
  /** The LB's backends of `service` (`namespace/name`) as our writes just left them: new registrations `initial`, drains `draining`. */
  backendsWritten?(service: string, statuses: readonly BackendStatus[]): void;
}

export interface ExecuteContext {
  readonly provider: LoadBalancer;
  readonly writer: ClusterWriter;
  readonly events: EventRecorder;
  readonly memory: ReconcileMemory;
  readonly clusterName: string;
  readonly now: () => number;
  readonly log: Logger;
  readonly signal: AbortSignal;
  /** Gate patches in flight at once. */
  readonly podWriteConcurrency: number;
  readonly observer?: ExecuteObserver;
}

/** Runs the plan; returns the result for the queue. Provider and API errors propagate. */
export async function executePlan(plan: ServicePlan, ctx: ExecuteContext): Promise<ReconcileResult> {
  const { provider, writer, signal, memory, log } = ctx;
  const { view } = plan;
  // A pod whose backend the provider refused in this run is reported by the next decide; what
  // this plan says about it assumed the registration would land.
  const refusedPods = new Set<string>();
  const say = async (when: 'start' | 'end') => {
    for (const e of plan.events.filter((x) => x.when === when && !(x.object.kind === 'Pod' && refusedPods.has(x.object.uid)))) {
      await ctx.events.record(e.object, e.type, e.reason, e.message, signal, log);
      if (e.reportKey) memory.reported.add(e.reportKey);
      if (e.stuckMs !== undefined && e.object.kind === 'Pod') ctx.observer?.gateStuck?.({ ...e.object, kind: 'Pod' }, e.stuckMs);
    }
  };
  await say('start');
  if (plan.mode === 'ignore') return { kind: 'done' };

  if (plan.finalizers?.kind === 'add') {
    await writer.setServiceFinalizers(view.namespace, view.name, plan.finalizers.value, plan.finalizers.resourceVersion, signal);
  }

  let set: Backend[] = [...plan.holding];
  const update = async (next: Backend[]) => {
    signal.throwIfAborted();
    await provider.updateLoadBalancer(ctx.clusterName, view, next, signal);
    ctx.observer?.providerWrite?.('updateLoadBalancer');
    set = next;
  };

  for (const batch of batchActions(plan.drains, provider.capabilities.maxBatch)) {
    await update(applyToSet(set, batch));
    reportDrains(batch, plan, ctx);
  }

  const refused = new Set<string>();
  const op = plan.loadBalancerOp;
  let ensured: Awaited<ReturnType<LoadBalancer['ensureLoadBalancer']>> | undefined;
  if (op?.kind === 'create' || op?.kind === 'ensure') {
    // A backend the provider refuses while it creates or ensures the LB is taken out like one
    // refused by an update (applyBatch): the LB and every other backend go ahead.
    let backends = [...op.backends];
    for (let attempt = 0; ; attempt++) {
      signal.throwIfAborted();
      try {
        ensured = await provider.ensureLoadBalancer(ctx.clusterName, view, backends, signal);
        break;
      } catch (error) {
        const ids = new Set(backends.map(backendKey));
        const hits = isBackendRejectedError(error) && attempt < 3 ? error.rejected.filter((r) => ids.has(r.key)) : [];
        if (hits.length === 0) throw error;
        for (const r of hits) refuseBackend(r.key, r.message, refused, plan, ctx);
        backends = backends.filter((b) => !refused.has(backendKey(b)));
      }
    }
    ctx.observer?.providerWrite?.('ensureLoadBalancer');
    set = backends;
    memory.ensuredAt.set(plan.key, ctx.now());
    memory.verifiedAt.set(plan.key, ctx.now());
  } else if (op?.kind === 'delete') {
    await provider.ensureLoadBalancerDeleted(ctx.clusterName, view, signal);
    ctx.observer?.providerWrite?.('ensureLoadBalancerDeleted');
  }

  for (const batch of batchActions(plan.backends, provider.capabilities.maxBatch)) {
    await applyBatch(batch, () => set, update, refused, plan, ctx);
  }
  for (const m of plan.drainsMissed) {
    ctx.observer?.drainMissed?.(plan.key, m.podUid);
    log.warn('backend removed without a drain: its pod was gone or had exited first', { podUid: m.podUid, backend: m.address });
  }
  if (plan.mode === 'sync') rememberRegistrations(plan.key, set, ctx);
  if (plan.mode === 'sync' || plan.mode === 'invalid') rememberHealth(plan.key, set, ctx);

  if (plan.appliedSpec !== undefined) {
    await writer.setServiceAnnotation(view.namespace, view.name, APPLIED_SPEC_ANNOTATION, plan.appliedSpec, signal);
  }
  const ingress = plan.ingress;
  if (ingress?.kind === 'set') await writer.patchServiceIngress(view.namespace, view.name, ingress.ingress, signal);
  else if (ingress?.kind === 'from-ensure' && ensured && !sameIngress(withIpMode(ensured.ingress, ingress.ipMode), plan.currentIngress)) {
    await writer.patchServiceIngress(view.namespace, view.name, withIpMode(ensured.ingress, ingress.ipMode), signal);
  } else if (ingress?.kind === 'clear') await writer.patchServiceIngress(view.namespace, view.name, [], signal);
  if (plan.mode === 'sync' && (op === undefined || ensured)) memory.verifiedAt.set(plan.key, memory.verifiedAt.get(plan.key) ?? ctx.now());

  if (plan.finalizers?.kind === 'remove') {
    await writer.setServiceFinalizers(view.namespace, view.name, plan.finalizers.value, plan.finalizers.resourceVersion, signal);
  }

  // Each pod's gate decision on this Service, for the other Services that select it.
  for (const [uid, decision] of plan.gateDecisions) {
    let perService = memory.gates.get(uid);
    if (!perService) memory.gates.set(uid, (perService = new Map()));
    perService.set(plan.key, decision);
  }
  for (const id of refused) refusedPods.add(id.split('|')[3] ?? '');
  await eachBounded(
    plan.gates.filter((g) => !refusedPods.has(g.pod.uid)),
    ctx.podWriteConcurrency,
    async (g) => {
      await writer.patchPodStatus(g.pod.namespace, g.pod.name, g.body, signal);
      if (g.condition.status === 'True') memory.passed.add(g.pod.uid);
      if (g.passedAfterMs !== undefined) {
        ctx.observer?.gatePassed?.({ ...g.pod, kind: 'Pod' }, g.passedAfterMs);
        log.info('gate passed', { pod: `${g.pod.namespace}/${g.pod.name}`, podUid: g.pod.uid, waitedMs: Math.round(g.passedAfterMs), wallMs: ctx.now() });
      }
    },
  );
  await say('end');

  if (refused.size > 0) return { kind: 'requeue', afterMs: 0 }; // the next decide reports each refusal on its pod
  switch (plan.next.kind) {
    case 'done':
      return { kind: 'done' };
    case 'requeue':
      return { kind: 'requeue', afterMs: plan.next.afterMs };
    case 'terminal':
      return { kind: 'terminal', error: new TerminalError(plan.next.message, { reason: 'InvalidConfiguration', ...(plan.next.field ? { field: plan.next.field } : {}) }) };
  }
}

/**
 * One batch of registrations, reweights or removals. A refused backend is taken out and the
 * rest sent again; a terminal error on a batch of several registrations is narrowed down one
 * backend at a time, so it lands on the backend at fault and on no other.
 */
async function applyBatch(
  batch: readonly BackendAction[],
  current: () => Backend[],
  update: (next: Backend[]) => Promise<void>,
  refused: Set<string>,
  plan: ServicePlan,
  ctx: ExecuteContext,
): Promise<void> {
  const refuse = (id: string, message: string) => refuseBackend(id, message, refused, plan, ctx);
  let pending = [...batch];
  for (let attempt = 0; pending.length > 0; attempt++) {
    try {
      await update(applyToSet(current(), pending));
      return;
    } catch (error) {
      const ids = new Set(pending.filter((a) => a.kind !== 'deregister').map((a) => backendKey(a.backend as Backend)));
      if (isBackendRejectedError(error) && attempt < 3) {
        const hits = error.rejected.filter((r) => ids.has(r.key));
        if (hits.length === 0) throw error;
        for (const r of hits) refuse(r.key, r.message);
        pending = pending.filter((a) => a.kind === 'deregister' || !refused.has(backendKey(a.backend)));
        continue;
      }
      const registering = pending.filter((a) => a.kind === 'register' || a.kind === 'reweight');
      if (isTerminalError(error) && registering.length > 0) {
        if (pending.length === 1) {
          refuse(backendKey(registering[0]!.backend), errorMessage(error));
          return;
        }
        // Narrow it down: each action alone.
        for (const action of pending) await applyBatch([action], current, update, refused, plan, ctx);
        return;
      }
      throw error;
    }
  }
}

/** Takes a backend the provider refused out of this run and remembers why, for the next decide to report on its pod. */
function refuseBackend(id: string, message: string, refused: Set<string>, plan: ServicePlan, ctx: ExecuteContext): void {
  refused.add(id);
  let perService = ctx.memory.rejected.get(plan.key);
  if (!perService) ctx.memory.rejected.set(plan.key, (perService = new Map()));
  perService.set(id, { message, at: ctx.now() });
  ctx.log.warn('backend refused by the load balancer', { backend: id, error: message });
}

function reportDrains(batch: readonly BackendAction[], plan: ServicePlan, ctx: ExecuteContext): void {
  const now = ctx.now();
  for (const a of batch) {
    if (a.kind !== 'drain' || ctx.memory.drained.has(a.backend.podUid)) continue;
    ctx.memory.drained.add(a.backend.podUid);
    const since = ctx.memory.terminatingSince.get(a.backend.podUid);
    const pod = { kind: 'Pod' as const, namespace: plan.view.namespace, name: a.backend.podName, uid: a.backend.podUid };
    const latency = since === undefined ? 0 : now - since;
    ctx.observer?.drainApplied?.(pod, latency);
    ctx.log.info('drain applied', { pod: `${pod.namespace}/${pod.name}`, podUid: pod.uid, latencyMs: Math.round(latency), wallMs: now });
  }
}

/** The shared health read, brought up to what the LB holds after our writes: new registrations start `initial`. */
function rememberHealth(key: string, set: readonly Backend[], ctx: ExecuteContext): void {
  const cached = ctx.memory.health.get(key);
  if (!cached) return;
  const before = new Map(cached.statuses.map((s) => [backendAddressKey(s), s]));
  const statuses = set.map((b) => {
    const prior = before.get(backendAddressKey(b));
    const same = prior !== undefined && (prior.podUid === undefined || prior.podUid === b.podUid);
    const health = b.weight === 0 ? 'draining' : same ? prior.health : 'initial';
    return { servicePort: b.servicePort, ip: b.ip, port: b.port, podUid: b.podUid, weight: b.weight, health } as const;
  });
  ctx.memory.health.set(key, { ...cached, statuses });
  ctx.observer?.backendsWritten?.(key, statuses);
}

function rememberRegistrations(key: string, set: readonly Backend[], ctx: ExecuteContext): void {
  if (ctx.provider.capabilities.tracksPodUid) return;
  ctx.memory.registrations.set(key, new Map(set.filter((b) => b.podUid).map((b) => [backendAddressKey(b), b.podUid])));
}
