/**
 * Backend address pools. An IP-based pool lists `loadBalancerBackendAddresses`, each an IP
 * address in a virtual network (or subnet) with an optional `adminState` (None, Up, Down);
 * there is no per-address operation, so clients replace the whole pool (PUT), guarded by
 * the etag. IP-based pools need a Standard load balancer.
 *
 * The pool is stored inside its load balancer's body; a pool PUT is a write of the load
 * balancer, which is why both share one etag and one provisioning state.
 */
import { randomUUID } from 'node:crypto';
import { isIP } from 'node:net';
import { badRequest, invalidRequestFormat, invalidResourceReference } from './arm-errors.ts';
import type { ArmStore } from './arm-store.ts';
import { isObject, type JsonObject, objectAt } from './json.ts';
import { cidrContains, findSubnet, findVirtualNetwork, addressPrefixes } from './virtual-network.ts';
import { arrayValue, enumValue, intValue, objectValue, refValue, stringValue } from './validate.ts';

export const ADMIN_STATES = ['None', 'Up', 'Down'] as const;
export type AdminState = (typeof ADMIN_STATES)[number];

export interface PoolContext {
  readonly store: ArmStore;
  /** The pool's id (for messages and references). */
  readonly poolId: string;
  readonly loadBalancerSku: string;
}

function checkAddressInNetwork(store: ArmStore, ip: string, vnetId: string | undefined, subnetId: string | undefined, path: string, poolId: string): void {
  let prefixes: string[] = [];
  if (subnetId !== undefined) {
    const subnet = findSubnet(store, subnetId);
    if (subnet === undefined) throw invalidResourceReference(subnetId, poolId);
    prefixes = addressPrefixes(subnet.network);
  }
  if (vnetId !== undefined) {
    const vnet = findVirtualNetwork(store, vnetId);
    if (vnet === undefined) throw invalidResourceReference(vnetId, poolId);
    prefixes = addressPrefixes(vnet);
  }
  if (isIP(ip) === 4 && !prefixes.some((p) => cidrContains(p, ip))) {
    throw badRequest(
      'InvalidBackendAddress',
      `Backend address ${ip} at '${path}' of ${poolId} is not in the address space (${prefixes.join(', ')}) of the virtual network it names.`,
    );
  }
}

function normalizeAddress(input: unknown, path: string, ctx: PoolContext): JsonObject {
  if (!isObject(input)) throw invalidRequestFormat(path, 'A backend address must be an object.');
  const name = stringValue(input['name'], `${path}.name`) ?? randomUUID();
  const props = objectValue(input['properties'], `${path}.properties`) ?? {};
  const ip = stringValue(props['ipAddress'], `${path}.properties.ipAddress`);
  const vnetId = refValue(props['virtualNetwork'], `${path}.properties.virtualNetwork`);
  const subnetId = refValue(props['subnet'], `${path}.properties.subnet`);
  const frontendId = refValue(props['loadBalancerFrontendIPConfiguration'], `${path}.properties.loadBalancerFrontendIPConfiguration`);
  const adminState = enumValue(props['adminState'], ADMIN_STATES, `${path}.properties.adminState`, 'LoadBalancerBackendAddressAdminState');
  const out: JsonObject = {};
  if (frontendId !== undefined) {
    // A cross-region (Global tier) pool: the address is another load balancer's frontend.
    out['loadBalancerFrontendIPConfiguration'] = { id: frontendId };
  } else {
    if (ip === undefined || ip === '') {
      throw badRequest('InvalidBackendAddress', `Backend address '${name}' at '${path}' of ${ctx.poolId} has no properties.ipAddress; an IP-based backend address needs an IP address and a virtual network or subnet.`);
    }
    if (isIP(ip) === 0) throw invalidRequestFormat(`${path}.properties.ipAddress`, `${JSON.stringify(ip)} is not an IP address.`);
    if (vnetId === undefined && subnetId === undefined) {
      throw badRequest('InvalidBackendAddress', `Backend address '${name}' (${ip}) at '${path}' of ${ctx.poolId} names neither properties.virtualNetwork nor properties.subnet.`);
    }
    checkAddressInNetwork(ctx.store, ip, vnetId, subnetId, path, ctx.poolId);
    out['ipAddress'] = ip;
    if (vnetId !== undefined) out['virtualNetwork'] = { id: vnetId };
    if (subnetId !== undefined) out['subnet'] = { id: subnetId };
  }
  if (adminState !== undefined) out['adminState'] = adminState;
  return { name, properties: out };
}

/** Validates one pool (`{ name, properties }`) and returns what to store. */
export function normalizeBackendPool(name: string, input: JsonObject, basePath: string, ctx: PoolContext): JsonObject {
  // A pool PUT has the pool at the top of the body; a load balancer PUT nests it.
  const path = basePath === '' ? 'properties' : `${basePath}.properties`;
  const props = objectValue(input['properties'], path) ?? {};
  const addresses = arrayValue(props['loadBalancerBackendAddresses'], `${path}.loadBalancerBackendAddresses`).map((a, i) =>
    normalizeAddress(a, `${path}.loadBalancerBackendAddresses[${i}]`, ctx),
  );
  if (addresses.length > 0 && ctx.loadBalancerSku === 'Basic') {
    throw badRequest('IpBasedBackendPoolNotSupportedOnBasicSku', `Backend pool ${ctx.poolId} lists backend addresses; IP-based backend pools need a Standard load balancer.`);
  }
  const names = new Set<string>();
  const ips = new Set<string>();
  for (const a of addresses) {
    const n = String(a['name']).toLowerCase();
    const ip = objectAt(a, 'properties')?.['ipAddress'];
    if (names.has(n)) throw badRequest('DuplicateBackendAddressName', `Backend pool ${ctx.poolId} has two backend addresses named '${a['name']}'.`);
    if (typeof ip === 'string' && ips.has(ip)) throw badRequest('DuplicateBackendAddressIpAddress', `Backend pool ${ctx.poolId} lists IP address ${ip} twice.`);
    names.add(n);
    if (typeof ip === 'string') ips.add(ip);
  }
  const out: JsonObject = {};
  if (addresses.length > 0 || props['loadBalancerBackendAddresses'] !== undefined) out['loadBalancerBackendAddresses'] = addresses;
  const vnetId = refValue(props['virtualNetwork'], `${path}.virtualNetwork`);
  if (vnetId !== undefined) {
    if (findVirtualNetwork(ctx.store, vnetId) === undefined) throw invalidResourceReference(vnetId, ctx.poolId);
    out['virtualNetwork'] = { id: vnetId };
  }
  const syncMode = enumValue(props['syncMode'], ['Automatic', 'Manual'] as const, `${path}.syncMode`, 'SyncMode');
  if (syncMode !== undefined) out['syncMode'] = syncMode;
  const drain = intValue(props['drainPeriodInSeconds'], `${path}.drainPeriodInSeconds`, 0, 3600);
  if (drain !== undefined) out['drainPeriodInSeconds'] = drain;
  const location = stringValue(props['location'], `${path}.location`);
  if (location !== undefined) out['location'] = location;
  if (props['tunnelInterfaces'] !== undefined) out['tunnelInterfaces'] = arrayValue(props['tunnelInterfaces'], `${path}.tunnelInterfaces`);
  return { name, properties: out };
}
