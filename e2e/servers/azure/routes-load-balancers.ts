/**
 * Load balancer routes: PUT (201 create / 200 update, asynchronous), GET, PATCH of tags,
 * DELETE (202 asynchronous; 204 when absent), list per resource group and per subscription
 * (paged). Conditional headers apply to PUT and DELETE: a stale `If-Match` or an
 * `If-None-Match: *` on an existing load balancer is 412.
 */
import { anotherOperationInProgress, invalidRequestContent, invalidResourceLocation } from './arm-errors.ts';
import { type ArmContext, type ArmRequest, type ArmResponse, page, preconditionsOf, type Route, route } from './arm-context.ts';
import type { ResourceRecord } from './arm-store.ts';
import { checkPreconditions, newEtag } from './etags.ts';
import { isObject } from './json.ts';
import { normalizeLoadBalancer } from './load-balancer.ts';
import { renderLoadBalancer } from './load-balancer-view.ts';
import { runningOperationUrl, startWrite } from './lro.ts';
import { ensureAddressAssigned } from './public-ip.ts';
import { checkNetworkName, LB_TYPE, networkId, notFoundError } from './resource-ids.ts';
import { normalizeLocation, tagsPatch } from './validate.ts';

export const LB_PATH = '/subscriptions/:subscriptionId/resourceGroups/:resourceGroupName/providers/Microsoft.Network/loadBalancers/:loadBalancerName';

/** The load balancer a request names: its id and record (undefined when absent); the group must exist. */
export function loadBalancerOf(req: ArmRequest, ctx: ArmContext): { id: string; record: ResourceRecord | undefined } {
  const { subscriptionId, resourceGroupName, loadBalancerName } = req.params as Record<string, string>;
  ctx.store.requireGroup(subscriptionId!, resourceGroupName!);
  const id = networkId(subscriptionId!, resourceGroupName!, 'loadBalancers', loadBalancerName!);
  const record = ctx.store.get(id);
  return { id: record?.id ?? id, record: record?.type === LB_TYPE ? record : undefined };
}

function putLoadBalancer(req: ArmRequest, ctx: ArmContext): ArmResponse {
  checkNetworkName(req.params['loadBalancerName']!);
  const { id, record } = loadBalancerOf(req, ctx);
  if (record?.provisioningState === 'Deleting') throw anotherOperationInProgress(runningOperationUrl(ctx, record, req.apiVersion) ?? id);
  checkPreconditions(preconditionsOf(req), record?.etag, `load balancer ${id}`);
  if (!isObject(req.body)) throw invalidRequestContent('the body must be a JSON object');
  if (record !== undefined && typeof req.body['location'] === 'string') {
    const before = String(record.body['location']);
    const after = normalizeLocation(req.body['location']);
    if (before !== after) throw invalidResourceLocation(record.ref.names[0]!, before, after, record.ref.resourceGroup);
  }
  const normalized = normalizeLoadBalancer(req.body, { store: ctx.store, id, existing: record });
  const target = record ?? ctx.store.create(id, normalized.body, 'Updating');
  if (record !== undefined) {
    record.body = normalized.body;
    record.etag = newEtag();
  }
  for (const pip of normalized.publicIps) ensureAddressAssigned(ctx.store, pip);
  const headers = startWrite(ctx, req, target, { effect: 'update', render: () => (ctx.store.get(target.id) ? renderLoadBalancer(target, ctx.store) : undefined) });
  return { status: record === undefined ? 201 : 200, body: renderLoadBalancer(target, ctx.store), headers };
}

function getLoadBalancer(req: ArmRequest, ctx: ArmContext): ArmResponse {
  const { id, record } = loadBalancerOf(req, ctx);
  if (record === undefined) throw notFoundError(id);
  return { status: 200, body: renderLoadBalancer(record, ctx.store), headers: { ETag: record.etag } };
}

function patchTags(req: ArmRequest, ctx: ArmContext): ArmResponse {
  const { id, record } = loadBalancerOf(req, ctx);
  if (record === undefined) throw notFoundError(id);
  if (!isObject(req.body)) throw invalidRequestContent('the body must be a JSON object with tags');
  record.body['tags'] = tagsPatch(req.body);
  record.etag = newEtag();
  return { status: 200, body: renderLoadBalancer(record, ctx.store) };
}

function deleteLoadBalancer(req: ArmRequest, ctx: ArmContext): ArmResponse {
  const { id, record } = loadBalancerOf(req, ctx);
  checkPreconditions(preconditionsOf(req), record?.etag, `load balancer ${id}`);
  if (record === undefined) return { status: 204 };
  return { status: 202, headers: startWrite(ctx, req, record, { effect: 'delete' }) };
}

function listInGroup(req: ArmRequest, ctx: ArmContext): ArmResponse {
  const { subscriptionId, resourceGroupName } = req.params as Record<string, string>;
  ctx.store.requireGroup(subscriptionId!, resourceGroupName!);
  const items = ctx.store.list(LB_TYPE, subscriptionId, resourceGroupName).map((r) => renderLoadBalancer(r, ctx.store));
  return { status: 200, body: page(items, req, ctx) };
}

function listAll(req: ArmRequest, ctx: ArmContext): ArmResponse {
  ctx.store.requireSubscription(req.params['subscriptionId']!);
  const items = ctx.store.list(LB_TYPE, req.params['subscriptionId']).map((r) => renderLoadBalancer(r, ctx.store));
  return { status: 200, body: page(items, req, ctx) };
}

export const loadBalancerRoutes: readonly Route[] = [
  route('PUT', LB_PATH, 'LoadBalancers_CreateOrUpdate', putLoadBalancer),
  route('GET', LB_PATH, 'LoadBalancers_Get', getLoadBalancer),
  route('PATCH', LB_PATH, 'LoadBalancers_UpdateTags', patchTags),
  route('DELETE', LB_PATH, 'LoadBalancers_Delete', deleteLoadBalancer),
  route('GET', '/subscriptions/:subscriptionId/resourceGroups/:resourceGroupName/providers/Microsoft.Network/loadBalancers', 'LoadBalancers_List', listInGroup),
  route('GET', '/subscriptions/:subscriptionId/providers/Microsoft.Network/loadBalancers', 'LoadBalancers_ListAll', listAll),
];
