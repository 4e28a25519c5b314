/**
 * Ownership tags. Everything the provider creates carries them, and nothing is modified
 * or deleted unless its tags prove that this cluster and this Service (by UID) own it: a
 * name alone proves nothing, since anyone can create a load balancer with any name.
 */
import type { ServiceSpecView } from '@sluice/core';

export const TAG_CLUSTER = 'sluice.dev/cluster';
export const TAG_SERVICE_NAMESPACE = 'sluice.dev/service-namespace';
export const TAG_SERVICE_NAME = 'sluice.dev/service-name';
export const TAG_SERVICE_UID = 'sluice.dev/service-uid';
/** On target groups and listeners: the Service port name they serve. */
export const TAG_SERVICE_PORT = 'sluice.dev/service-port';
export const TAG_MANAGED_BY = 'sluice.dev/managed-by';
export const MANAGED_BY = 'sluice';

export interface AwsTag {
  readonly Key: string;
  readonly Value: string;
}

/** Tags for the load balancer. */
export function serviceTags(clusterName: string, service: ServiceSpecView): AwsTag[] {
  return [
    { Key: TAG_CLUSTER, Value: clusterName },
    { Key: TAG_SERVICE_NAMESPACE, Value: service.namespace },
    { Key: TAG_SERVICE_NAME, Value: service.name },
    { Key: TAG_SERVICE_UID, Value: service.uid },
    { Key: TAG_MANAGED_BY, Value: MANAGED_BY },
  ];
}

/** Tags for a target group or listener of one Service port. */
export function portTags(clusterName: string, service: ServiceSpecView, portName: string): AwsTag[] {
  return [...serviceTags(clusterName, service), { Key: TAG_SERVICE_PORT, Value: portName }];
}

export function tagRecord(tags: readonly { Key?: string | undefined; Value?: string | undefined }[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of tags ?? []) if (t.Key !== undefined) out[t.Key] = t.Value ?? '';
  return out;
}

/** True when the tags prove that this cluster's Sluice created the resource for this Service. */
export function isOwnedBy(tags: Readonly<Record<string, string>>, clusterName: string, service: Pick<ServiceSpecView, 'uid'>): boolean {
  return tags[TAG_MANAGED_BY] === MANAGED_BY && tags[TAG_CLUSTER] === clusterName && tags[TAG_SERVICE_UID] === service.uid;
}

/** Describes who the tags say owns a resource, for error messages. */
export function describeOwner(tags: Readonly<Record<string, string>>): string {
  if (tags[TAG_MANAGED_BY] !== MANAGED_BY) return 'it has no sluice.dev/managed-by=sluice tag';
  return `its tags name cluster "${tags[TAG_CLUSTER] ?? ''}" and Service ${tags[TAG_SERVICE_NAMESPACE] ?? '?'}/${tags[TAG_SERVICE_NAME] ?? '?'} (uid ${tags[TAG_SERVICE_UID] ?? '?'})`;
}
