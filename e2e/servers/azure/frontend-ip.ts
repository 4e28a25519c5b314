/**
 * Load balancer frontend IP configurations: either a public IP address (whose SKU must be
 * the load balancer's, and which no other frontend or NIC may hold) or a private address in
 * a subnet, static (the client names it) or dynamic (the next free one; kept across updates
 * while the frontend stays in the same subnet).
 */
import { badRequest, invalidRequestFormat, invalidResourceReference } from './arm-errors.ts';
import type { ArmStore, ResourceRecord } from './arm-store.ts';
import { privateIpsInSubnet, publicIpUsers } from './ip-usage.ts';
import { isObject, type Json, type JsonObject, objectAt, refAt, stringAt } from './json.ts';
import { publicIpSku } from './public-ip.ts';
import { idKey, PIP_TYPE } from './resource-ids.ts';
import { cidrContains, findSubnet, nextFreeAddress } from './virtual-network.ts';
import { enumValue, objectValue, refValue, stringValue, zonesValue } from './validate.ts';

export interface FrontendContext {
  readonly store: ArmStore;
  readonly frontendId: string;
  readonly loadBalancerId: string;
  readonly loadBalancerSku: string;
  /** The load balancer's frontends before this write (to keep dynamic addresses stable). */
  readonly previous: Json;
  /** Private addresses already given to earlier frontends of this write. */
  readonly taken: Set<string>;
}

export interface NormalizedFrontend {
  readonly child: JsonObject;
  readonly publicIp: ResourceRecord | undefined;
}

function previousFrontend(previous: Json, name: string): JsonObject | undefined {
  return Array.isArray(previous) ? previous.filter(isObject).find((f) => stringAt(f, 'name')?.toLowerCase() === name.toLowerCase()) : undefined;
}

function publicFrontend(pipId: string, ctx: FrontendContext): NormalizedFrontend {
  const pip = ctx.store.get(pipId);
  if (pip === undefined || pip.type.toLowerCase() !== PIP_TYPE.toLowerCase() || pip.provisioningState === 'Deleting') {
    throw invalidResourceReference(pipId, ctx.frontendId);
  }
  const sku = publicIpSku(pip);
  if (sku !== ctx.loadBalancerSku) {
    throw badRequest(
      'LoadBalancerAndPublicIpSkuMismatch',
      `${ctx.loadBalancerSku} sku load balancer ${ctx.loadBalancerId} cannot reference ${sku} sku public IP ${pip.id}; the SKUs must match.`,
    );
  }
  const users = publicIpUsers(ctx.store, pip.id, ctx.loadBalancerId);
  if (users.length > 0) {
    throw badRequest('PublicIPReferencedByMultipleIPConfigs', `Public IP address ${pip.id} is already used by ${users[0]}; it cannot also be used by ${ctx.frontendId}.`);
  }
  return { child: { publicIPAddress: { id: pip.id }, privateIPAllocationMethod: 'Dynamic' }, publicIp: pip };
}

function privateFrontend(subnetId: string, props: JsonObject, path: string, ctx: FrontendContext, name: string): JsonObject {
  const subnet = findSubnet(ctx.store, subnetId);
  if (subnet === undefined) throw invalidResourceReference(subnetId, ctx.frontendId);
  const used = privateIpsInSubnet(ctx.store, subnetId, ctx.loadBalancerId);
  for (const ip of ctx.taken) used.add(ip);
  const method = enumValue(props['privateIPAllocationMethod'], ['Static', 'Dynamic'] as const, `${path}.privateIPAllocationMethod`, 'IPAllocationMethod') ?? 'Dynamic';
  const version = enumValue(props['privateIPAddressVersion'], ['IPv4', 'IPv6'] as const, `${path}.privateIPAddressVersion`, 'IPVersion') ?? 'IPv4';
  let address: string | undefined;
  if (method === 'Static') {
    address = stringValue(props['privateIPAddress'], `${path}.privateIPAddress`);
    if (address === undefined) throw invalidRequestFormat(`${path}.privateIPAddress`, 'A Static private frontend needs privateIPAddress.');
    if (!cidrContains(subnet.addressPrefix, address)) {
      throw badRequest('PrivateIPAddressNotInSubnet', `Private static IP address ${address} does not belong to the range of subnet prefix ${subnet.addressPrefix}.`);
    }
    if (used.has(address)) throw badRequest('PrivateIPAddressInUse', `IP configuration ${ctx.frontendId} is using the private IP address ${address} which is already allocated to another resource.`);
  } else {
    const before = objectAt(previousFrontend(ctx.previous, name), 'properties');
    const kept = stringAt(before, 'privateIPAddress');
    const sameSubnet = refAt(before, 'subnet') !== undefined && idKey(refAt(before, 'subnet')!) === idKey(subnetId);
    address = sameSubnet && kept !== undefined && !used.has(kept) ? kept : nextFreeAddress(subnet.addressPrefix, used);
    if (address === undefined) throw badRequest('SubnetIsFull', `Subnet ${subnetId} has no free address left for ${ctx.frontendId}.`);
  }
  ctx.taken.add(address);
  return { subnet: { id: subnetId }, privateIPAddress: address, privateIPAllocationMethod: method, privateIPAddressVersion: version };
}

/** Validates one frontend (`{ name, zones?, properties }`). */
export function normalizeFrontend(name: string, input: JsonObject, path: string, ctx: FrontendContext): NormalizedFrontend {
  const props = objectValue(input['properties'], `${path}.properties`) ?? {};
  const pipId = refValue(props['publicIPAddress'], `${path}.properties.publicIPAddress`);
  const subnetId = refValue(props['subnet'], `${path}.properties.subnet`);
  const prefixId = refValue(props['publicIPPrefix'], `${path}.properties.publicIPPrefix`);
  const zones = zonesValue(input['zones'], `${path}.zones`);
  if ([pipId, subnetId, prefixId].filter((x) => x !== undefined).length !== 1) {
    throw badRequest(
      'InvalidFrontendIPConfiguration',
      `Frontend IP configuration ${ctx.frontendId} must reference exactly one of a public IP address, a public IP prefix or a subnet.`,
    );
  }
  let result: NormalizedFrontend;
  if (pipId !== undefined) result = publicFrontend(pipId, ctx);
  else if (subnetId !== undefined) result = { child: privateFrontend(subnetId, props, `${path}.properties`, ctx, name), publicIp: undefined };
  else result = { child: { publicIPPrefix: { id: prefixId! }, privateIPAllocationMethod: 'Dynamic' }, publicIp: undefined };
  const gateway = refValue(props['gatewayLoadBalancer'], `${path}.properties.gatewayLoadBalancer`);
  if (gateway !== undefined) result.child['gatewayLoadBalancer'] = { id: gateway };
  const child: JsonObject = { name, properties: result.child };
  if (zones) child['zones'] = zones;
  return { child, publicIp: result.publicIp };
}
