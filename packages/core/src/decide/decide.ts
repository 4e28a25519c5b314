/**
 * decide: everything one reconcile knows -> one {@link ServicePlan}. Pure: no I/O, no clock
 * but `input.now`, the same plan for the same input. The reconciler reads, calls this and
 * executes the plan; `sluice plan` prints the same value. No other place decides.
 *
 * Rules, in the order they apply:
 * 1. Not Sluice's (type, class) or being deleted: with the finalizer, delete the LB, clear the
 *    ingress, release the finalizer; without it, nothing.
 * 2. Service-level problems: a Warning naming field, value and what is allowed, and no write
 *    at all (no finalizer, no LB, no gate); an LB that already exists still drains its
 *    terminating pods, since drains are always safe.
 * 3. Otherwise converge: finalizer first (so a deleted Service always deletes its LB), drains
 *    (applied first and on their own), the LB operation (create; ensure when the spec digest
 *    recorded on the Service differs or the drift check is due), registrations, reweights,
 *    removals, the digest, the ingress, gate patches, events.
 *
 * Pod-level problems stay on their pod: an invalid weight keeps a pod off the LB (or keeps
 * its registration exactly as it is, when it has one) with its gate False and a Warning; a
 * backend the provider refused waits `rejectedRetryMs` with its gate False and a Warning.
 * Neither changes what happens to any other pod.
 */

import { currentBackends } from '../apply/apply.ts';
import { parseServiceSettings } from '../model/annotations.ts';
import { buildDesired } from '../model/build-desired.ts';
import { toServiceView } from '../model/service-view.ts';
import { applyToSet, type BackendAction, plan, stripKey } from '../plan/plan.ts';
import type { Backend, LoadBalancerIngress, ServiceProblem } from '../provider.ts';
import type { GateCondition } from '../readiness/gate.ts';
import { appliedSpecDigest, recordedSpecDigest } from './applied-spec.ts';
import { featureChecks } from './feature-checks.ts';
import { decideGates, refusedServiceGates, stuckReports } from './gates.ts';
import { healthAfter, holdBackends, missedDrains, withRegistrations } from './holds.ts';
import { podReports } from './reports.ts';
import { DEFAULT_LOAD_BALANCER_CLASS, FINALIZER, isAdoptedUnclassed, isHandled, sameIngress, serviceProblems, withIpMode } from './service-checks.ts';

export { FINALIZER };

import type { DecideInput, GatePatch, LoadBalancerOperation, PlannedEvent, PlanObjectRef, ServicePlan } from './types.ts';

export { GATE_REASON_ADDRESS_CONFLICT, GATE_REASON_INVALID_WEIGHT, GATE_REASON_REJECTED, GATE_REASON_SERVICE_REFUSED } from './gates.ts';

const DEFAULTS = { reensureMs: 300_000 };

/**
 * How long one health read stands for the LB, and so how often a waiting gate looks again: the
 * configured poll when one is given, else the LB's own health-check interval (health cannot
 * change faster than the LB checks it), stretched by half for each read in a row that changed
 * nothing, up to twice the base.
 */
export function healthPollMs(options: Pick<DecideInput['options'], 'healthPollMs'>, healthCheckIntervalMs: number, unchangedReads = 0): number {
  const base = options.healthPollMs ?? healthCheckIntervalMs;
  return Math.round(base * Math.min(2, 1.5 ** Math.max(0, unchangedReads)));
}


/**
 * Whether the reconcile must call getLoadBalancer, or may trust that the LB this process
 * ensured at `verifiedAt` still exists: only within `verifyMs`, with the spec digest recorded
 * on the Service matching, and no drift check due.
 */
export function shouldReadLoadBalancer(input: {
  readonly service: DecideInput['service'];
  readonly verifiedAt: number | undefined;
  readonly ensuredAt: number | undefined;
  readonly now: number;
  readonly verifyMs: number;
  readonly reensureMs?: number;
}): boolean {
  if (input.verifiedAt === undefined || input.now - input.verifiedAt >= input.verifyMs) return true;
  if (input.ensuredAt !== undefined && input.now - input.ensuredAt >= (input.reensureMs ?? DEFAULTS.reensureMs)) return true;
  const view = toServiceView(input.service).view;
  return recordedSpecDigest(input.service.metadata?.annotations) !== appliedSpecDigest(view);
}

export function decide(input: DecideInput): ServicePlan {
  const { service, options, provider, now } = input;
  const meta = service.metadata ?? {};
  const { view, problems: viewProblems } = toServiceView(service);
  const key = `${view.namespace}/${view.name}`;
  const svcRef: PlanObjectRef = { kind: 'Service', namespace: view.namespace, name: view.name, uid: view.uid };
  const finalizers = [...(meta.finalizers ?? [])];
  const hasFinalizer = finalizers.includes(FINALIZER);
  const deleting = meta.deletionTimestamp !== undefined && meta.deletionTimestamp !== null;
  const base = {
    key,
    service: svcRef,
    loadBalancer: provider.getLoadBalancerName(options.clusterName, view),
    view,
    problems: [] as ServiceProblem[],
    holding: [] as Backend[],
    drains: [] as BackendAction[],
    backends: [] as BackendAction[],
    gates: [] as GatePatch[],
    currentIngress: (service.status?.loadBalancer?.ingress ?? []) as LoadBalancerIngress[],
    gateDecisions: new Map<string, GateCondition>(),
    events: [] as PlannedEvent[],
    drainsMissed: [] as { podUid: string; address: string }[],
  };

  if (deleting || !isHandled(service, options.loadBalancerClass, options.handleUnclassed)) {
    if (!hasFinalizer) return { ...base, mode: 'ignore', next: { kind: 'done' } };
    const type = service.spec?.type ?? '';
    const reason = deleting
      ? 'the Service is being deleted'
      : type !== 'LoadBalancer'
        ? `the Service's type is ${type || '(unset)'} now`
        : `the Service's loadBalancerClass ${service.spec?.loadBalancerClass} is not Sluice's`;
    const exists = input.lb?.kind === 'read' ? input.lb.lookup.exists : input.lb?.kind === 'trusted' ? true : undefined;
    return {
      ...base,
      mode: 'cleanup',
      loadBalancerOp: { kind: 'delete', exists, reason },
      ...(!deleting && (service.status?.loadBalancer?.ingress?.length ?? 0) > 0 ? { ingress: { kind: 'clear' as const } } : {}),
      finalizers: { kind: 'remove', value: finalizers.filter((f) => f !== FINALIZER), resourceVersion: meta.resourceVersion ?? '' },
      events: [
        { object: svcRef, type: 'Normal', reason: 'DeletingLoadBalancer', message: 'Deleting load balancer', when: 'start' },
        { object: svcRef, type: 'Normal', reason: 'DeletedLoadBalancer', message: 'Deleted load balancer', when: 'end' },
      ],
      next: { kind: 'done' },
    };
  }

  const desired = buildDesired(service, input.slices, input.pods, {
    gateConditionType: options.gateConditionType,
    drain: options.drain ?? true,
    ...(input.nodeProviderIds ? { nodeProviderIds: input.nodeProviderIds } : {}),
  });
  const health = withRegistrations(input);
  const lbExists = input.lb?.kind === 'trusted' || (input.lb?.kind === 'read' && input.lb.lookup.exists);
  const features = featureChecks(view, (service.spec?.loadBalancerSourceRanges?.length ?? 0) > 0, provider.capabilities, provider.providerName, input.pods);
  const problems = [...serviceProblems(service, view, viewProblems, input.selectedPods, provider), ...features.problems];

  if (problems.length > 0) {
    const message = problems.map((p) => p.message).join(' ');
    // Bad input changes nothing. An LB made before the input went bad still drains.
    const drains = hasFinalizer && lbExists ? plan(desired.backends, health, provider.capabilities).filter((a) => a.kind === 'drain') : [];
    const gates = refusedServiceGates(input, svcRef, message);
    return {
      ...base,
      mode: 'invalid',
      problems,
      holding: currentBackends(health, desired.backends),
      drains,
      gates: gates.patches,
      gateDecisions: gates.decisions,
      events: [{ object: svcRef, type: 'Warning', reason: 'InvalidConfiguration', message, when: 'start' }],
      next: { kind: 'terminal', message, ...(problems[0] ? { field: problems[0].field } : {}) },
    };
  }

  const events: PlannedEvent[] = [];
  for (const w of features.warnings) {
    // Once per Service and setting; pod weights once per Service whatever pods ask (their names change every rollout).
    const reportKey = w.field.startsWith('pods[]') ? `feature|${view.uid}|${w.field}` : `feature|${view.uid}|${w.field}|${w.message}`;
    if (!input.memory.reported?.has(reportKey)) events.push({ object: svcRef, type: 'Warning', reason: 'NotHonoured', message: w.message, when: 'start', reportKey });
  }
  if (isAdoptedUnclassed(service, options.handleUnclassed ?? false)) {
    const reportKey = `adopted|${view.uid}`;
    if (!input.memory.reported?.has(reportKey)) {
      events.push({
        object: svcRef,
        type: 'Warning',
        reason: 'UnclassedService',
        message: `Service ${key} has no loadBalancerClass; Sluice keeps serving it because it made its load balancer while unclassed Services were handled, but it takes no new unclassed Service. Move it to loadBalancerClass ${options.loadBalancerClass ?? DEFAULT_LOAD_BALANCER_CLASS} (a new Service: the class cannot change), or run Sluice with --handle-unclassed.`,
        when: 'start',
        reportKey,
      });
    }
  }
  const held = holdBackends(input, desired, health);
  const actions = plan(held.backends, health, provider.capabilities);
  const drains = actions.filter((a) => a.kind === 'drain');
  let rest = actions.filter((a) => a.kind !== 'drain');

  // The LB itself.
  const digest = appliedSpecDigest(view);
  const recorded = recordedSpecDigest(meta.annotations);
  let loadBalancerOp: LoadBalancerOperation | undefined;
  if (!lbExists) {
    const registers = rest.filter((a) => a.kind === 'register');
    loadBalancerOp = { kind: 'create', backends: applyToSet([], registers), registers };
    rest = rest.filter((a) => a.kind !== 'register');
  } else {
    const ensuredAt = input.memory.ensuredAt ?? now;
    const reason =
      recorded === undefined ? 'unrecorded' : recorded !== digest ? 'spec-changed' : input.lb?.kind === 'read' && now - ensuredAt >= (options.reensureMs ?? DEFAULTS.reensureMs) ? 'drift-check' : undefined;
    if (reason) {
      // ensureLoadBalancer converges the LB with what it holds after the drains; ports that left the Service go with it.
      const ports = new Set(view.ports.map((p) => p.name));
      const afterDrains = applyToSet(currentBackends(health, desired.backends), drains);
      const removedPorts = [...new Set(afterDrains.filter((b) => !ports.has(b.servicePort)).map((b) => b.servicePort))].sort();
      loadBalancerOp = { kind: 'ensure', reason, backends: afterDrains.filter((b) => ports.has(b.servicePort)), removedPorts };
      rest = rest.filter((a) => a.kind !== 'deregister' || ports.has(a.actual.servicePort));
    }
  }
  const announce = loadBalancerOp && (loadBalancerOp.kind === 'create' || (loadBalancerOp.kind === 'ensure' && loadBalancerOp.reason === 'spec-changed'));
  if (announce) {
    events.push({ object: svcRef, type: 'Normal', reason: 'EnsuringLoadBalancer', message: 'Ensuring load balancer', when: 'start' });
    events.push({ object: svcRef, type: 'Normal', reason: 'EnsuredLoadBalancer', message: 'Ensured load balancer', when: 'end' });
  }

  let ingress: ServicePlan['ingress'];
  const ipMode = provider.capabilities.ipMode;
  if (loadBalancerOp) ingress = { kind: 'from-ensure', ipMode };
  else if (input.lb?.kind === 'read' && input.lb.lookup.status) {
    const wanted = withIpMode(input.lb.lookup.status.ingress, ipMode);
    if (!sameIngress(wanted, service.status?.loadBalancer?.ingress)) ingress = { kind: 'set', ingress: wanted };
  }

  // Gates, on the health the LB will report once the plan is applied.
  const after = healthAfter(health, desired.backends, [...drains, ...(loadBalancerOp?.kind === 'create' ? loadBalancerOp.registers : []), ...rest]);
  // Once per plan, not per pod: the Service's families and the pods by UID.
  const families = view.ipFamilies ?? ['IPv4'];
  const podsByUid = new Map(input.pods.map((p) => [p.metadata?.uid ?? '', p]));
  const gates = decideGates(input, families, podsByUid, desired, after, held, svcRef, events);
  const settings = parseServiceSettings(meta).settings;
  const waiting = stuckReports(input, podsByUid, gates.waiting, settings.gateTimeoutSeconds, svcRef, events);
  podReports(input, desired, held, svcRef, events);

  const retryIn = held.retryAt.length > 0 ? Math.max(0, Math.min(...held.retryAt) - now) : undefined;
  // Registrations the LB has not judged yet are looked at again even when no gate waits (pods
  // without the gate, gates already passed, an LB re-created under passed gates): what the LB
  // then reports is what the metrics and the next plan see.
  const unjudged = after.filter((s) => s.weight > 0 && s.health === 'initial').length;
  const pollMs = healthPollMs(options, provider.capabilities.healthCheckIntervalMs, input.memory.unchangedHealthReads);
  const next: ServicePlan['next'] =
    waiting > 0
      ? {
          kind: 'requeue',
          afterMs: Math.min(healthPollMs(options, provider.capabilities.healthCheckIntervalMs, input.memory.unchangedHealthReads), retryIn ?? Number.POSITIVE_INFINITY),
          why: `${waiting} gate${waiting === 1 ? '' : 's'} waiting`,
        }
      : retryIn !== undefined
        ? { kind: 'requeue', afterMs: retryIn, why: 'a refused backend is offered again' }
        : unjudged > 0
          ? { kind: 'requeue', afterMs: pollMs, why: `${unjudged} registration${unjudged === 1 ? '' : 's'} not yet judged by the load balancer` }
          : { kind: 'done' };

  return {
    ...base,
    mode: 'sync',
    holding: currentBackends(health, desired.backends),
    ...(hasFinalizer ? {} : { finalizers: { kind: 'add' as const, value: [...finalizers, FINALIZER], resourceVersion: meta.resourceVersion ?? '' } }),
    drains,
    ...(loadBalancerOp ? { loadBalancerOp } : {}),
    backends: rest,
    ...(loadBalancerOp && recorded !== digest ? { appliedSpec: digest } : {}),
    ...(ingress ? { ingress } : {}),
    gates: gates.patches,
    gateDecisions: gates.decisions,
    events,
    drainsMissed: missedDrains(input, rest),
    next,
  };
}

/**
 * The part of a plan that may run when the provider could not be read: its drains, on the
 * backends the plan holds, and nothing else (no LB operation, registration, status, gate or
 * event). Drains are always safe; everything else waits for a read.
 */
export function drainsOnly(plan: ServicePlan): ServicePlan {
  return {
    key: plan.key,
    service: plan.service,
    loadBalancer: plan.loadBalancer,
    mode: plan.mode,
    problems: plan.problems,
    view: plan.view,
    holding: plan.holding,
    drains: plan.drains,
    backends: [],
    currentIngress: plan.currentIngress,
    gates: [],
    gateDecisions: new Map(),
    events: [],
    drainsMissed: [],
    next: { kind: 'done' },
  };
}

export { stripKey };
