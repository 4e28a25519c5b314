/**
 * ARM resource ids: `/subscriptions/{sub}/resourceGroups/{rg}/providers/{namespace}/{type}/{name}[/{childType}/{childName}]…`.
 * ARM compares ids, names and segments without regard to case and keeps the casing a
 * resource was created with; {@link idKey} is the one place ids are folded for lookups.
 */
import { type ArmError, invalidResourceName, resourceNotFound } from './arm-errors.ts';

export const NETWORK = 'Microsoft.Network';
export const LB_TYPE = 'Microsoft.Network/loadBalancers';
export const PIP_TYPE = 'Microsoft.Network/publicIPAddresses';

export interface ResourceId {
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  /** e.g. `Microsoft.Network` */
  readonly namespace: string;
  /** Type segments from the top-level type down, e.g. `['loadBalancers', 'backendAddressPools']`. */
  readonly types: readonly string[];
  /** One name per type segment. */
  readonly names: readonly string[];
}

/** The lookup key of an id: lower case, no trailing slash. */
export function idKey(id: string): string {
  return id.replace(/\/+$/, '').toLowerCase();
}

/** Parses a resource id; undefined when it is not a fully qualified id under a resource group. */
export function parseResourceId(id: string): ResourceId | undefined {
  const parts = id.split('/');
  if (parts[0] !== '' || parts.length < 9) return undefined;
  if (parts[1]?.toLowerCase() !== 'subscriptions' || parts[3]?.toLowerCase() !== 'resourcegroups' || parts[5]?.toLowerCase() !== 'providers') {
    return undefined;
  }
  const rest = parts.slice(7);
  if (rest.length === 0 || rest.length % 2 !== 0 || rest.some((p) => p === '')) return undefined;
  const types: string[] = [];
  const names: string[] = [];
  for (let i = 0; i < rest.length; i += 2) {
    types.push(rest[i]!);
    names.push(decodeURIComponent(rest[i + 1]!));
  }
  const subscriptionId = parts[2]!;
  const resourceGroup = parts[4]!;
  const namespace = parts[6]!;
  if (!subscriptionId || !resourceGroup || !namespace) return undefined;
  return { subscriptionId, resourceGroup, namespace, types, names };
}

/** Builds the id of a resource; `segments` alternate type and name. */
export function resourceIdOf(subscriptionId: string, resourceGroup: string, namespace: string, ...segments: string[]): string {
  return `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/${namespace}/${segments.join('/')}`;
}

export function networkId(subscriptionId: string, resourceGroup: string, ...segments: string[]): string {
  return resourceIdOf(subscriptionId, resourceGroup, NETWORK, ...segments);
}

/** The `type` value ARM reports, e.g. `Microsoft.Network/loadBalancers/backendAddressPools`. */
export function typeOf(id: ResourceId): string {
  return `${id.namespace}/${id.types.join('/')}`;
}

/** The type with names, as ARM's not-found messages quote it: `Microsoft.Network/loadBalancers/lb1`. */
export function typePathOf(id: ResourceId): string {
  const segs: string[] = [];
  id.types.forEach((t, i) => {
    segs.push(t, id.names[i]!);
  });
  return `${id.namespace}/${segs.join('/')}`;
}

/** True when `id` is of the given type path (`['loadBalancers', 'probes']`) in the network namespace. */
export function isNetworkType(id: ResourceId, ...types: string[]): boolean {
  return (
    id.namespace.toLowerCase() === NETWORK.toLowerCase() &&
    id.types.length === types.length &&
    id.types.every((t, i) => t.toLowerCase() === types[i]!.toLowerCase())
  );
}

/** The id of the top-level resource an id belongs to (itself when top-level). */
export function topLevelId(id: ResourceId): string {
  return resourceIdOf(id.subscriptionId, id.resourceGroup, id.namespace, id.types[0]!, id.names[0]!);
}

const NETWORK_NAME = /^[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,78}[A-Za-z0-9_])?$/;

/** Network resource names: 1-80 word characters, periods and hyphens, starting with a word character, ending with one or '_'. */
export function checkNetworkName(name: string): void {
  if (!NETWORK_NAME.test(name)) throw invalidResourceName(name);
}

const GROUP_NAME = /^[-\w.()]{0,89}[-\w()]$/u;

/** Resource group names: 1-90 characters of letters, digits, '_', '.', '-', '(' and ')', not ending in '.'. */
export function isValidResourceGroupName(name: string): boolean {
  return GROUP_NAME.test(name);
}

/** ARM's 404 ResourceNotFound for a (possibly child) resource id. */
export function notFoundError(id: string): ArmError {
  const ref = parseResourceId(id);
  if (ref === undefined) throw new Error(`not a resource id: ${id}`);
  return resourceNotFound(typePathOf(ref), ref.resourceGroup);
}
