/**
 * Service-level checks a reconcile makes before any write, pure: which Services are Sluice's,
 * and what is wrong with one (annotations of the core and of every provider, ports,
 * protocols, a named targetPort no selected pod defines). Each problem is one sentence
 * naming the field, the value and what is allowed.
 */
import { PROVIDER_ANNOTATION_PREFIXES, parseServiceSettings } from '../model/annotations.ts';
import { podTargetPort } from '../model/build-desired.ts';
import type { PodLike, ServiceLike } from '../model/kube-types.ts';
import { isTerminating } from '../model/pod-state.ts';
import type { ServiceSpecView } from '../model/service.ts';
import { unsupportedProtocolProblems } from '../model/service-view.ts';
import type { LoadBalancer, LoadBalancerIngress, ServiceProblem } from '../provider.ts';

/** On every Service whose LB Sluice made: a deleted Service always deletes its LB first. */
export const FINALIZER = 'sluice.dev/load-balancer-cleanup';

/** Sluice's own `spec.loadBalancerClass`, the one it handles by default. */
export const DEFAULT_LOAD_BALANCER_CLASS = 'sluice.dev/load-balancer';

/**
 * Is this Service Sluice's to handle? Type LoadBalancer and Sluice's class. Unclassed Services
 * belong to the cloud's own service controller (k8s.io/cloud-provider handles class == nil),
 * so Sluice takes them only when told to: two controllers would otherwise both make an LB and
 * both write the Service's status.
 *
 * An unclassed Service that already carries Sluice's finalizer stays Sluice's even without
 * `handleUnclassed`: its LB was made when unclassed Services were handled (an earlier version,
 * or the flag), and a change of Sluice's own configuration must never delete a serving LB.
 * decide() tells the user once (see {@link isAdoptedUnclassed}).
 */
export function isHandled(service: ServiceLike, loadBalancerClass: string | undefined, handleUnclassed = false): boolean {
  if (service.spec?.type !== 'LoadBalancer') return false;
  const cls = service.spec.loadBalancerClass;
  if (cls === undefined || cls === null || cls === '') return handleUnclassed || (service.metadata?.finalizers ?? []).includes(FINALIZER);
  return cls === (loadBalancerClass ?? DEFAULT_LOAD_BALANCER_CLASS);
}

/** An unclassed Service handled only because Sluice made its LB before (see {@link isHandled}). */
export function isAdoptedUnclassed(service: ServiceLike, handleUnclassed: boolean): boolean {
  const cls = service.spec?.loadBalancerClass;
  return !handleUnclassed && (cls === undefined || cls === null || cls === '') && (service.metadata?.finalizers ?? []).includes(FINALIZER);
}

/** `sluice.dev/<provider>-*` keys of a provider other than the one running. */
function foreignProviderKeys(view: ServiceSpecView, providerName: string): ServiceProblem[] {
  const problems: ServiceProblem[] = [];
  for (const key of Object.keys(view.annotations).sort()) {
    const owner = PROVIDER_ANNOTATION_PREFIXES.find((p) => key.startsWith(`sluice.dev/${p}-`));
    if (owner === undefined || owner === providerName) continue;
    problems.push({
      field: `metadata.annotations[${key}]`,
      message: `Service ${view.namespace}/${view.name} annotation ${key} is for the ${owner} provider, but this controller runs the ${providerName} provider, which does not read it: remove it.`,
    });
  }
  return problems;
}

/** Named targetPorts that no live selected pod defines (only judged when some pod is selected). */
function unresolvedTargetPorts(view: ServiceSpecView, selectedPods: readonly PodLike[]): ServiceProblem[] {
  const live = selectedPods.filter((p) => !isTerminating(p) && (p.spec?.containers?.length ?? 0) > 0);
  if (live.length === 0) return [];
  const problems: ServiceProblem[] = [];
  view.ports.forEach((port, i) => {
    if (typeof port.targetPort === 'number' || /^\d+$/.test(port.targetPort)) return;
    if (live.some((pod) => podTargetPort(pod, port) !== undefined)) return;
    const names = [...new Set(live.flatMap((p) => (p.spec?.containers ?? []).flatMap((c) => (c.ports ?? []).filter((cp) => (cp.protocol ?? 'TCP') === port.protocol).map((cp) => cp.name ?? '')).filter(Boolean)))].sort();
    problems.push({
      field: `spec.ports[${i}].targetPort`,
      message: `Service ${view.namespace}/${view.name} spec.ports[${i}].targetPort="${port.targetPort}" names no ${port.protocol} container port of the ${live.length} pod${live.length === 1 ? '' : 's'} it selects: allowed is a port number${names.length > 0 ? ` or one of ${names.join(', ')}` : ` (they name no ${port.protocol} port)`}.`,
    });
  });
  return problems;
}

/** Every Service-level problem; empty means the Service may be acted on. */
export function serviceProblems(
  service: ServiceLike,
  view: ServiceSpecView,
  viewProblems: readonly ServiceProblem[],
  selectedPods: readonly PodLike[],
  provider: Pick<LoadBalancer, 'providerName' | 'capabilities' | 'validate'>,
): ServiceProblem[] {
  return [
    ...viewProblems,
    ...parseServiceSettings(service.metadata).problems,
    ...foreignProviderKeys(view, provider.providerName),
    ...unsupportedProtocolProblems(view, provider.capabilities.protocols, provider.providerName),
    ...(provider.validate?.(view) ?? []),
    ...unresolvedTargetPorts(view, selectedPods),
  ];
}

type IngressLike = readonly {
  readonly ip?: string;
  readonly hostname?: string;
  readonly ipMode?: string;
  readonly ports?: readonly { readonly port: number; readonly protocol?: string }[];
}[];

/** Whether two ingress lists say the same thing. */
export function sameIngress(a: IngressLike | undefined, b: IngressLike | undefined): boolean {
  const norm = (x: IngressLike | undefined) =>
    JSON.stringify((x ?? []).map((i) => ({ ip: i.ip ?? '', hostname: i.hostname ?? '', ipMode: i.ipMode ?? '', ports: (i.ports ?? []).map((p) => `${p.port}/${p.protocol}`) })));
  return norm(a) === norm(b);
}

/**
 * The ingress as written to the Service: `ipMode` on every point with an IP (the API accepts
 * it only there), from the provider's capabilities unless the provider set it.
 */
export function withIpMode(ingress: readonly LoadBalancerIngress[], ipMode: 'VIP' | 'Proxy'): LoadBalancerIngress[] {
  return ingress.map((i) => (i.ip ? { ...i, ipMode: i.ipMode ?? ipMode } : i));
}

export type { LoadBalancerIngress };
