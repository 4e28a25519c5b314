/**
 * The display name of a Service's local load balancer (pure).
 */
import { createHash } from 'node:crypto';

/** The longest name any vendor accepts (AWS load balancers and target groups: 32). */
export const maxLoadBalancerNameLength = 32;

/**
 * `sluice-<namespace>-<name>`; when that is longer than {@link maxLoadBalancerNameLength}
 * it is cut and ends in `-` plus 8 hex digits of a hash of namespace and name, so two long
 * names that share a prefix stay distinct. Stable across calls, releases and processes.
 */
export function loadBalancerName(service: { readonly namespace: string; readonly name: string }): string {
  const full = `sluice-${service.namespace}-${service.name}`;
  if (full.length <= maxLoadBalancerNameLength) return full;
  const hash = createHash('sha256').update(`${service.namespace}/${service.name}`).digest('hex').slice(0, 8);
  const head = full.slice(0, maxLoadBalancerNameLength - hash.length - 1).replace(/-+$/, '');
  return `${head}-${hash}`;
}
