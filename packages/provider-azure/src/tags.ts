/**
 * Ownership tags. The load balancer and the public IPs Sluice creates carry them, and
 * nothing is changed or deleted unless its tags prove that this cluster and this Service
 * (by UID) own it: a name alone proves nothing. Azure tag names may not contain `/`, so
 * the keys use `sluice-` where the other providers use `sluice.dev/`.
 */
import type { ServiceSpecView } from '@sluice/core';

export const TAG_CLUSTER = 'sluice-cluster';
export const TAG_SERVICE_NAMESPACE = 'sluice-service-namespace';
export const TAG_SERVICE_NAME = 'sluice-service-name';
export const TAG_SERVICE_UID = 'sluice-service-uid';
export const TAG_MANAGED_BY = 'sluice-managed-by';
export const MANAGED_BY = 'sluice';
/** On a shared load balancer Sluice created: `true`. Only such a load balancer is ever deleted by Sluice. */
export const TAG_SHARED = 'sluice-shared';
/** On a shared load balancer, one tag per Service using it: `sluice-svc-<service id>=<namespace>/<name>`. */
export const TAG_SHARED_SERVICE_PREFIX = 'sluice-svc-';
/** Azure allows at most 50 tags on a resource. */
export const MAX_TAGS = 50;

/** The tag recording that a Service uses a shared load balancer. */
export function sharedServiceTag(serviceId: string, service: Pick<ServiceSpecView, 'namespace' | 'name'>): [string, string] {
  return [`${TAG_SHARED_SERVICE_PREFIX}${serviceId}`, `${service.namespace}/${service.name}`];
}

/** Tags of a shared load balancer Sluice creates: no Service tags, those come per Service. */
export function sharedLoadBalancerTags(clusterName: string): Record<string, string> {
  return { [TAG_MANAGED_BY]: MANAGED_BY, [TAG_CLUSTER]: clusterName, [TAG_SHARED]: 'true' };
}

/** Tags for the load balancer and the public IP Sluice creates. */
export function serviceTags(clusterName: string, service: Pick<ServiceSpecView, 'namespace' | 'name' | 'uid'>): Record<string, string> {
  return {
    [TAG_CLUSTER]: clusterName,
    [TAG_SERVICE_NAMESPACE]: service.namespace,
    [TAG_SERVICE_NAME]: service.name,
    [TAG_SERVICE_UID]: service.uid,
    [TAG_MANAGED_BY]: MANAGED_BY,
  };
}

/** True when the tags prove that this cluster's Sluice created the resource for this Service. */
export function isOwnedBy(tags: Readonly<Record<string, string>> | undefined, clusterName: string, service: Pick<ServiceSpecView, 'uid'>): boolean {
  return tags?.[TAG_MANAGED_BY] === MANAGED_BY && tags[TAG_CLUSTER] === clusterName && tags[TAG_SERVICE_UID] === service.uid;
}

/** True when every ownership tag has the wanted value (other tags are left alone). */
export function hasTags(tags: Readonly<Record<string, string>> | undefined, wanted: Readonly<Record<string, string>>): boolean {
  return Object.entries(wanted).every(([k, v]) => tags?.[k] === v);
}

/** Describes who the tags say owns a resource, for error messages. */
export function describeOwner(tags: Readonly<Record<string, string>> | undefined): string {
  if (tags?.[TAG_MANAGED_BY] !== MANAGED_BY) return `it has no ${TAG_MANAGED_BY}=${MANAGED_BY} tag`;
  return `its tags name cluster "${tags[TAG_CLUSTER] ?? ''}" and Service ${tags[TAG_SERVICE_NAMESPACE] ?? '?'}/${tags[TAG_SERVICE_NAME] ?? '?'} (uid ${tags[TAG_SERVICE_UID] ?? '?'})`;
}
