/**
 * Resource groups (Microsoft.Resources): a test creates them through the state API or with
 * `PUT /subscriptions/{sub}/resourcegroups/{rg}`; every network resource lives in one, and
 * ARM answers 404 ResourceGroupNotFound for anything under a group that does not exist.
 * Deleting a group is asynchronous (202 + Location) and takes its resources with it.
 */
import { ArmError, invalidRequestContent, resourceGroupNotFound } from './arm-errors.ts';
import { type ArmContext, type ArmRequest, type ArmResponse, page, type Route, route } from './arm-context.ts';
import type { ResourceGroup } from './arm-store.ts';
import { isObject, type JsonObject } from './json.ts';
import { startOperation } from './arm-operations.ts';
import { operationHeaders } from './lro.ts';
import { isValidResourceGroupName } from './resource-ids.ts';
import { locationValue, tagsValue } from './validate.ts';

export function renderResourceGroup(group: ResourceGroup): JsonObject {
  const out: JsonObject = {
    id: group.id,
    name: group.name,
    type: 'Microsoft.Resources/resourceGroups',
    location: group.location,
    properties: { provisioningState: 'Succeeded' },
  };
  if (group.tags) out['tags'] = group.tags;
  return out;
}

function putGroup(req: ArmRequest, ctx: ArmContext): ArmResponse {
  const { subscriptionId, resourceGroupName } = req.params as { subscriptionId: string; resourceGroupName: string };
  if (!isValidResourceGroupName(resourceGroupName)) {
    throw new ArmError(400, 'InvalidResourceGroup', `The provided resource group name '${resourceGroupName}' has these invalid characters or is too long.`);
  }
  if (!isObject(req.body)) throw invalidRequestContent('the body must be a JSON object with a location');
  const location = locationValue(req.body['location']);
  const existing = ctx.store.group(subscriptionId, resourceGroupName);
  if (existing && existing.location !== location) {
    throw new ArmError(409, 'InvalidResourceGroupLocation', `Invalid resource group location '${location}'. The Resource group already exists in location '${existing.location}'.`);
  }
  const { group, created } = ctx.store.putGroup(subscriptionId, resourceGroupName, location, tagsValue(req.body['tags']));
  return { status: created ? 201 : 200, body: renderResourceGroup(group) };
}

function getGroup(req: ArmRequest, ctx: ArmContext): ArmResponse {
  const group = ctx.store.requireGroup(req.params['subscriptionId']!, req.params['resourceGroupName']!);
  return { status: 200, body: renderResourceGroup(group) };
}

function headGroup(req: ArmRequest, ctx: ArmContext): ArmResponse {
  return { status: ctx.store.group(req.params['subscriptionId']!, req.params['resourceGroupName']!) ? 204 : 404 };
}

function listGroups(req: ArmRequest, ctx: ArmContext): ArmResponse {
  ctx.store.requireSubscription(req.params['subscriptionId']!);
  return { status: 200, body: page(ctx.store.groups(req.params['subscriptionId']).map(renderResourceGroup), req, ctx) };
}

function deleteGroup(req: ArmRequest, ctx: ArmContext): ArmResponse {
  const { subscriptionId, resourceGroupName } = req.params as { subscriptionId: string; resourceGroupName: string };
  const group = ctx.store.group(subscriptionId, resourceGroupName);
  if (group === undefined) {
    if (!ctx.store.hasSubscription(subscriptionId)) throw resourceGroupNotFound(resourceGroupName);
    return { status: 204 };
  }
  const op = startOperation(ctx.operations, {
    subscriptionId: group.subscriptionId,
    location: group.location,
    method: 'DELETE',
    resourceId: group.id,
    namespace: 'Microsoft.Resources',
    complete: (outcome) => {
      if (outcome === 'Succeeded') ctx.store.deleteGroup(group.subscriptionId, group.name);
    },
  });
  return { status: 202, headers: operationHeaders(ctx, op, req.apiVersion) };
}

const GROUP = '/subscriptions/:subscriptionId/resourcegroups/:resourceGroupName';

export const resourceGroupRoutes: readonly Route[] = [
  route('PUT', GROUP, 'ResourceGroups_CreateOrUpdate', putGroup),
  route('GET', GROUP, 'ResourceGroups_Get', getGroup),
  route('HEAD', GROUP, 'ResourceGroups_CheckExistence', headGroup),
  route('DELETE', GROUP, 'ResourceGroups_Delete', deleteGroup),
  route('GET', '/subscriptions/:subscriptionId/resourcegroups', 'ResourceGroups_List', listGroups),
];
