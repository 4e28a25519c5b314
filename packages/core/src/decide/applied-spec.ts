/**
 * The applied-spec digest: what a Service's load balancer was last ensured with, recorded on
 * the Service (annotation `sluice.dev/applied-spec`) so it survives restarts and leadership
 * changes. Computed over the view providers receive, minus annotations that do not reach
 * the load balancer (Sluice's own record and kubectl's last-applied copy).
 */
import { createHash } from 'node:crypto';
import { APPLIED_SPEC_ANNOTATION } from '../model/annotations.ts';
import type { ServiceSpecView } from '../model/service.ts';

const NOT_HASHED = new Set([APPLIED_SPEC_ANNOTATION, 'kubectl.kubernetes.io/last-applied-configuration']);

/** A short, stable digest of everything ensureLoadBalancer reads from the Service. */
export function appliedSpecDigest(view: ServiceSpecView): string {
  const annotations = Object.entries(view.annotations)
    .filter(([k]) => !NOT_HASHED.has(k))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const canonical = JSON.stringify({
    v: 1,
    ports: view.ports.map((p) => [p.name, p.port, p.protocol, String(p.targetPort)]),
    annotations,
    class: view.loadBalancerClass ?? '',
    sourceRanges: [...(view.sourceRanges ?? [])].sort(),
  });
  return `v1-${createHash('sha256').update(canonical).digest('hex').slice(0, 20)}`;
}

/** The digest recorded on the Service, if any. */
export function recordedSpecDigest(annotations: Readonly<Record<string, string>> | undefined): string | undefined {
  return annotations?.[APPLIED_SPEC_ANNOTATION];
}
