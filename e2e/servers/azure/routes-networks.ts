/**
 * Read-only routes for the resources tests create through the state API: virtual networks
 * (GET, list, and GET of a subnet) and network interfaces (GET, list).
 */
import { type ArmContext, type ArmRequest, type ArmResponse, page, route, type Route } from './arm-context.ts';
import type { ResourceRecord } from './arm-store.ts';
import type { JsonObject } from './json.ts';
import { NIC_TYPE, renderNetworkInterface } from './network-interface.ts';
import { networkId, notFoundError } from './resource-ids.ts';
import { renderSubnet, renderVirtualNetwork, VNET_TYPE } from './virtual-network.ts';

const RG = '/subscriptions/:subscriptionId/resourceGroups/:resourceGroupName/providers/Microsoft.Network';

function recordOf(req: ArmRequest, ctx: ArmContext, type: string, segment: string, param: string): ResourceRecord {
  const { subscriptionId, resourceGroupName } = req.params as Record<string, string>;
  ctx.store.requireGroup(subscriptionId!, resourceGroupName!);
  const id = networkId(subscriptionId!, resourceGroupName!, segment, req.params[param]!);
  const record = ctx.store.get(id);
  if (record === undefined || record.type !== type) throw notFoundError(id);
  return record;
}

function lister(type: string, render: (r: ResourceRecord) => JsonObject) {
  return (req: ArmRequest, ctx: ArmContext): ArmResponse => {
    const { subscriptionId, resourceGroupName } = req.params as Record<string, string>;
    ctx.store.requireGroup(subscriptionId!, resourceGroupName!);
    return { status: 200, body: page(ctx.store.list(type, subscriptionId, resourceGroupName).map(render), req, ctx) };
  };
}

export const networkRoutes: readonly Route[] = [
  route('GET', `${RG}/virtualNetworks/:virtualNetworkName`, 'VirtualNetworks_Get', (req, ctx) => ({
    status: 200,
    body: renderVirtualNetwork(recordOf(req, ctx, VNET_TYPE, 'virtualNetworks', 'virtualNetworkName')),
  })),
  route('GET', `${RG}/virtualNetworks`, 'VirtualNetworks_List', lister(VNET_TYPE, renderVirtualNetwork)),
  route('GET', `${RG}/virtualNetworks/:virtualNetworkName/subnets/:subnetName`, 'Subnets_Get', (req, ctx) => {
    const vnet = recordOf(req, ctx, VNET_TYPE, 'virtualNetworks', 'virtualNetworkName');
    const subnet = renderSubnet(vnet, req.params['subnetName']!);
    if (subnet === undefined) throw notFoundError(`${vnet.id}/subnets/${req.params['subnetName']}`);
    return { status: 200, body: subnet };
  }),
  route('GET', `${RG}/networkInterfaces/:networkInterfaceName`, 'NetworkInterfaces_Get', (req, ctx) => ({
    status: 200,
    body: renderNetworkInterface(recordOf(req, ctx, NIC_TYPE, 'networkInterfaces', 'networkInterfaceName')),
  })),
  route('GET', `${RG}/networkInterfaces`, 'NetworkInterfaces_List', lister(NIC_TYPE, renderNetworkInterface)),
];
