/**
 * Names and resource IDs of what Sluice creates in Azure for a Service.
 *
 * Azure resource names are 1-80 letters, digits, underscores, periods and hyphens,
 * starting with a letter or digit and ending with a letter, digit or underscore. The load
 * balancer's name carries a hash of the cluster name and the Service UID, so two clusters
 * in one resource group never collide and a Service deleted and re-created under the same
 * name gets new resources instead of inheriting the old ones. The readable parts are for
 * people only; ownership is proven by tags, never by a name.
 */
import { createHash } from 'node:crypto';
import type { ServiceSpecView } from '@sluice/core';

export const MAX_NAME_LENGTH = 80;
export const PUBLIC_IP_SUFFIX = '-pip';
/** Load balancer names stop here so that `<lb>-pip` still fits in 80 characters. */
export const MAX_LOAD_BALANCER_NAME_LENGTH = MAX_NAME_LENGTH - PUBLIC_IP_SUFFIX.length;
/** The load balancer's one frontend IP configuration. */
export const FRONTEND_NAME = 'frontend';
const PREFIX = 'sluice';
const MAX_NAMESPACE = 24;

/** A readable name fragment: letters, digits and single hyphens, at most `max` characters. */
function fragment(value: string, max: number): string {
  const cleaned = value
    .replace(/[^A-Za-z0-9-]/g, '-')
    .replace(/-+/g, '-')
    .slice(0, max)
    .replace(/^-+|-+$/g, '');
  return cleaned === '' ? 'x' : cleaned;
}

/** 8 hex characters that identify the Service within the cluster. */
export function serviceHash(clusterName: string, service: Pick<ServiceSpecView, 'uid'>): string {
  return createHash('sha256').update(`${clusterName}\u0000${service.uid}`).digest('hex').slice(0, 8);
}

/** `sluice-<namespace>-<name>-<hash>`, at most 76 characters (the namespace keeps at most 24). */
export function loadBalancerName(clusterName: string, service: Pick<ServiceSpecView, 'namespace' | 'name' | 'uid'>): string {
  const hash = serviceHash(clusterName, service);
  const ns = fragment(service.namespace, MAX_NAMESPACE);
  const room = MAX_LOAD_BALANCER_NAME_LENGTH - PREFIX.length - ns.length - hash.length - 3;
  return `${PREFIX}-${ns}-${fragment(service.name, room)}-${hash}`;
}

/**
 * The short, stable id that prefixes a Service's parts in a shared load balancer:
 * `<first 8 of namespace>-<first 8 of name>-<6 hex of SHA-256(cluster, UID)>`, at most 24
 * characters. The hash makes it unique per cluster and Service UID; the rest is for people.
 */
export function sharedServiceId(clusterName: string, service: Pick<ServiceSpecView, 'namespace' | 'name' | 'uid'>): string {
  return `${fragment(service.namespace, 8)}-${fragment(service.name, 8)}-${serviceHash(clusterName, service).slice(0, 6)}`;
}

/** The public IP Sluice creates and owns for a Service: `<lb>-pip`. */
export function ownedPublicIpName(loadBalancer: string): string {
  return `${loadBalancer}${PUBLIC_IP_SUFFIX}`;
}

/** Prefix of the backend addresses Sluice owns in a pool; addresses named otherwise belong to someone else. */
export const BACKEND_ADDRESS_PREFIX = 'sluice-ip-';

/** `sluice-ip-<a-b-c-d>`: the name of a pod IP in a backend pool (IPv6 colons become hyphens). */
export function backendAddressName(ip: string): string {
  return `${BACKEND_ADDRESS_PREFIX}${ip.replace(/[^A-Za-z0-9]/g, '-')}`;
}

/** True for an address Sluice wrote (by its name); Sluice never changes or removes the others. */
export function isSluiceAddress(address: { readonly name?: string }): boolean {
  return (address.name ?? '').startsWith(BACKEND_ADDRESS_PREFIX);
}

/** Resource IDs in one subscription and resource group. */
export interface ResourceScope {
  readonly subscriptionId: string;
  readonly resourceGroup: string;
}

export function loadBalancerId(scope: ResourceScope, name: string): string {
  return `/subscriptions/${scope.subscriptionId}/resourceGroups/${scope.resourceGroup}/providers/Microsoft.Network/loadBalancers/${name}`;
}

export function publicIpId(scope: ResourceScope, name: string): string {
  return `/subscriptions/${scope.subscriptionId}/resourceGroups/${scope.resourceGroup}/providers/Microsoft.Network/publicIPAddresses/${name}`;
}

/** The ID of a child of a load balancer, e.g. `backendAddressPools/http`. */
export function childId(lbId: string, kind: 'frontendIPConfigurations' | 'backendAddressPools' | 'probes' | 'loadBalancingRules', name: string): string {
  return `${lbId}/${kind}/${name}`;
}

/** Azure resource IDs compare case-insensitively (resource groups come back in any case). */
export function sameId(a: string | undefined, b: string | undefined): boolean {
  return a !== undefined && b !== undefined && a.toLowerCase() === b.toLowerCase();
}
