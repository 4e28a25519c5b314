/**
 * Names of the AWS resources Sluice creates for a Service. ELBv2 names are at most 32
 * characters of letters, digits and hyphens, with no hyphen at either end.
 *
 * Every name carries a hash of the cluster name and the Service UID, so two clusters in
 * one account never collide and a Service deleted and re-created under the same name gets
 * new resources instead of inheriting the old ones (whose deletion may still be under
 * way). The readable parts (namespace, name, port number) are for people only; ownership
 * is proven by tags, never by a name.
 */
import { createHash } from 'node:crypto';
import type { ServicePortView, ServiceSpecView } from '@sluice/core';

export const MAX_NAME_LENGTH = 32;
const PREFIX = 'sl';

function hex(input: string, length: number): string {
  return createHash('sha256').update(input).digest('hex').slice(0, length);
}

/** A readable name fragment: letters, digits and single hyphens, at most `max` characters. */
function fragment(value: string, max: number): string {
  const cleaned = value
    .replace(/[^a-zA-Z0-9-]/g, '-')
    .replace(/-+/g, '-')
    .slice(0, max)
    .replace(/^-+|-+$/g, '');
  return cleaned === '' ? 'x' : cleaned;
}

/** 10 hex characters that identify the Service within the cluster. */
export function serviceHash(clusterName: string, service: Pick<ServiceSpecView, 'uid'>): string {
  return hex(`${clusterName}\u0000${service.uid}`, 10);
}

/** `sl-<ns, 8>-<name, 8>-<hash, 10>`: at most 31 characters. */
export function loadBalancerName(clusterName: string, service: Pick<ServiceSpecView, 'namespace' | 'name' | 'uid'>): string {
  return `${PREFIX}-${fragment(service.namespace, 8)}-${fragment(service.name, 8)}-${serviceHash(clusterName, service)}`;
}

/**
 * What every target group name of the Service starts with, so leftovers can be found by
 * name after their load balancer is gone (their tags then decide).
 */
export function targetGroupNamePrefix(clusterName: string, service: Pick<ServiceSpecView, 'uid'>): string {
  return `${PREFIX}-${serviceHash(clusterName, service)}-`;
}

/**
 * `sl-<service hash, 10>-<port hash, 6>-<port number>`: at most 26 characters. The port
 * hash covers the port's name and protocol, both of which a target group cannot change:
 * renaming a port or switching it between TCP and UDP yields a new target group, and the
 * old one is removed once no listener uses it.
 */
export function targetGroupName(clusterName: string, service: Pick<ServiceSpecView, 'uid'>, port: Pick<ServicePortView, 'name' | 'port' | 'protocol'>): string {
  return `${targetGroupNamePrefix(clusterName, service)}${hex(`${port.name}\u0000${port.protocol}`, 6)}-${port.port}`;
}
