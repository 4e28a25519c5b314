/**
 * Public IP address routes: PUT (201/200, asynchronous), GET, PATCH of tags, DELETE (202;
 * 204 when absent; 400 PublicIPAddressInUse while a frontend or NIC holds it), list per
 * resource group and per subscription (paged), with the same conditional-header rules as
 * load balancers.
 */
import { anotherOperationInProgress, invalidRequestContent, invalidResourceLocation, publicIpInUse } from './arm-errors.ts';
import { type ArmContext, type ArmRequest, type ArmResponse, page, preconditionsOf, type Route, route } from './arm-context.ts';
import type { ResourceRecord } from './arm-store.ts';
import { checkPreconditions, newEtag } from './etags.ts';
import { publicIpUsers } from './ip-usage.ts';
import { isObject } from './json.ts';
import { runningOperationUrl, startWrite } from './lro.ts';
import { normalizePublicIp, renderPublicIp } from './public-ip.ts';
import { checkNetworkName, networkId, notFoundError, PIP_TYPE } from './resource-ids.ts';
import { normalizeLocation, tagsPatch } from './validate.ts';

const PIP_PATH = '/subscriptions/:subscriptionId/resourceGroups/:resourceGroupName/providers/Microsoft.Network/publicIPAddresses/:publicIpAddressName';

function publicIpOf(req: ArmRequest, ctx: ArmContext): { id: string; record: ResourceRecord | undefined } {
  const { subscriptionId, resourceGroupName, publicIpAddressName } = req.params as Record<string, string>;
  ctx.store.requireGroup(subscriptionId!, resourceGroupName!);
  const id = networkId(subscriptionId!, resourceGroupName!, 'publicIPAddresses', publicIpAddressName!);
  const record = ctx.store.get(id);
  return { id: record?.id ?? id, record: record?.type === PIP_TYPE ? record : undefined };
}

function putPublicIp(req: ArmRequest, ctx: ArmContext): ArmResponse {
  checkNetworkName(req.params['publicIpAddressName']!);
  const { id, record } = publicIpOf(req, ctx);
  if (record?.provisioningState === 'Deleting') throw anotherOperationInProgress(runningOperationUrl(ctx, record, req.apiVersion) ?? id);
  checkPreconditions(preconditionsOf(req), record?.etag, `public IP address ${id}`);
  if (!isObject(req.body)) throw invalidRequestContent('the body must be a JSON object');
  if (record !== undefined && typeof req.body['location'] === 'string') {
    const before = String(record.body['location']);
    const after = normalizeLocation(req.body['location']);
    if (before !== after) throw invalidResourceLocation(record.ref.names[0]!, before, after, record.ref.resourceGroup);
  }
  const body = normalizePublicIp(req.body, { store: ctx.store, id, subscriptionId: req.params['subscriptionId']!, existing: record });
  const target = record ?? ctx.store.create(id, body, 'Updating');
  if (record !== undefined) {
    record.body = body;
    record.etag = newEtag();
  }
  const render = () => (ctx.store.get(target.id) ? renderPublicIp(target, ctx.store) : undefined);
  const headers = startWrite(ctx, req, target, { effect: 'update', render });
  return { status: record === undefined ? 201 : 200, body: render()!, headers };
}

function getPublicIp(req: ArmRequest, ctx: ArmContext): ArmResponse {
  const { id, record } = publicIpOf(req, ctx);
  if (record === undefined) throw notFoundError(id);
  return { status: 200, body: renderPublicIp(record, ctx.store), headers: { ETag: record.etag } };
}

function patchTags(req: ArmRequest, ctx: ArmContext): ArmResponse {
  const { id, record } = publicIpOf(req, ctx);
  if (record === undefined) throw notFoundError(id);
  if (!isObject(req.body)) throw invalidRequestContent('the body must be a JSON object with tags');
  record.body['tags'] = tagsPatch(req.body);
  record.etag = newEtag();
  return { status: 200, body: renderPublicIp(record, ctx.store) };
}

function deletePublicIp(req: ArmRequest, ctx: ArmContext): ArmResponse {
  const { id, record } = publicIpOf(req, ctx);
  checkPreconditions(preconditionsOf(req), record?.etag, `public IP address ${id}`);
  if (record === undefined) return { status: 204 };
  const users = publicIpUsers(ctx.store, record.id);
  if (users.length > 0) throw publicIpInUse(record.id, users[0]!);
  return { status: 202, headers: startWrite(ctx, req, record, { effect: 'delete' }) };
}

function listInGroup(req: ArmRequest, ctx: ArmContext): ArmResponse {
  const { subscriptionId, resourceGroupName } = req.params as Record<string, string>;
  ctx.store.requireGroup(subscriptionId!, resourceGroupName!);
  const items = ctx.store.list(PIP_TYPE, subscriptionId, resourceGroupName).map((r) => renderPublicIp(r, ctx.store));
  return { status: 200, body: page(items, req, ctx) };
}

function listAll(req: ArmRequest, ctx: ArmContext): ArmResponse {
  ctx.store.requireSubscription(req.params['subscriptionId']!);
  const items = ctx.store.list(PIP_TYPE, req.params['subscriptionId']).map((r) => renderPublicIp(r, ctx.store));
  return { status: 200, body: page(items, req, ctx) };
}

export const publicIpRoutes: readonly Route[] = [
  route('PUT', PIP_PATH, 'PublicIPAddresses_CreateOrUpdate', putPublicIp),
  route('GET', PIP_PATH, 'PublicIPAddresses_Get', getPublicIp),
  route('PATCH', PIP_PATH, 'PublicIPAddresses_UpdateTags', patchTags),
  route('DELETE', PIP_PATH, 'PublicIPAddresses_Delete', deletePublicIp),
  route('GET', '/subscriptions/:subscriptionId/resourceGroups/:resourceGroupName/providers/Microsoft.Network/publicIPAddresses', 'PublicIPAddresses_List', listInGroup),
  route('GET', '/subscriptions/:subscriptionId/providers/Microsoft.Network/publicIPAddresses', 'PublicIPAddresses_ListAll', listAll),
];
