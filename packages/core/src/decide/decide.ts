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
import { buildDesired, type DesiredBackend, type DesiredPod, type DesiredState } from '../model/build-desired.ts';
import { type PodLike, podCondition } from '../model/kube-types.ts';
import { containersReady, hasExited } from '../model/pod-state.ts';
import { toServiceView } from '../model/service-view.ts';
import { applyToSet, type BackendAction, plan, stripKey } from '../plan/plan.ts';
import type { Backend, BackendStatus, LoadBalancerIngress, ServiceProblem } from '../provider.ts';
import { backendAddressKey } from '../provider.ts';
import {
  combineGates,
  conditionPatchBody,
  conditionToPatch,
  GATE_MESSAGE_HEALTHY,
  GATE_REASON_HEALTHY,
  GATE_REASON_REGISTERING,
  type GateCondition,
  gateForPod,
  healthByKey,
} from '../readiness/gate.ts';
import { appliedSpecDigest, recordedSpecDigest } from './applied-spec.ts';
import { featureChecks } from './feature-checks.ts';
import { DEFAULT_LOAD_BALANCER_CLASS, FINALIZER, isAdoptedUnclassed, isHandled, sameIngress, serviceProblems, withIpMode } from './service-checks.ts';

export { FINALIZER };

import type { DecideInput, GatePatch, LoadBalancerOperation, PlannedEvent, PlanObjectRef, ServicePlan } from './types.ts';

export const GATE_REASON_INVALID_WEIGHT = 'InvalidWeight';
export const GATE_REASON_REJECTED = 'LBRegistrationFailed';
export const GATE_REASON_ADDRESS_CONFLICT = 'AddressConflict';

const DEFAULTS = { reensureMs: 300_000, rejectedRetryMs: 30_000 };

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

const address = (key: string) => {
  const [port = '', ip = '', target = ''] = key.split('|');
  return `${ip.includes(':') ? `[${ip}]` : ip}:${target} (Service port ${port})`;
};

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

  const desired = buildDesired(service, input.slices, input.pods, { gateConditionType: options.gateConditionType, drain: options.drain ?? true });
  const health = withRegistrations(input);
  const lbExists = input.lb?.kind === 'trusted' || (input.lb?.kind === 'read' && input.lb.lookup.exists);
  const features = featureChecks(view, (service.spec?.loadBalancerSourceRanges?.length ?? 0) > 0, provider.capabilities, provider.providerName, input.pods);
  const problems = [...serviceProblems(service, view, viewProblems, input.selectedPods, provider), ...features.problems];

  if (problems.length > 0) {
    const message = problems.map((p) => p.message).join(' ');
    // Bad input changes nothing. An LB made before the input went bad still drains.
    const drains = hasFinalizer && lbExists ? plan(desired.backends, health, provider.capabilities).filter((a) => a.kind === 'drain') : [];
    return {
      ...base,
      mode: 'invalid',
      problems,
      holding: currentBackends(health, desired.backends),
      drains,
      events: [{ object: svcRef, type: 'Warning', reason: 'InvalidConfiguration', message, when: 'start' }],
      next: { kind: 'terminal', message, ...(problems[0] ? { field: problems[0].field } : {}) },
    };
  }

  const events: PlannedEvent[] = [];
  for (const w of features.warnings) {
    const reportKey = `feature|${view.uid}|${w.field}|${w.message}`;
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
  const gates = decideGates(input, desired, after, held, svcRef, events);
  const settings = parseServiceSettings(meta).settings;
  const waiting = stuckReports(input, gates.waiting, settings.gateTimeoutSeconds, svcRef, events);
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

/** Removals of backends still taking new connections whose pod is gone or has exited. */
function missedDrains(input: DecideInput, actions: readonly BackendAction[]): { podUid: string; address: string }[] {
  const byUid = new Map(input.pods.map((p) => [p.metadata?.uid ?? '', p]));
  const out: { podUid: string; address: string }[] = [];
  for (const a of actions) {
    if (a.kind !== 'deregister' || a.actual.weight === 0 || a.actual.health === 'draining') continue;
    const pod = a.actual.podUid !== undefined ? byUid.get(a.actual.podUid) : undefined;
    if (pod && !hasExited(pod)) continue; // a live pod leaving the Service (not ready, relabelled) is not a drain
    out.push({ podUid: a.actual.podUid ?? '', address: `${a.actual.ip}:${a.actual.port}` });
  }
  return out;
}

/** Health with pod UIDs filled in from what this process registered, for providers that cannot record them. */
function withRegistrations(input: DecideInput): BackendStatus[] {
  const known = input.memory.registrations;
  if (input.provider.capabilities.tracksPodUid || !known) return [...input.health];
  return input.health.map((a) => {
    const uid = known.get(backendAddressKey(a));
    return uid === undefined || a.podUid !== undefined ? a : { ...a, podUid: uid };
  });
}

interface Held {
  readonly backends: DesiredBackend[];
  /** Pod UIDs whose invalid weight keeps them off the LB. */
  readonly offForWeight: Set<string>;
  /** Pod UID -> its refused backends still waiting for a retry. */
  readonly rejected: Map<string, { readonly id: string; readonly message: string; readonly at: number }[]>;
  readonly retryAt: number[];
}

/**
 * The desired set with pod-level holds applied. A backend held back (invalid weight, or
 * refused by the provider and not yet due for a retry) keeps its registration exactly as the
 * LB has it for this pod, or stays off the LB when it has none.
 */
function holdBackends(input: DecideInput, desired: DesiredState, health: readonly BackendStatus[]): Held {
  const actual = healthByKey(health);
  const retryMs = input.options.rejectedRetryMs ?? DEFAULTS.rejectedRetryMs;
  const offForWeight = new Set<string>();
  const rejected: Held['rejected'] = new Map();
  const retryAt: number[] = [];
  const backends: DesiredBackend[] = [];
  for (const d of desired.backends) {
    if (d.draining) {
      backends.push(d);
      continue;
    }
    const refusal = input.memory.rejected?.get(d.id);
    const refused = refusal !== undefined && input.now - refusal.at < retryMs;
    if (refused) {
      rejected.set(d.podUid, [...(rejected.get(d.podUid) ?? []), { id: d.id, ...refusal }]);
      retryAt.push(refusal.at + retryMs);
    }
    if (!d.invalidWeight && !refused) {
      backends.push(d);
      continue;
    }
    const a = actual.get(d.key);
    if (a && (a.podUid === undefined || a.podUid === d.podUid)) backends.push({ ...d, weight: a.weight });
    else if (d.invalidWeight) offForWeight.add(d.podUid);
  }
  return { backends, offForWeight, rejected, retryAt };
}

/** What the LB holds after the plan, with the health the gate may assume: new registrations start `initial`. */
function healthAfter(actual: readonly BackendStatus[], desired: readonly DesiredBackend[], actions: readonly BackendAction[]): BackendStatus[] {
  if (actions.length === 0) return [...actual];
  const before = healthByKey(actual);
  return applyToSet(currentBackends(actual, desired), actions).map((b) => {
    const prior = before.get(backendAddressKey(b));
    const same = prior && (prior.podUid === undefined || prior.podUid === b.podUid);
    return { servicePort: b.servicePort, ip: b.ip, port: b.port, podUid: b.podUid, weight: b.weight, health: b.weight === 0 ? 'draining' : same ? prior.health : 'initial' };
  });
}

function podRef(p: { namespace: string; name: string; uid: string }): PlanObjectRef {
  return { kind: 'Pod', namespace: p.namespace, name: p.name, uid: p.uid };
}

/** When a pod's containers became ready: as this process saw it, else the condition's transition time. */
function readySince(input: DecideInput, pod: PodLike | undefined, uid: string): number {
  const seen = input.memory.readySince?.get(uid);
  if (seen !== undefined) return seen;
  const t = pod ? podCondition(pod, 'ContainersReady')?.lastTransitionTime : undefined;
  const ms = t === undefined ? Number.NaN : new Date(t).getTime();
  return Number.isNaN(ms) ? input.now : Math.min(ms, input.now);
}

const familyOf = (ip: string) => (ip.includes(':') ? 'IPv6' : 'IPv4');

/**
 * The families of the pod's addresses that the Service balances to but no EndpointSlice has
 * brought yet: a dual-stack Service gets one slice per family, written apart, and a pod must
 * not pass its gate on one family while the other is still on its way.
 */
function missingFamilies(input: DecideInput, p: DesiredPod): string[] {
  const families = toServiceView(input.service).view.ipFamilies ?? ['IPv4'];
  if (families.length < 2) return [];
  const pod = input.pods.find((x) => x.metadata?.uid === p.uid);
  const podFamilies = new Set((pod?.status?.podIPs ?? []).map((a) => familyOf(a.ip)));
  const have = new Set(p.backendKeys.map((k) => familyOf(k.split('|')[1] ?? '')));
  return families.filter((f) => podFamilies.has(f) && !have.has(f));
}

/** This Service's view of one pod's gate. */
function myGate(input: DecideInput, p: DesiredPod, after: ReadonlyMap<string, BackendStatus>, held: Held): GateCondition {
  if (input.options.gate === false) return { status: 'True', reason: GATE_REASON_HEALTHY, message: GATE_MESSAGE_HEALTHY };
  if (held.offForWeight.has(p.uid) && p.invalidWeight) {
    return { status: 'False', reason: GATE_REASON_INVALID_WEIGHT, message: `${p.invalidWeight.message} The pod is kept off the load balancer until the annotation is fixed.` };
  }
  const refused = held.rejected.get(p.uid);
  if (refused) return { status: 'False', reason: GATE_REASON_REJECTED, message: `The load balancer refused this pod: ${refused.map((r) => r.message).join(' ')}` };
  if (p.backendKeys.length === 0 && p.lostAddresses?.length) {
    const c = p.lostAddresses[0]!;
    return { status: 'False', reason: GATE_REASON_ADDRESS_CONFLICT, message: `Address ${address(c.key)} is held on the load balancer by pod ${c.winnerName}, which claims the same IP and port.` };
  }
  const missing = missingFamilies(input, p);
  if (missing.length > 0) {
    return { status: 'False', reason: GATE_REASON_REGISTERING, message: `waiting for the pod's ${missing.join(' and ')} address in the Service's EndpointSlices` };
  }
  return gateForPod(p, after);
}

function decideGates(
  input: DecideInput,
  desired: DesiredState,
  after: readonly BackendStatus[],
  held: Held,
  svcRef: PlanObjectRef,
  events: PlannedEvent[],
): { patches: GatePatch[]; decisions: Map<string, GateCondition>; waiting: DesiredPod[] } {
  const byKey = healthByKey(after);
  const gateType = input.options.gateConditionType;
  const podsByUid = new Map(input.pods.map((p) => [p.metadata?.uid ?? '', p]));
  const patches: GatePatch[] = [];
  const decisions = new Map<string, GateCondition>();
  const waiting: DesiredPod[] = [];
  for (const p of desired.pods) {
    const pod = podsByUid.get(p.uid);
    if (!pod || !p.gated) continue;
    const mine = myGate(input, p, byKey, held);
    decisions.set(p.uid, mine);
    // The pod passes only when every handled Service that selects it agrees; one not yet heard from holds it.
    const others = (input.otherServicesOfPod?.get(p.uid) ?? []).map(
      (k) => input.memory.otherGates?.get(p.uid)?.get(k) ?? { status: 'False' as const, reason: GATE_REASON_REGISTERING, message: `waiting for Service ${k}` },
    );
    const wanted = combineGates([mine, ...others]);
    const patch = conditionToPatch(pod, gateType, wanted);
    if (patch) {
      if (patch.status === 'False' && (patch.reason === GATE_REASON_REGISTERING || patch.reason === 'LBNotRegistered') && !podCondition(pod, gateType)) {
        events.push({ object: podRef(p), type: 'Normal', reason: 'WaitingForLoadBalancer', message: `Registered on the load balancer; ${patch.message}`, when: 'end' });
      }
      const since = readySince(input, pod, p.uid);
      patches.push({
        pod: podRef(p),
        condition: patch,
        body: conditionPatchBody(pod, gateType, patch, new Date(input.now)),
        ...(patch.status === 'True' ? { passedAfterMs: input.now - since } : {}),
      });
    }
    if (wanted.status !== 'True' && podCondition(pod, gateType)?.status !== 'True') waiting.push(p);
  }
  // Ready pods this Service selects but does not balance to (no matching port) have no say: they pass here.
  const inDesired = new Set(desired.pods.map((p) => p.uid));
  for (const pod of input.selectedPods) {
    const uid = pod.metadata?.uid;
    if (uid && !inDesired.has(uid) && containersReady(pod) && !decisions.has(uid)) {
      decisions.set(uid, { status: 'True', reason: GATE_REASON_HEALTHY, message: `not a backend of Service ${svcRef.namespace}/${svcRef.name}` });
    }
  }
  return { patches, decisions, waiting };
}

/** A Warning once per pod whose gate has waited past the Service's limit; returns how many gates wait. */
function stuckReports(input: DecideInput, waiting: readonly DesiredPod[], timeoutSeconds: number, svcRef: PlanObjectRef, events: PlannedEvent[]): number {
  const gateType = input.options.gateConditionType;
  const podsByUid = new Map(input.pods.map((p) => [p.metadata?.uid ?? '', p]));
  for (const p of waiting) {
    const pod = podsByUid.get(p.uid);
    const since = readySince(input, pod, p.uid);
    const waited = input.now - since;
    const reportKey = `stuck|${p.uid}`;
    if (waited <= timeoutSeconds * 1000 || input.memory.reported?.has(reportKey)) continue;
    const why = myGate(input, p, new Map(), { backends: [], offForWeight: new Set(), rejected: new Map(), retryAt: [] });
    const message = `Readiness gate ${gateType} has waited ${Math.round(waited / 1000)}s for the load balancer (limit ${timeoutSeconds}s): ${pod ? (podCondition(pod, gateType)?.message ?? why.message) : why.message}`;
    events.push({ object: podRef(p), type: 'Warning', reason: 'ReadinessGateStuck', message, when: 'end', reportKey, stuckMs: waited });
    events.push({ object: svcRef, type: 'Warning', reason: 'ReadinessGateStuck', message: `Pod ${p.name}: ${message}`, when: 'end' });
  }
  return waiting.length;
}

/** Warnings for pod-level problems, each once: an invalid weight, a refused backend, an address conflict. */
function podReports(input: DecideInput, desired: DesiredState, held: Held, svcRef: PlanObjectRef, events: PlannedEvent[]): void {
  const reported = input.memory.reported;
  for (const p of desired.pods) {
    const ref = podRef(p);
    if (p.invalidWeight) {
      const reportKey = `weight|${p.uid}|${p.invalidWeight.message}`;
      if (!reported?.has(reportKey)) {
        const fate = held.offForWeight.has(p.uid) ? 'the pod is kept off the load balancer until it is fixed' : 'its registration keeps its current weight until it is fixed';
        events.push({ object: ref, type: 'Warning', reason: 'InvalidWeight', message: `${p.invalidWeight.message} Sluice ignores it: ${fate}.`, when: 'end', reportKey });
        events.push({ object: svcRef, type: 'Warning', reason: 'InvalidPodWeight', message: `${p.invalidWeight.message} Only this pod is affected: ${fate}.`, when: 'end' });
      }
    }
    for (const refusal of held.rejected.get(p.uid) ?? []) {
      const reportKey = `rejected|${refusal.id}|${refusal.at}`;
      if (!reported?.has(reportKey)) {
        events.push({ object: ref, type: 'Warning', reason: 'BackendRejected', message: `The load balancer refused this pod: ${refusal.message} Sluice offers it again in ${Math.round((input.options.rejectedRetryMs ?? DEFAULTS.rejectedRetryMs) / 1000)}s; the Service's other pods are not affected.`, when: 'end', reportKey });
      }
    }
    if (p.backendKeys.length === 0 && p.lostAddresses?.length) {
      const c = p.lostAddresses[0]!;
      const reportKey = `conflict|${p.uid}|${c.key}|${c.winnerUid}`;
      if (!reported?.has(reportKey)) {
        events.push({ object: ref, type: 'Warning', reason: 'AddressConflict', message: `Address ${address(c.key)} is held on the load balancer by pod ${c.winnerName}, which claims the same IP and port; this pod is not registered.`, when: 'end', reportKey });
      }
    }
  }
}

export { stripKey };
