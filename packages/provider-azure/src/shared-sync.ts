/**
 * Ensure and delete for a Service on a shared load balancer
 * (`sluice.dev/azure-load-balancer-name`). The load balancer holds other Services' parts and
 * maybe parts Sluice never made, so every write is a read-modify-write of the whole load
 * balancer guarded by its ETag that changes only this Service's share (shared-lb-spec.ts).
 *
 * Ensure, step by step:
 * 1. the Service must not have a dedicated load balancer (a move is refused, not migrated);
 * 2. the shared load balancer is read; an existing one must be Standard;
 * 3. the frontend's public IP exists before the load balancer refers to it;
 * 4. only if the share differs: PUT the whole load balancer with `If-Match` (or, creating
 *    it, `If-None-Match: *`, so two Services creating it at once do not overwrite each
 *    other); on 412 read again and redo, at most MAX_CONFLICT_RETRIES times;
 * 5. the Service's pools are converged.
 *
 * Delete: remove the share (children and tag) the same guarded way, only when the tag proves
 * it is this Service's; then delete the load balancer only if Sluice created it and nothing
 * is left in it; then the Service's owned public IP (no longer referenced).
 */
import type { LoadBalancer as AzureLb, PublicIPAddress } from '@azure/arm-network';
import { type LoadBalancerStatus, RetryableError, type ServiceSpecView, TerminalError } from '@sluice/core';
import { LOAD_BALANCER_NAME_ANNOTATION } from './annotations.ts';
import { httpStatus, isNotFound } from './errors.ts';
import { desiredLoadBalancer, type FrontendTarget, frontendPublicIpId, type PortSpec, portSpecs, privateFrontendIp } from './lb-spec.ts';
import { type EnsureInput, statusOf, syncPools } from './load-balancer-sync.ts';
import { type AzureContext, readLoadBalancer } from './lookup.ts';
import { loadBalancerId, loadBalancerName, MAX_NAME_LENGTH, ownedPublicIpName, publicIpId, sameId, sharedServiceId } from './names.ts';
import { backendPortsOf } from './pool-spec.ts';
import { MAX_CONFLICT_RETRIES } from './pool-sync.ts';
import { deleteOwnedPublicIp, ensureOwnedPublicIp, namedPublicIp } from './public-ip.ts';
import { hasShareChildren, hasShareTag, isAbandonedSluiceShared, type SharedShare, shareMatches, tooManyTags, withoutShare, withShare } from './shared-lb-spec.ts';
import { isOwnedBy, MAX_TAGS, sharedLoadBalancerTags, sharedServiceTag } from './tags.ts';

/** Where a Service's parts live in its shared load balancer. */
export interface SharedPlacement extends SharedShare {
  readonly lbName: string;
  readonly serviceId: string;
  /** Key of the Service in the rule-port cache: `<lb>/<service id>`. */
  readonly cacheKey: string;
  /** `<lb>-<service id>`: the owned public IP is this plus `-pip`. */
  readonly publicIpBase: string;
}

export function sharedPlacement(clusterName: string, service: ServiceSpecView, lbName: string): SharedPlacement {
  const serviceId = sharedServiceId(clusterName, service);
  return {
    lbName,
    serviceId,
    prefix: `${serviceId}-`,
    frontendName: `${serviceId}-frontend`,
    tag: sharedServiceTag(serviceId, service),
    cacheKey: `${lbName}/${serviceId}`,
    publicIpBase: `${lbName}-${serviceId}`,
  };
}

/** The one sentence for a Service that moves between a dedicated and a shared load balancer. */
export function moveError(service: ServiceSpecView, from: string, to: string): TerminalError {
  return new TerminalError(
    `Service ${service.namespace}/${service.name} has its load balancer parts in ${from}, but annotation ${LOAD_BALANCER_NAME_ANNOTATION} now asks for ${to}; Sluice does not move a Service between load balancers: restore the annotation, or delete and re-create the Service.`,
    { field: `metadata.annotations[${LOAD_BALANCER_NAME_ANNOTATION}]`, reason: 'LoadBalancerMove' },
  );
}

export async function ensureShared(ctx: AzureContext, input: EnsureInput, signal: AbortSignal): Promise<LoadBalancerStatus> {
  const { clusterName, service, settings, backends } = input;
  const api = ctx.api;
  const place = sharedPlacement(clusterName, service, settings.sharedLoadBalancer ?? '');
  const name = place.lbName;
  const lbId = loadBalancerId(api.scope, name);

  const dedicatedName = loadBalancerName(clusterName, service);
  const dedicated = await readLoadBalancer(ctx, dedicatedName, signal);
  if (dedicated && isOwnedBy(dedicated.tags, clusterName, service)) throw moveError(service, `its own load balancer ${dedicatedName}`, `shared load balancer ${name}`);

  const ownBackends = backends.filter((b) => service.ports.some((p) => p.name === b.servicePort));
  const backendPorts = backendPortsOf(service, ownBackends);

  let current = await readLoadBalancer(ctx, name, signal);
  if (current) requireStandard(current, name, service);

  let publicIp: PublicIPAddress | undefined;
  let frontend: FrontendTarget;
  const ownedPipName = ownedPublicIpName(place.publicIpBase);
  switch (settings.frontend.kind) {
    case 'internal':
      frontend = { subnetId: settings.frontend.subnetId };
      break;
    case 'named-public-ip':
      publicIp = await namedPublicIp(ctx, settings.frontend.name, service, signal);
      frontend = { publicIpId: publicIp.id ?? publicIpId(api.scope, settings.frontend.name) };
      break;
    default:
      if (ownedPipName.length > MAX_NAME_LENGTH) {
        throw new TerminalError(
          `Service ${service.namespace}/${service.name} annotation ${LOAD_BALANCER_NAME_ANNOTATION}="${name}" is too long for the Service's own public IP ${ownedPipName} (Azure allows ${MAX_NAME_LENGTH} characters): use a shorter load balancer name or name a public IP with sluice.dev/azure-public-ip-name.`,
          { field: `metadata.annotations[${LOAD_BALANCER_NAME_ANNOTATION}]`, reason: 'NameTooLong' },
        );
      }
      publicIp = await ensureOwnedPublicIp(ctx, place.publicIpBase, clusterName, service, signal);
      frontend = { publicIpId: publicIp.id ?? publicIpId(api.scope, ownedPipName) };
  }
  const ownedPipBefore = sameId(frontendPublicIpId(current, place.frontendName), publicIpId(api.scope, ownedPipName));

  let lb: AzureLb;
  let ports: PortSpec[];
  for (let attempt = 0; ; attempt++) {
    ports = portSpecs(service.ports, backendPorts, current, place.prefix);
    const ours = desiredLoadBalancer({ lbId, location: api.location, tags: {}, frontend, ports, settings, current, frontendName: place.frontendName });
    if (current && shareMatches(current, ours, place)) {
      lb = current;
      break;
    }
    const body = withShare(current, ours, place, sharedLoadBalancerTags(clusterName));
    if (tooManyTags(body)) {
      throw new TerminalError(
        `Shared load balancer ${name} already has ${Object.keys(current?.tags ?? {}).length} tags, and Service ${service.namespace}/${service.name} needs one more (${place.tag[0]}), but Azure allows at most ${MAX_TAGS} tags on a resource: remove unused tags or use another load balancer.`,
        { reason: 'TooManyTags' },
      );
    }
    const etag = current?.etag;
    const guard: Record<string, string> = etag ? { 'If-Match': etag } : { 'If-None-Match': '*' };
    try {
      lb = await api.lro('loadBalancers.createOrUpdate', name, signal, (o) =>
        api.client.loadBalancers.createOrUpdate(api.resourceGroup, name, body, { ...o, requestOptions: { headers: guard } }),
      );
      ctx.pools.rememberLoadBalancer(name, lb);
      ctx.log.info(current ? 'updated shared load balancer' : 'created shared load balancer', { service: `${service.namespace}/${service.name}`, name });
      break;
    } catch (error) {
      if (httpStatus(error) !== 412) throw error;
      if (attempt >= MAX_CONFLICT_RETRIES) throw conflictError(name, attempt, error);
      current = await readLoadBalancer(ctx, name, signal);
      if (current) requireStandard(current, name, service);
    }
  }
  ctx.rulePorts.remember(place.cacheKey, lb, place.prefix);

  await syncPools(ctx, name, lb, ports, ownBackends, signal);

  if (ownedPipBefore && settings.frontend.kind !== 'owned-public-ip') {
    await deleteOwnedPublicIp(ctx, place.publicIpBase, clusterName, service, signal);
  }
  return statusOf(publicIp ? publicIp.ipAddress : privateFrontendIp(lb, place.frontendName));
}

export async function deleteShared(ctx: AzureContext, clusterName: string, service: ServiceSpecView, lbName: string, signal: AbortSignal): Promise<void> {
  const api = ctx.api;
  const place = sharedPlacement(clusterName, service, lbName);
  ctx.rulePorts.forget(place.cacheKey);
  ctx.pools.forget(lbName);
  let current = await readLoadBalancer(ctx, lbName, signal);
  for (let attempt = 0; current; attempt++) {
    if (!hasShareTag(current, place)) {
      if (hasShareChildren(current, place)) {
        ctx.log.warn('left children in a shared load balancer whose tags do not name the Service', { service: `${service.namespace}/${service.name}`, name: lbName, tag: place.tag[0] });
      }
      break;
    }
    const body = withoutShare(current, place);
    const etag = current.etag;
    try {
      current = await api.lro('loadBalancers.createOrUpdate', lbName, signal, (o) =>
        api.client.loadBalancers.createOrUpdate(api.resourceGroup, lbName, body, { ...o, ...(etag ? { requestOptions: { headers: { 'If-Match': etag } } } : {}) }),
      );
      ctx.log.info('removed Service from shared load balancer', { service: `${service.namespace}/${service.name}`, name: lbName });
      break;
    } catch (error) {
      if (isNotFound(error)) {
        current = undefined;
        break;
      }
      if (httpStatus(error) !== 412) throw error;
      if (attempt >= MAX_CONFLICT_RETRIES) throw conflictError(lbName, attempt, error);
      current = await readLoadBalancer(ctx, lbName, signal);
    }
  }
  if (current && isAbandonedSluiceShared(current)) {
    const etag = current.etag;
    try {
      await api.lro('loadBalancers.delete', lbName, signal, (o) =>
        api.client.loadBalancers.delete(api.resourceGroup, lbName, { ...o, ...(etag ? { requestOptions: { headers: { 'If-Match': etag } } } : {}) }),
      );
      ctx.log.info('deleted shared load balancer', { service: `${service.namespace}/${service.name}`, name: lbName });
    } catch (error) {
      // 412: another Service joined it since the read; it stays. Absent: already gone.
      if (!isNotFound(error) && httpStatus(error) !== 412) throw error;
    }
  }
  await deleteOwnedPublicIp(ctx, place.publicIpBase, clusterName, service, signal);
}

function requireStandard(lb: AzureLb, name: string, service: ServiceSpecView): void {
  if (lb.sku?.name !== undefined && lb.sku.name !== 'Standard') {
    throw new TerminalError(
      `Service ${service.namespace}/${service.name} annotation ${LOAD_BALANCER_NAME_ANNOTATION}="${name}" names a load balancer of the ${lb.sku.name} SKU, but Sluice needs a Standard load balancer.`,
      { field: `metadata.annotations[${LOAD_BALANCER_NAME_ANNOTATION}]`, reason: 'LoadBalancerSku' },
    );
  }
}

function conflictError(name: string, attempt: number, cause: unknown): RetryableError {
  return new RetryableError(`Load balancer ${name} changed under Sluice ${attempt + 1} times in a row (ETag conflict); will try again.`, { cause, reason: 'AzureConflict' });
}
