/**
 * What exists: subscriptions, resource groups and resource records, keyed by folded id.
 * A record holds what the client wrote (normalized by the resource's model) plus what ARM
 * keeps beside it: the etag, the provisioning state and the operations still running on it.
 * Read-only views (ids of children, back-references, etags on children) are computed when
 * a resource is rendered, never stored, so they cannot go stale.
 */
import { randomUUID } from 'node:crypto';
import { resourceGroupNotFound, subscriptionNotFound } from './arm-errors.ts';
import type { JsonObject } from './json.ts';
import { idKey, parseResourceId, type ResourceId, typeOf } from './resource-ids.ts';
import { newEtag } from './etags.ts';

/** The network resource provider's provisioning states. */
export type ProvisioningState = 'Succeeded' | 'Updating' | 'Deleting' | 'Failed';

export interface ResourceGroup {
  readonly id: string;
  readonly subscriptionId: string;
  readonly name: string;
  location: string;
  tags: JsonObject | undefined;
}

export interface ResourceRecord {
  /** The id with the casing the resource was created with. */
  readonly id: string;
  readonly ref: ResourceId;
  /** e.g. `Microsoft.Network/loadBalancers` */
  readonly type: string;
  readonly resourceGuid: string;
  /** The normalized resource as written: `location`, `tags`, `sku`, `zones`, `properties`. */
  body: JsonObject;
  etag: string;
  provisioningState: ProvisioningState;
  /** Ids of asynchronous operations still running against this resource. */
  readonly pending: Set<string>;
}

export class ArmStore {
  /**
   * Where public IPv4 addresses come from: 203.0.113.0/24 (documentation, never reached), or
   * 127.77.0.0/24 when the twin's data plane serves the frontends (loopback addresses this
   * host can bind, so clients reach a load balancer at its public address).
   */
  publicAddresses: 'documentation' | 'loopback' = 'documentation';
  readonly #subscriptions = new Map<string, string>();
  readonly #groups = new Map<string, ResourceGroup>();
  readonly #resources = new Map<string, ResourceRecord>();

  addSubscription(subscriptionId: string): void {
    const key = subscriptionId.toLowerCase();
    if (!this.#subscriptions.has(key)) this.#subscriptions.set(key, subscriptionId);
  }

  hasSubscription(subscriptionId: string): boolean {
    return this.#subscriptions.has(subscriptionId.toLowerCase());
  }

  group(subscriptionId: string, name: string): ResourceGroup | undefined {
    return this.#groups.get(`${subscriptionId}/${name}`.toLowerCase());
  }

  /** The group, or ARM's 404 (SubscriptionNotFound before ResourceGroupNotFound). */
  requireGroup(subscriptionId: string, name: string): ResourceGroup {
    if (!this.hasSubscription(subscriptionId)) throw subscriptionNotFound(subscriptionId);
    const group = this.group(subscriptionId, name);
    if (group === undefined) throw resourceGroupNotFound(name);
    return group;
  }

  /** Throws SubscriptionNotFound for a subscription no resource group was ever created in. */
  requireSubscription(subscriptionId: string): void {
    if (!this.hasSubscription(subscriptionId)) throw subscriptionNotFound(subscriptionId);
  }

  /** Creates or updates a group; `created` tells which. */
  putGroup(subscriptionId: string, name: string, location: string, tags?: JsonObject): { group: ResourceGroup; created: boolean } {
    this.addSubscription(subscriptionId);
    const existing = this.group(subscriptionId, name);
    if (existing) {
      if (tags !== undefined) existing.tags = tags;
      return { group: existing, created: false };
    }
    const sub = this.#subscriptions.get(subscriptionId.toLowerCase())!;
    const group: ResourceGroup = { id: `/subscriptions/${sub}/resourceGroups/${name}`, subscriptionId: sub, name, location, tags };
    this.#groups.set(`${subscriptionId}/${name}`.toLowerCase(), group);
    return { group, created: true };
  }

  /** Removes a group and every resource in it. */
  deleteGroup(subscriptionId: string, name: string): void {
    this.#groups.delete(`${subscriptionId}/${name}`.toLowerCase());
    for (const r of [...this.#resources.values()]) {
      if (r.ref.subscriptionId.toLowerCase() === subscriptionId.toLowerCase() && r.ref.resourceGroup.toLowerCase() === name.toLowerCase()) {
        this.#resources.delete(idKey(r.id));
      }
    }
  }

  groups(subscriptionId?: string): ResourceGroup[] {
    return [...this.#groups.values()].filter((g) => subscriptionId === undefined || g.subscriptionId.toLowerCase() === subscriptionId.toLowerCase());
  }

  get(id: string): ResourceRecord | undefined {
    return this.#resources.get(idKey(id));
  }

  /** Adds a new record for a top-level resource id (which must parse) with the given body. */
  create(id: string, body: JsonObject, provisioningState: ProvisioningState): ResourceRecord {
    const ref = parseResourceId(id);
    if (ref === undefined) throw new Error(`not a resource id: ${id}`);
    const record: ResourceRecord = { id, ref, type: typeOf(ref), resourceGuid: randomUUID(), body, etag: newEtag(), provisioningState, pending: new Set() };
    this.#resources.set(idKey(id), record);
    return record;
  }

  remove(id: string): void {
    this.#resources.delete(idKey(id));
  }

  /** Records of `type` (case-insensitive), optionally within one subscription and group, in creation order. */
  list(type: string, subscriptionId?: string, resourceGroup?: string): ResourceRecord[] {
    const t = type.toLowerCase();
    return [...this.#resources.values()].filter(
      (r) =>
        r.type.toLowerCase() === t &&
        (subscriptionId === undefined || r.ref.subscriptionId.toLowerCase() === subscriptionId.toLowerCase()) &&
        (resourceGroup === undefined || r.ref.resourceGroup.toLowerCase() === resourceGroup.toLowerCase()),
    );
  }
}
