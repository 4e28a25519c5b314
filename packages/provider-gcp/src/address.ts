/**
 * The Service's one regional address, shared by the forwarding rule of every Service port, so
 * a two-port Service has one IP ("IP address sharing for forwarding rules" in the Cloud Load
 * Balancing documentation: rules on one address need ports that do not overlap, which distinct
 * Service ports are). Either Sluice reserves it (`sl-<hash>-ip`, owned, released with the
 * Service: an external address, or an internal one from the subnetwork with purpose
 * SHARED_LOADBALANCER_VIP, which internal sharing requires), or the Service names an existing
 * one with `sluice.dev/gcp-address`, which Sluice uses and never deletes.
 */
import type { protos } from '@google-cloud/compute';
import { TerminalError } from '@sluice/core';
import { ADDRESS_ANNOTATION, type GcpServiceSettings } from './annotations.ts';
import { isOwned, ownerDescription } from './ownership.ts';
import { deleteRegional, orAbsent, requireOwned, type StackContext } from './stack.ts';

export type Address = protos.google.cloud.compute.v1.IAddress;

/** The address Sluice reserves for the Service. */
export function ownedAddressName(ctx: StackContext): string {
  return `${ctx.names.prefix}ip`;
}

function readAddress(ctx: StackContext, name: string, signal: AbortSignal): Promise<Address | undefined> {
  const { api } = ctx;
  return orAbsent(api.call('addresses.get', signal, (o) => api.clients.addresses.get({ project: api.project, region: api.region, address: name }, o)).then((r) => r[0]));
}

/** The Service's address (reserved now when it has none): its path, for the forwarding rules' `IPAddress`. */
export async function ensureAddress(ctx: StackContext, settings: GcpServiceSettings, signal: AbortSignal): Promise<string> {
  const { api, service } = ctx;
  const path = (name: string) => `projects/${api.project}/regions/${api.region}/addresses/${name}`;
  if (settings.address !== undefined) {
    const given = await readAddress(ctx, settings.address, signal);
    const wanted = settings.internal ? 'INTERNAL' : 'EXTERNAL';
    if (!given || (given.addressType ?? 'EXTERNAL') !== wanted) {
      throw new TerminalError(
        `Service ${service.namespace}/${service.name} annotation ${ADDRESS_ANNOTATION}="${settings.address}" names ${given ? `an ${given.addressType} address` : 'no address'} in region ${api.region}: allowed is the name of a reserved ${wanted} address there.`,
        { field: `metadata.annotations[${ADDRESS_ANNOTATION}]`, reason: 'InvalidConfiguration' },
      );
    }
    return path(settings.address);
  }
  const name = ownedAddressName(ctx);
  const current = await readAddress(ctx, name, signal);
  if (current) {
    requireOwned(ctx, 'Address', current);
    return path(name);
  }
  const resource: Address = {
    name,
    description: ownerDescription(ctx.clusterName, service),
    addressType: settings.internal ? 'INTERNAL' : 'EXTERNAL',
    ...(settings.internal && ctx.subnetwork ? { subnetwork: ctx.subnetwork, purpose: 'SHARED_LOADBALANCER_VIP' } : {}),
  };
  await api.mutate('addresses.insert', { region: api.region }, signal, (o) => api.clients.addresses.insert({ project: api.project, region: api.region, addressResource: resource }, o));
  return path(name);
}

/** Releases the address Sluice reserved for the Service (after its forwarding rules are gone); anything else is left. */
export async function releaseAddress(ctx: StackContext, signal: AbortSignal, warn: (name: string) => void): Promise<void> {
  const { api } = ctx;
  const name = ownedAddressName(ctx);
  const current = await readAddress(ctx, name, signal);
  if (!current) return;
  if (!isOwned(current, ctx.names.prefix, ctx.clusterName, ctx.service)) {
    warn(name);
    return;
  }
  await deleteRegional(ctx, 'addresses.delete', signal, (o) => api.clients.addresses.delete({ project: api.project, region: api.region, address: name }, o));
}
