/**
 * Creates or converges a Service's whole Standard Load Balancer: the frontend's public IP,
 * the load balancer with its frontend, probes, rules and pools, and the pools' addresses.
 * Reads first, then writes only what differs, so an ensure of a load balancer that
 * already matches makes no write call.
 *
 * Order matters, step by step:
 * 1. the load balancer is read, and its tags must prove it is this Service's before
 *    anything is written (a foreign one stops everything);
 * 2. the frontend's public IP exists before the load balancer refers to it;
 * 3. the load balancer is PUT (guarded by its ETag) only when frontend, probes, rules or
 *    the set of pools differ; ports removed from the Service lose their rule, probe and
 *    pool in the same PUT, and existing pools keep their addresses;
 * 4. then each pool whose addresses differ from the backends is converged (pool-sync.ts);
 * 5. only then is a Sluice-owned public IP the frontend no longer uses deleted (Azure
 *    refuses to delete an address still in use).
 */
import type { LoadBalancer as AzureLb, PublicIPAddress } from '@azure/arm-network';
import { type Backend, type LoadBalancerStatus, RetryableError, type ServiceSpecView } from '@sluice/core';
import type { AzureServiceSettings } from './annotations.ts';
import { httpStatus } from './errors.ts';
import { desiredLoadBalancer, type FrontendTarget, frontendPublicIpId, loadBalancerMatches, type PortSpec, portSpecs, privateFrontendIp } from './lb-spec.ts';
import { type AzureContext, readLoadBalancer, requireOwned } from './lookup.ts';
import { loadBalancerId, loadBalancerName, ownedPublicIpName, publicIpId, sameId } from './names.ts';
import { backendPortsOf, sameAddresses, wantedAddresses } from './pool-spec.ts';
import { MAX_CONFLICT_RETRIES, syncPool } from './pool-sync.ts';
import { deleteOwnedPublicIp, ensureOwnedPublicIp, namedPublicIp } from './public-ip.ts';
import { serviceTags } from './tags.ts';

export interface EnsureInput {
  readonly clusterName: string;
  readonly service: ServiceSpecView;
  readonly settings: AzureServiceSettings;
  readonly backends: readonly Backend[];
}

/** The ingress status for a frontend IP (none yet: empty). */
export function statusOf(ip: string | undefined): LoadBalancerStatus {
  return { ingress: ip ? [{ ip }] : [] };
}

export async function ensureStack(ctx: AzureContext, input: EnsureInput, signal: AbortSignal): Promise<LoadBalancerStatus> {
  const { clusterName, service, settings, backends } = input;
  const api = ctx.api;
  const name = loadBalancerName(clusterName, service);
  const lbId = loadBalancerId(api.scope, name);
  const ownBackends = backends.filter((b) => service.ports.some((p) => p.name === b.servicePort));
  const backendPorts = backendPortsOf(service, ownBackends);

  let current = await readLoadBalancer(ctx, name, signal);
  if (current) requireOwned(ctx, current, clusterName, service);

  // The frontend: a public IP resource (owned or annotated) or a private address in a subnet.
  let publicIp: PublicIPAddress | undefined;
  let frontend: FrontendTarget;
  switch (settings.frontend.kind) {
    case 'internal':
      frontend = { subnetId: settings.frontend.subnetId };
      break;
    case 'named-public-ip':
      publicIp = await namedPublicIp(ctx, settings.frontend.name, service, signal);
      frontend = { publicIpId: publicIp.id ?? publicIpId(api.scope, settings.frontend.name) };
      break;
    default:
      publicIp = await ensureOwnedPublicIp(ctx, name, clusterName, service, signal);
      frontend = { publicIpId: publicIp.id ?? publicIpId(api.scope, ownedPublicIpName(name)) };
  }
  const ownedPipBefore = sameId(frontendPublicIpId(current), publicIpId(api.scope, ownedPublicIpName(name)));

  let lb: AzureLb;
  let ports: PortSpec[];
  for (let attempt = 0; ; attempt++) {
    ports = portSpecs(service.ports, backendPorts, current);
    const desired = desiredLoadBalancer({ lbId, location: api.location, tags: serviceTags(clusterName, service), frontend, ports, settings, current });
    if (current && loadBalancerMatches(current, desired)) {
      lb = current;
      break;
    }
    const etag = current?.etag;
    try {
      lb = await api.lro('loadBalancers.createOrUpdate', name, signal, (o) =>
        api.client.loadBalancers.createOrUpdate(api.resourceGroup, name, desired, { ...o, ...(etag ? { requestOptions: { headers: { 'If-Match': etag } } } : {}) }),
      );
      ctx.rulePorts.remember(name, lb);
      ctx.pools.rememberLoadBalancer(name, lb);
      ctx.log.info(etag ? 'updated load balancer' : 'created load balancer', { service: `${service.namespace}/${service.name}`, name });
      break;
    } catch (error) {
      // 412: someone else wrote the load balancer since it was read; read again and redo.
      if (httpStatus(error) !== 412) throw error;
      if (attempt >= MAX_CONFLICT_RETRIES) {
        throw new RetryableError(`Load balancer ${name} changed under Sluice ${attempt + 1} times in a row (ETag conflict); will try again.`, { cause: error, reason: 'AzureConflict' });
      }
      current = await readLoadBalancer(ctx, name, signal);
      if (current) requireOwned(ctx, current, clusterName, service);
    }
  }

  await syncPools(ctx, name, lb, ports, ownBackends, signal);

  if (ownedPipBefore && settings.frontend.kind !== 'owned-public-ip') {
    await deleteOwnedPublicIp(ctx, name, clusterName, service, signal);
  }
  return statusOf(publicIp ? publicIp.ipAddress : privateFrontendIp(lb));
}

/** Converges every pool whose addresses, as the load balancer shows them, differ from its backends. */
export async function syncPools(ctx: AzureContext, lbName: string, lb: AzureLb, ports: readonly PortSpec[], backends: readonly Backend[], signal: AbortSignal): Promise<void> {
  for (const port of ports) {
    const wanted = wantedAddresses(
      backends.filter((b) => b.servicePort === port.name),
      ctx.api.virtualNetworkId,
    );
    const pool = lb.backendAddressPools?.find((p) => p.name === port.child);
    if (pool && sameAddresses(pool.loadBalancerBackendAddresses, wanted)) continue;
    await syncPool(ctx.api, ctx.pools, lbName, port.child, wanted, signal);
  }
}
