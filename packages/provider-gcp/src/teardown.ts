/**
 * Deleting a Service's load balancer: every resource named with the Service's prefix that
 * carries this cluster's and Service's ownership, in dependency order (forwarding rules, target
 * TCP proxies, the backend service, NEGs, the health check, the reserved address, Sluice's
 * firewall rules). Anything else with the prefix is left alone and reported to `notOwned`.
 */
import type { protos } from '@google-cloud/compute';
import { releaseAddress } from './address.ts';
import { listForwardingRules, listProxies } from './frontends.ts';
import { isOwned } from './ownership.ts';
import { listFirewalls } from './prerequisites.ts';
import { deleteGlobal, deleteRegional, deleteZonal, readBackendService, readHealthCheck, type StackContext } from './stack.ts';

type Neg = protos.google.cloud.compute.v1.INetworkEndpointGroup;

/** Told about a resource with the Service's prefix that Sluice cannot prove it owns. */
export type NotOwned = (kind: string, name: string | null | undefined, description?: string | null) => void;

/** NEGs of the Service's prefix in the region's zones, from the aggregated list. */
export async function listNegs(ctx: StackContext, region: string, signal: AbortSignal): Promise<{ zone: string; neg: Neg }[]> {
  const { api } = ctx;
  return api.call('networkEndpointGroups.aggregatedList', signal, async (o) => {
    const out: { zone: string; neg: Neg }[] = [];
    for await (const [scope, list] of api.clients.networkEndpointGroups.aggregatedListAsync({ project: api.project, filter: ctx.names.filter }, o)) {
      const zone = scope.replace(/^zones\//, '');
      if (!zone.startsWith(`${region}-`)) continue;
      for (const neg of list.networkEndpointGroups ?? []) if ((neg.name ?? '').startsWith(ctx.names.prefix)) out.push({ zone, neg });
    }
    return out;
  });
}

/** See the file comment. An absent resource is success. */
export async function deleteStack(ctx: StackContext, region: string, signal: AbortSignal, notOwned: NotOwned): Promise<void> {
  const { api, clusterName, service } = ctx;
  const owned = <T extends { name?: string | null; description?: string | null }>(kind: string, r: T): boolean => {
    if (isOwned(r, ctx.names.prefix, clusterName, service)) return true;
    notOwned(kind, r.name, r.description);
    return false;
  };
  for (const rule of await listForwardingRules(ctx, signal)) {
    if (!owned('forwarding rule', rule)) continue;
    await deleteRegional(ctx, 'forwardingRules.delete', signal, (o) => api.clients.forwardingRules.delete({ project: api.project, region: api.region, forwardingRule: rule.name ?? '' }, o));
  }
  for (const proxy of await listProxies(ctx, signal)) {
    if (!owned('target TCP proxy', proxy)) continue;
    await deleteRegional(ctx, 'regionTargetTcpProxies.delete', signal, (o) =>
      api.clients.regionTargetTcpProxies.delete({ project: api.project, region: api.region, targetTcpProxy: proxy.name ?? '' }, o),
    );
  }
  const bs = await readBackendService(ctx, signal);
  if (bs && owned('backend service', bs)) {
    await deleteRegional(ctx, 'regionBackendServices.delete', signal, (o) =>
      api.clients.regionBackendServices.delete({ project: api.project, region: api.region, backendService: ctx.names.backendService }, o),
    );
  }
  for (const { zone, neg } of await listNegs(ctx, region, signal)) {
    if (!owned('network endpoint group', neg)) continue;
    await deleteZonal(ctx, 'networkEndpointGroups.delete', zone, signal, (o) =>
      api.clients.networkEndpointGroups.delete({ project: api.project, zone, networkEndpointGroup: neg.name ?? '' }, o),
    );
  }
  const hc = await readHealthCheck(ctx, signal);
  if (hc && owned('health check', hc)) {
    await deleteRegional(ctx, 'regionHealthChecks.delete', signal, (o) => api.clients.regionHealthChecks.delete({ project: api.project, region: api.region, healthCheck: ctx.names.healthCheck }, o));
  }
  await releaseAddress(ctx, signal, (name) => notOwned('address', name));
  for (const rule of await listFirewalls(api, signal)) {
    if (!rule.name?.startsWith(ctx.names.prefix) || !owned('firewall rule', rule)) continue;
    await deleteGlobal(ctx, 'firewalls.delete', signal, (o) => api.clients.firewalls.delete({ project: api.project, firewall: rule.name ?? '' }, o));
  }
}
