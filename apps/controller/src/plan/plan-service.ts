/**
 * What one reconcile of a Service would write, computed without writing: the reconciler's
 * decisions (see packages/core/src/controller/reconciler.ts) replayed on a cluster snapshot
 * with the provider's read-only calls, using the core's own pure functions for the desired
 * state, the backend plan and the readiness gate.
 *
 * It answers for a controller that starts now: it has registered nothing itself, so a
 * provider that cannot record pod UIDs reports none, exactly as a fresh reconcile sees it.
 * Drift inside the LB itself (a listener or health check edited by hand) is not visible
 * through the read-only contract; the controller's periodic ensureLoadBalancer repairs it
 * without it appearing here.
 */
import type * as k8s from '@kubernetes/client-node';
import {
  type BackendAction,
  type BackendStatus,
  type Caches,
  type DesiredState,
  FINALIZER,
  GATE_MESSAGE_HEALTHY,
  GATE_REASON_HEALTHY,
  type LoadBalancer,
  type LoadBalancerIngress,
  applyToSet,
  backendAddressKey,
  buildDesired,
  conditionToPatch,
  containersReady,
  currentBackends,
  gateForPod,
  hasExited,
  healthByKey,
  isHandled,
  isTerminalError,
  isTerminating,
  parsePodWeight,
  parseServiceSettings,
  plan,
  podsFor,
  slicesFor,
  toServiceView,
  unsupportedProtocolProblems,
} from '@sluice/core';
import type { ClusterAction, ProviderAction, ServicePlan } from './plan-types.ts';
import { describeError } from './describe-error.ts';

export interface PlanOptions {
  readonly clusterName: string;
  /** Services with this class are handled too. @default undefined (only unclassed) */
  readonly loadBalancerClass?: string;
  readonly gateConditionType: string;
  /** As the controller's --no-readiness-gate. @default true */
  readonly gate?: boolean;
  /** As the controller's --no-drain. @default true */
  readonly drain?: boolean;
}

type IngressLike = readonly { readonly ip?: string; readonly hostname?: string; readonly ports?: readonly { readonly port: number; readonly protocol?: string }[] }[];

/** Whether two ingress lists say the same thing (the comparison the reconciler makes before patching). */
function sameIngress(a: IngressLike | undefined, b: IngressLike | undefined): boolean {
  const norm = (x: IngressLike | undefined) =>
    JSON.stringify((x ?? []).map((i) => ({ ip: i.ip ?? '', hostname: i.hostname ?? '', ports: (i.ports ?? []).map((p) => `${p.port}/${p.protocol}`) })));
  return norm(a) === norm(b);
}

const address = (b: { ip: string; port: number }) => (b.ip.includes(':') ? `[${b.ip}]:${b.port}` : `${b.ip}:${b.port}`);

/**
 * The plan of one Service, or undefined when a reconcile would leave it alone (not handled
 * and not carrying Sluice's finalizer).
 */
export async function planService(
  service: k8s.V1Service,
  caches: Caches,
  provider: LoadBalancer,
  options: PlanOptions,
  signal: AbortSignal,
): Promise<ServicePlan | undefined> {
  const key = `${service.metadata?.namespace ?? ''}/${service.metadata?.name ?? ''}`;
  const deleting = Boolean(service.metadata?.deletionTimestamp);
  const handled = isHandled(service, options.loadBalancerClass);
  const finalizers = service.metadata?.finalizers ?? [];
  if ((deleting || !handled) && !finalizers.includes(FINALIZER)) return undefined;
  const view = toServiceView(service).view;
  const loadBalancer = provider.getLoadBalancerName(options.clusterName, view);
  try {
    if (deleting || !handled) return await planCleanup(key, service, loadBalancer, provider, options, signal);
    return await planSync(key, service, loadBalancer, caches, provider, options, signal);
  } catch (error) {
    if (signal.aborted) throw error;
    const message = isTerminalError(error) ? describeError(error) : `cannot read the load balancer: ${describeError(error)}`;
    return { service: key, loadBalancer, status: 'error', error: message, actions: [], cluster: [] };
  }
}

async function planCleanup(
  key: string,
  service: k8s.V1Service,
  loadBalancer: string,
  provider: LoadBalancer,
  options: PlanOptions,
  signal: AbortSignal,
): Promise<ServicePlan> {
  const deleting = Boolean(service.metadata?.deletionTimestamp);
  const type = service.spec?.type ?? '';
  const reason = deleting
    ? 'the Service is being deleted'
    : type !== 'LoadBalancer'
      ? `the Service's type is ${type || '(unset)'} now`
      : `the Service's loadBalancerClass ${service.spec?.loadBalancerClass} is not Sluice's`;
  const view = toServiceView(service).view;
  const lookup = await provider.getLoadBalancer(options.clusterName, view, signal);
  const cluster: ClusterAction[] = [];
  if (!deleting && (service.status?.loadBalancer?.ingress?.length ?? 0) > 0) cluster.push({ kind: 'clear-ingress' });
  cluster.push({ kind: 'remove-finalizer', finalizer: FINALIZER });
  return { service: key, loadBalancer, status: 'changes', actions: [{ kind: 'delete', loadBalancer, exists: lookup.exists, reason }], cluster };
}

/** The reconciler's desired state, including its --no-drain behaviour. */
function desiredOf(service: k8s.V1Service, slices: k8s.V1EndpointSlice[], pods: k8s.V1Pod[], options: PlanOptions): DesiredState {
  const desired = buildDesired(service, slices, pods, { gateConditionType: options.gateConditionType });
  if (options.drain ?? true) return desired;
  const podsByUid = new Map(pods.map((p) => [p.metadata?.uid ?? '', p]));
  return {
    ...desired,
    backends: desired.backends.map((b) => (b.draining ? { ...b, draining: false, weight: parsePodWeight(podsByUid.get(b.podUid)?.metadata).weight } : b)),
  };
}

async function planSync(
  key: string,
  service: k8s.V1Service,
  loadBalancer: string,
  caches: Caches,
  provider: LoadBalancer,
  options: PlanOptions,
  signal: AbortSignal,
): Promise<ServicePlan> {
  const namespace = service.metadata?.namespace ?? '';
  const slices = slicesFor(caches, namespace, service.metadata?.name ?? '');
  const pods = podsFor(caches, slices);
  const desired = desiredOf(service, slices, pods, options);
  const view = desired.service;
  const problems = [
    ...desired.problems,
    ...parseServiceSettings(service.metadata).problems,
    ...unsupportedProtocolProblems(view, provider.capabilities.protocols, provider.providerName),
    ...(provider.validate?.(view) ?? []),
  ];
  if (problems.length > 0) {
    // A reconcile writes nothing for bad input, not even the finalizer.
    return { service: key, loadBalancer, status: 'error', error: problems.map((p) => p.message).join(' '), actions: [], cluster: [] };
  }

  const actions: ProviderAction[] = [];
  const cluster: ClusterAction[] = [];
  const finalizers = service.metadata?.finalizers ?? [];
  if (!finalizers.includes(FINALIZER)) cluster.push({ kind: 'add-finalizer', finalizer: FINALIZER });

  const lookup = await provider.getLoadBalancer(options.clusterName, view, signal);
  let actual: BackendStatus[];
  if (!lookup.exists) {
    // ensureLoadBalancer creates it with every desired backend except drains.
    actual = [];
    const registers = plan(desired.backends, [], provider.capabilities);
    actions.push({ kind: 'create', loadBalancer, backends: registers.length });
    cluster.push({ kind: 'set-ingress', ingress: null });
  } else {
    // ensureLoadBalancer re-converges the LB with its current backends, minus ports that left the Service.
    const reported = await provider.getBackendHealth(options.clusterName, view, signal);
    const ports = new Set(view.ports.map((p) => p.name));
    const wanted = new Set(desired.backends.map((b) => b.key));
    actual = reported.filter((a) => ports.has(a.servicePort) || wanted.has(backendAddressKey(a)));
    const gone = [...new Set(reported.filter((a) => !actual.includes(a)).map((a) => a.servicePort))].sort();
    if (gone.length > 0) {
      const count = reported.length - actual.length;
      actions.push({
        kind: 'update',
        loadBalancer,
        reason: `remove Service port${gone.length > 1 ? 's' : ''} ${gone.join(', ')} (no longer on the Service) and ${count} backend${count > 1 ? 's' : ''} on ${gone.length > 1 ? 'them' : 'it'}`,
      });
    }
    const ingress = lookup.status?.ingress;
    if (ingress && !sameIngress(ingress, service.status?.loadBalancer?.ingress as IngressLike | undefined)) {
      cluster.push({ kind: 'set-ingress', ingress: ingress.map(plainIngress) });
    }
  }
  const backendActions = plan(desired.backends, actual, provider.capabilities);
  actions.push(...backendActions.map((a) => describeAction(a, namespace, caches)));

  const health = healthAfter(actual, desired, backendActions);
  cluster.push(...gateActions(desired, health, caches, options));
  return { service: key, loadBalancer, status: actions.length + cluster.length > 0 ? 'changes' : 'in-sync', actions, cluster };
}

function plainIngress(i: LoadBalancerIngress): { ip?: string; hostname?: string } {
  return { ...(i.ip ? { ip: i.ip } : {}), ...(i.hostname ? { hostname: i.hostname } : {}) };
}

/** What the LB holds after the plan, with the health the reconciler assumes for it. */
function healthAfter(actual: readonly BackendStatus[], desired: DesiredState, actions: readonly BackendAction[]): BackendStatus[] {
  if (actions.length === 0) return [...actual];
  const before = healthByKey(actual);
  return applyToSet(currentBackends(actual, desired.backends), actions).map((b) => {
    const prior = before.get(backendAddressKey(b));
    const same = prior && (prior.podUid === undefined || prior.podUid === b.podUid);
    return { servicePort: b.servicePort, ip: b.ip, port: b.port, podUid: b.podUid, weight: b.weight, health: b.weight === 0 ? 'draining' : same ? prior.health : 'initial' };
  });
}

/** The readiness-gate conditions a reconcile would patch, given the LB's health after the plan. */
function gateActions(desired: DesiredState, health: readonly BackendStatus[], caches: Caches, options: PlanOptions): ClusterAction[] {
  const byKey = healthByKey(health);
  const out: ClusterAction[] = [];
  for (const p of desired.pods) {
    if (!p.gated) continue;
    const pod = caches.pods.get(p.name, p.namespace);
    if (!pod || pod.metadata?.uid !== p.uid) continue;
    const wanted = (options.gate ?? true) ? gateForPod(p, byKey) : { status: 'True' as const, reason: GATE_REASON_HEALTHY, message: GATE_MESSAGE_HEALTHY };
    const patch = conditionToPatch(pod, options.gateConditionType, wanted);
    if (patch) out.push({ kind: 'set-gate', pod: `${p.namespace}/${p.name}`, status: patch.status, reason: patch.reason, message: patch.message });
  }
  return out;
}

function describeAction(action: BackendAction, namespace: string, caches: Caches): ProviderAction {
  switch (action.kind) {
    case 'register': {
      const b = action.backend;
      return {
        kind: 'register',
        pod: `${namespace}/${b.podName}`,
        address: address(b),
        servicePort: b.servicePort,
        weight: b.weight,
        ...(action.replacesPodUid !== undefined ? { replacesPodUid: action.replacesPodUid } : {}),
      };
    }
    case 'reweight': {
      const b = action.backend;
      return { kind: 'reweight', pod: `${namespace}/${b.podName}`, address: address(b), servicePort: b.servicePort, weight: b.weight, fromWeight: action.fromWeight };
    }
    case 'drain': {
      const b = action.backend;
      return { kind: 'drain', pod: `${namespace}/${b.podName}`, address: address(b), servicePort: b.servicePort };
    }
    case 'deregister': {
      const a = action.actual;
      const { pod, reason } = whyRemoved(a, namespace, caches);
      return { kind: 'deregister', pod, address: address(a), servicePort: a.servicePort, reason };
    }
  }
}

/** The pod a registration belonged to (by UID, else by IP in the Service's namespace) and why it leaves. */
function whyRemoved(a: BackendStatus, namespace: string, caches: Caches): { pod: string; reason: string } {
  const candidates = caches.pods.list(namespace);
  const pod =
    a.podUid !== undefined
      ? candidates.find((p) => p.metadata?.uid === a.podUid)
      : (candidates.find((p) => p.status?.podIP === a.ip && hasExited(p)) ?? candidates.find((p) => p.status?.podIP === a.ip));
  if (!pod) return { pod: '', reason: 'pod gone' };
  const name = `${namespace}/${pod.metadata?.name ?? ''}`;
  if (hasExited(pod)) return { pod: name, reason: 'pod exited' };
  if (!isTerminating(pod) && !containersReady(pod)) return { pod: name, reason: 'containers not ready' };
  return { pod: name, reason: 'no longer an endpoint of the Service' };
}
