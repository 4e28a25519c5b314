/**
 * Everything Sluice writes on a Service, read back: its finalizer, `sluice.dev/*` annotations
 * (the applied-spec record), `status.loadBalancer.ingress`, and Events it reported (source
 * component `sluice`). A Service Sluice leaves alone has none of them.
 */
import type * as k8s from '@kubernetes/client-node';

export const SLUICE_FINALIZER = 'sluice.dev/load-balancer-cleanup';
export const SLUICE_COMPONENT = 'sluice';

export interface SluiceMarks {
  readonly finalizers: readonly string[];
  readonly annotations: readonly string[];
  readonly ingress: readonly k8s.V1LoadBalancerIngress[];
  /** `type reason: message` of each Event Sluice reported on the Service. */
  readonly events: readonly string[];
}

export async function sluiceMarks(core: k8s.CoreV1Api, namespace: string, name: string): Promise<SluiceMarks> {
  const svc = await core.readNamespacedService({ namespace, name });
  const events = await core.listNamespacedEvent({ namespace, fieldSelector: `involvedObject.kind=Service,involvedObject.name=${name}` });
  return {
    finalizers: (svc.metadata?.finalizers ?? []).filter((f) => f.startsWith('sluice.dev/')),
    annotations: Object.keys(svc.metadata?.annotations ?? {}).filter((k) => k.startsWith('sluice.dev/')),
    ingress: svc.status?.loadBalancer?.ingress ?? [],
    events: events.items
      .filter((e) => e.source?.component === SLUICE_COMPONENT || e.reportingComponent === SLUICE_COMPONENT)
      .map((e) => `${e.type} ${e.reason}: ${e.message}`),
  };
}

export function isUntouched(marks: SluiceMarks): boolean {
  return marks.finalizers.length === 0 && marks.annotations.length === 0 && marks.ingress.length === 0 && marks.events.length === 0;
}

/** One line: `untouched`, or what Sluice left. */
export function describeMarks(marks: SluiceMarks): string {
  if (isUntouched(marks)) return 'untouched (no finalizer, no sluice.dev/* annotation, no ingress, no event)';
  const parts = [
    marks.finalizers.length > 0 ? `finalizers ${marks.finalizers.join(',')}` : '',
    marks.annotations.length > 0 ? `annotations ${marks.annotations.join(',')}` : '',
    marks.ingress.length > 0 ? `ingress ${JSON.stringify(marks.ingress)}` : '',
    marks.events.length > 0 ? `events ${JSON.stringify(marks.events)}` : '',
  ];
  return parts.filter(Boolean).join('; ');
}
