/**
 * Converges one zonal GCE_VM_IP_PORT NEG to the wanted endpoints: list what is attached,
 * attach what is missing, then detach what is no longer wanted (attach first, so a serving
 * backend is never removed before its replacement is registered). Batches hold at most
 * {@link MAX_ENDPOINTS_PER_CALL} endpoints and each waits on its zonal operation. A detached
 * endpoint stops getting new connections; open ones continue for the backend service's
 * connection-draining timeout.
 *
 * What is attached comes from the provider's {@link NegCache} when it knows (the last health
 * read's list, with Sluice's own changes since), else from a list; each successful batch is
 * applied to the cache, and a failed one drops the NEG from it so the next call lists again.
 */
import type { protos } from '@google-cloud/compute';
import type { Backend } from '@sluice/core';
import { diffByKey, runBatches, throwFirstFailure } from '@sluice/core/provider-kit';
import type { GcpApi } from './gcp-api.ts';
import type { NegCache } from './neg-cache.ts';

type NetworkEndpoint = protos.google.cloud.compute.v1.INetworkEndpoint;
type NetworkEndpointWithHealth = protos.google.cloud.compute.v1.INetworkEndpointWithHealthStatus;

/** Compute's limit, and the GKE NEG controller's batch. */
export const MAX_ENDPOINTS_PER_CALL = 500;

export interface WantedEndpoint {
  readonly ipAddress: string;
  readonly port: number;
  readonly instance: string;
}

export function endpointKey(e: { readonly ipAddress?: string | null; readonly port?: number | null }): string {
  return `${e.ipAddress ?? ''}|${e.port ?? 0}`;
}

/**
 * The VM a node name stands for: Compute instance names are RFC 1035 labels without dots, so a
 * node named by its FQDN (`node-1.us-central1-a.c.proj.internal`, a self-managed cluster's
 * hostname) is the instance of its first label; GKE's node names are the instance names.
 */
export function instanceName(nodeName: string): string {
  return nodeName.split('.')[0] ?? nodeName;
}

/** `gce://<project>/<zone>/<instance>`, the `spec.providerID` GKE and the GCE cloud controller give a node. */
const GCE_PROVIDER_ID = /^gce:\/\/[^/]+\/([^/]+)\/([^/]+)$/;

/**
 * The VM a backend's pod runs on and that VM's zone: from the node's `spec.providerID` when it
 * is a GCE one (the instance need not be named like the node), else the node name's instance
 * ({@link instanceName}) in the EndpointSlice's zone. Undefined when neither says.
 */
export function placement(b: Backend): { zone: string; instance: string } | undefined {
  const id = b.nodeProviderId ? GCE_PROVIDER_ID.exec(b.nodeProviderId) : null;
  if (id) return { zone: id[1]!, instance: id[2]! };
  return b.zone && b.nodeName ? { zone: b.zone, instance: instanceName(b.nodeName) } : undefined;
}

/**
 * The endpoints each zone should hold: one per pod IP and port with weight above 0
 * (backends of several Service ports sharing a target port collapse into one endpoint).
 * Backends without a zone or node cannot be placed and are returned apart.
 */
export function wantedByZone(backends: readonly Backend[]): { zones: Map<string, Map<string, WantedEndpoint>>; unplaced: Backend[] } {
  const zones = new Map<string, Map<string, WantedEndpoint>>();
  const unplaced: Backend[] = [];
  for (const b of backends) {
    if (b.weight <= 0) continue;
    const where = placement(b);
    if (!where) {
      unplaced.push(b);
      continue;
    }
    let zone = zones.get(where.zone);
    if (!zone) zones.set(where.zone, (zone = new Map()));
    const e: WantedEndpoint = { ipAddress: b.ip, port: b.port, instance: where.instance };
    zone.set(endpointKey(e), e);
  }
  return { zones, unplaced };
}

/**
 * Every endpoint attached to a NEG, page by page; with `health: 'SHOW'` each also carries its
 * health per backend service (one call per page gives both, the GKE NEG controller's
 * readiness poller reads health the same way).
 */
export async function listEndpointsWithHealth(api: GcpApi, zone: string, neg: string, health: 'SHOW' | 'SKIP', signal: AbortSignal): Promise<NetworkEndpointWithHealth[]> {
  const out: NetworkEndpointWithHealth[] = [];
  let pageToken: string | undefined;
  do {
    const token = pageToken;
    const [items, , raw] = await api.call('networkEndpointGroups.listNetworkEndpoints', signal, (o) =>
      api.clients.networkEndpointGroups.listNetworkEndpoints(
        {
          project: api.project,
          zone,
          networkEndpointGroup: neg,
          networkEndpointGroupsListEndpointsRequestResource: { healthStatus: health },
          ...(token ? { pageToken: token } : {}),
        },
        o,
      ),
    );
    for (const item of items ?? []) if (item.networkEndpoint) out.push(item);
    pageToken = (raw as { nextPageToken?: string | null } | undefined)?.nextPageToken || undefined;
  } while (pageToken);
  return out;
}

/** Every endpoint attached to a NEG, page by page. */
export async function listEndpoints(api: GcpApi, zone: string, neg: string, signal: AbortSignal): Promise<NetworkEndpoint[]> {
  return (await listEndpointsWithHealth(api, zone, neg, 'SKIP', signal)).map((i) => i.networkEndpoint ?? {});
}

/**
 * Attaches and detaches so the NEG holds exactly `wanted`; no call when nothing differs. What
 * is attached is what `cache` knows, else a fresh list (remembered in `cache`).
 */
export async function syncNeg(api: GcpApi, cache: NegCache, zone: string, neg: string, wanted: ReadonlyMap<string, WantedEndpoint>, signal: AbortSignal): Promise<void> {
  try {
    await converge(api, cache, zone, neg, wanted, signal);
  } catch (error) {
    cache.forgetEndpoints(zone, neg);
    throw error;
  }
}

async function converge(api: GcpApi, cache: NegCache, zone: string, neg: string, wanted: ReadonlyMap<string, WantedEndpoint>, signal: AbortSignal): Promise<void> {
  let current = cache.endpoints(zone, neg);
  if (current === undefined) {
    current = await listEndpoints(api, zone, neg, signal);
    cache.setEndpoints(zone, neg, current);
  }
  // Matched endpoints whose IP moved to another instance (IP reused) are detached before they are attached again.
  const diff = diffByKey(wanted.values(), current, { key: endpointKey, same: (w, e) => !e.instance || e.instance === w.instance });
  const moved = diff.toUpdate.map((p) => p.actual);
  const attach = [...diff.toAdd, ...diff.toUpdate.map((p) => p.desired)];
  const batches = { size: MAX_ENDPOINTS_PER_CALL, stopOnFailure: true, signal };
  const detach = async (batch: readonly NetworkEndpoint[]) => {
    await detachBatch(api, zone, neg, batch, signal);
    cache.changed(zone, neg, { detached: batch });
  };
  throwFirstFailure(await runBatches(moved, batches, detach));
  throwFirstFailure(
    await runBatches(attach, batches, async (batch) => {
      const endpoints = batch.map((e) => ({ ipAddress: e.ipAddress, port: e.port, instance: e.instance }));
      await api.mutate('networkEndpointGroups.attachNetworkEndpoints', { zone }, signal, (o) =>
        api.clients.networkEndpointGroups.attachNetworkEndpoints(
          { project: api.project, zone, networkEndpointGroup: neg, networkEndpointGroupsAttachEndpointsRequestResource: { networkEndpoints: endpoints } },
          o,
        ),
      );
      cache.changed(zone, neg, { attached: endpoints });
    }),
  );
  throwFirstFailure(await runBatches(diff.toRemove, batches, detach));
}

function detachBatch(api: GcpApi, zone: string, neg: string, batch: readonly NetworkEndpoint[], signal: AbortSignal): Promise<void> {
  return api.mutate('networkEndpointGroups.detachNetworkEndpoints', { zone }, signal, (o) =>
    api.clients.networkEndpointGroups.detachNetworkEndpoints(
      {
        project: api.project,
        zone,
        networkEndpointGroup: neg,
        networkEndpointGroupsDetachEndpointsRequestResource: {
          networkEndpoints: batch.map((e) => ({ ipAddress: e.ipAddress, port: e.port, ...(e.instance ? { instance: e.instance } : {}) })),
        },
      },
      o,
    ),
  );
}
