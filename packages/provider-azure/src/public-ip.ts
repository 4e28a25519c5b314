/**
 * The frontend's public IP. By default Sluice creates a Standard, static IPv4 public IP
 * `<lb>-pip`, tagged like the load balancer, and deletes it with the load balancer. An
 * annotated public IP (`sluice.dev/azure-public-ip-name`) must already exist in the
 * resource group and is never created, changed or deleted by Sluice.
 */
import type { PublicIPAddress } from '@azure/arm-network';
import { type ServiceSpecView, TerminalError } from '@sluice/core';
import { PUBLIC_IP_NAME_ANNOTATION } from './annotations.ts';
import { isNotFound } from './errors.ts';
import type { AzureContext } from './lookup.ts';
import { ownedPublicIpName } from './names.ts';
import { describeOwner, isOwnedBy, serviceTags } from './tags.ts';

/**
 * The public IP of that name in `resourceGroup`, or undefined when it does not exist. What
 * the read finds is remembered in the context's address cache (when it has one).
 */
export async function readPublicIp(ctx: AzureContext, resourceGroup: string, name: string, signal: AbortSignal): Promise<PublicIPAddress | undefined> {
  try {
    const pip = await ctx.api.call('publicIPAddresses.get', name, signal, (o) => ctx.api.client.publicIPAddresses.get(resourceGroup, name, o));
    ctx.addresses?.remember(resourceGroup, name, pip);
    return pip;
  } catch (error) {
    if (!isNotFound(error)) throw error;
    ctx.addresses?.forget(resourceGroup, name);
    return undefined;
  }
}

/**
 * Addresses of Standard public IPs by resource group and name: a Standard public IP is
 * static, its address never changes while it exists ("Public IP addresses: SKU"), so the
 * status of a load balancer needs its GET once, not at every verification, and not at all
 * after Sluice created or read it while ensuring the load balancer. Entries expire after
 * `ttlMs` so an IP replaced by hand under the same name is seen again.
 */
export class PublicIpAddressCache {
  readonly #byName = new Map<string, { address: string; at: number }>();
  readonly #ttlMs: number;
  readonly #now: () => number;

  constructor(ttlMs = 600_000, now: () => number = () => performance.now()) {
    this.#ttlMs = ttlMs;
    this.#now = now;
  }

  async address(ctx: AzureContext, resourceGroup: string, name: string, signal: AbortSignal): Promise<string | undefined> {
    const hit = this.#byName.get(key(resourceGroup, name));
    if (hit && this.#now() - hit.at < this.#ttlMs) return hit.address;
    const pip = await readPublicIp(ctx, resourceGroup, name, signal);
    // readPublicIp remembers it in the context's cache; one not shared with the context learns it here.
    if (ctx.addresses !== this) this.remember(resourceGroup, name, pip);
    return pip?.ipAddress;
  }

  /** Keeps the address of a Standard static public IP as just read or written; anything else is forgotten. */
  remember(resourceGroup: string, name: string, pip: PublicIPAddress | undefined): void {
    if (pip?.ipAddress && pip.sku?.name === 'Standard' && pip.publicIPAllocationMethod === 'Static') this.#byName.set(key(resourceGroup, name), { address: pip.ipAddress, at: this.#now() });
    else this.forget(resourceGroup, name);
  }

  forget(resourceGroup: string, name: string): void {
    this.#byName.delete(key(resourceGroup, name));
  }
}

/** Resource group and resource names are case-insensitive in Azure. */
function key(resourceGroup: string, name: string): string {
  return `${resourceGroup}/${name}`.toLowerCase();
}

/** The Sluice-owned public IP of the load balancer, created when missing. */
export async function ensureOwnedPublicIp(ctx: AzureContext, lbName: string, clusterName: string, service: ServiceSpecView, signal: AbortSignal): Promise<PublicIPAddress> {
  const name = ownedPublicIpName(lbName);
  const rg = ctx.api.resourceGroup;
  const existing = await readPublicIp(ctx, rg, name, signal);
  if (existing) {
    if (!isOwnedBy(existing.tags, clusterName, service)) {
      throw new TerminalError(
        `Public IP address ${name} in resource group ${rg} has the name Sluice gives the frontend of Service ${service.namespace}/${service.name}, but ${describeOwner(existing.tags)}, so Sluice will not use it: delete or rename it, or name it with annotation ${PUBLIC_IP_NAME_ANNOTATION} to use it on purpose.`,
        { reason: 'ForeignPublicIp' },
      );
    }
    return existing;
  }
  const body: PublicIPAddress = {
    location: ctx.api.location,
    tags: serviceTags(clusterName, service),
    sku: { name: 'Standard', tier: 'Regional' },
    publicIPAllocationMethod: 'Static',
    publicIPAddressVersion: 'IPv4',
  };
  const created = await ctx.api.lro('publicIPAddresses.createOrUpdate', name, signal, (o) => ctx.api.client.publicIPAddresses.createOrUpdate(rg, name, body, o));
  ctx.addresses?.remember(rg, name, created);
  ctx.log.info('created public IP address', { service: `${service.namespace}/${service.name}`, name, ip: created.ipAddress });
  return created;
}

/** The annotated public IP; it must exist in the resource group and be of the Standard SKU. */
export async function namedPublicIp(ctx: AzureContext, name: string, service: ServiceSpecView, signal: AbortSignal): Promise<PublicIPAddress> {
  const rg = ctx.api.resourceGroup;
  const field = `metadata.annotations[${PUBLIC_IP_NAME_ANNOTATION}]`;
  const pip = await readPublicIp(ctx, rg, name, signal);
  if (!pip) {
    throw new TerminalError(
      `Service ${service.namespace}/${service.name} annotation ${PUBLIC_IP_NAME_ANNOTATION}="${name}" names a public IP address that does not exist in resource group ${rg}: create it (Standard SKU, static) or remove the annotation.`,
      { field, reason: 'PublicIpNotFound' },
    );
  }
  if (pip.sku?.name !== undefined && pip.sku.name !== 'Standard') {
    throw new TerminalError(
      `Service ${service.namespace}/${service.name} annotation ${PUBLIC_IP_NAME_ANNOTATION}="${name}" names a public IP address of the ${pip.sku.name} SKU, but a Standard load balancer needs a Standard public IP address.`,
      { field, reason: 'PublicIpSku' },
    );
  }
  return pip;
}

/**
 * Deletes the Sluice-owned public IP of the load balancer if it exists and its tags prove
 * ownership; one whose tags do not is left alone with a warning. Absent is success.
 */
export async function deleteOwnedPublicIp(ctx: AzureContext, lbName: string, clusterName: string, service: ServiceSpecView, signal: AbortSignal): Promise<void> {
  const name = ownedPublicIpName(lbName);
  const rg = ctx.api.resourceGroup;
  const pip = await readPublicIp(ctx, rg, name, signal);
  if (!pip) return;
  if (!isOwnedBy(pip.tags, clusterName, service)) {
    ctx.log.warn('left a public IP address Sluice does not own', { name, owner: describeOwner(pip.tags) });
    return;
  }
  try {
    await ctx.api.lro('publicIPAddresses.delete', name, signal, (o) => ctx.api.client.publicIPAddresses.delete(rg, name, o));
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
  ctx.addresses?.forget(rg, name);
  ctx.log.info('deleted public IP address', { service: `${service.namespace}/${service.name}`, name });
}
