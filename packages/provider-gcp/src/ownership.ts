/**
 * Ownership records. NEGs, health checks, backend services and proxies carry no labels, so
 * every resource's `description` holds `{"sluice":{"cluster","namespace","name","uid"}}`;
 * forwarding rules also carry labels. Nothing is changed or deleted unless its name starts
 * with the Service's prefix AND its description names this cluster and this Service UID.
 */
import type { ServiceSpecView } from '@sluice/core';

export const LABEL_MANAGED_BY = 'sluice-managed-by';
export const LABEL_SERVICE_HASH = 'sluice-service-hash';
export const MANAGED_BY = 'sluice';

export interface OwnerRecord {
  readonly cluster: string;
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
}

/** The description Sluice writes on every resource it creates. */
export function ownerDescription(clusterName: string, service: Pick<ServiceSpecView, 'namespace' | 'name' | 'uid'>): string {
  const record: OwnerRecord = { cluster: clusterName, namespace: service.namespace, name: service.name, uid: service.uid };
  return JSON.stringify({ sluice: record });
}

/** The owner a description records, or undefined when it is not Sluice's. */
export function parseOwner(description: string | null | undefined): OwnerRecord | undefined {
  if (!description) return undefined;
  try {
    const parsed = JSON.parse(description) as { sluice?: Partial<OwnerRecord> };
    const s = parsed?.sluice;
    if (typeof s?.cluster !== 'string' || typeof s.uid !== 'string') return undefined;
    return { cluster: s.cluster, namespace: String(s.namespace ?? ''), name: String(s.name ?? ''), uid: s.uid };
  } catch {
    return undefined;
  }
}

/** True when the name has the Service's prefix and the description names this cluster and Service UID. */
export function isOwned(
  resource: { readonly name?: string | null; readonly description?: string | null },
  prefix: string,
  clusterName: string,
  service: Pick<ServiceSpecView, 'uid'>,
): boolean {
  const owner = parseOwner(resource.description);
  return (resource.name ?? '').startsWith(prefix) && owner?.cluster === clusterName && owner.uid === service.uid;
}

/** Who a description says owns a resource, for error messages. */
export function describeOwner(description: string | null | undefined): string {
  const owner = parseOwner(description);
  if (!owner) return 'its description does not record a Sluice owner';
  return `its description names cluster "${owner.cluster}" and Service ${owner.namespace}/${owner.name} (uid ${owner.uid})`;
}

/** Labels for resources that support them (forwarding rules). */
export function ownerLabels(serviceHash: string): Record<string, string> {
  return { [LABEL_MANAGED_BY]: MANAGED_BY, [LABEL_SERVICE_HASH]: serviceHash };
}
