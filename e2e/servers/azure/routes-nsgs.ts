/**
 * Network security group routes: the group (PUT 201/200 asynchronous, GET, PATCH of tags,
 * DELETE 202/204, list per resource group and per subscription), its security rules (PUT,
 * GET, DELETE, list: each a write of the group, new etag, guarded by If-Match against the
 * group's etag) and its default rules (GET, list; never writable). Validation is nsg.ts.
 */

import { type ArmContext, type ArmRequest, type ArmResponse, page, preconditionsOf, type Route, route } from './arm-context.ts';
import { anotherOperationInProgress, invalidRequestContent, invalidResourceLocation, parentResourceNotFound } from './arm-errors.ts';
import type { ResourceRecord } from './arm-store.ts';
import { checkPreconditions, newEtag } from './etags.ts';
import { isObject, type JsonObject, objectAt, refAt, stringAt } from './json.ts';
import { runningOperationUrl, startWrite } from './lro.ts';
import { checkRuleConflicts, DEFAULT_SECURITY_RULES, NSG_TYPE, normalizeSecurityRule, renderNsg, renderRule, storedRules } from './nsg.ts';
import { checkNetworkName, idKey, networkId, notFoundError } from './resource-ids.ts';
import { locationValue, normalizeLocation, tagsPatch, tagsValue } from './validate.ts';
import { VNET_TYPE } from './virtual-network.ts';

const NSG_PATH = '/subscriptions/:subscriptionId/resourceGroups/:resourceGroupName/providers/Microsoft.Network/networkSecurityGroups/:networkSecurityGroupName';

/** Subnets (of any virtual network in the store) that name the group. */
export function subnetsUsing(ctx: Pick<ArmContext, 'store'>, nsgId: string): string[] {
  const out: string[] = [];
  for (const vnet of ctx.store.list(VNET_TYPE)) {
    const subnets = objectAt(vnet.body, 'properties')?.['subnets'];
    for (const s of Array.isArray(subnets) ? subnets.filter(isObject) : []) {
      const id = refAt(objectAt(s, 'properties'), 'networkSecurityGroup');
      if (id !== undefined && idKey(id) === idKey(nsgId)) out.push(`${vnet.id}/subnets/${stringAt(s, 'name')}`);
    }
  }
  return out;
}

function nsgOf(req: ArmRequest, ctx: ArmContext): { id: string; record: ResourceRecord | undefined } {
  const { subscriptionId, resourceGroupName, networkSecurityGroupName } = req.params as Record<string, string>;
  ctx.store.requireGroup(subscriptionId!, resourceGroupName!);
  const id = networkId(subscriptionId!, resourceGroupName!, 'networkSecurityGroups', networkSecurityGroupName!);
  const record = ctx.store.get(id);
  return { id: record?.id ?? id, record: record?.type === NSG_TYPE ? record : undefined };
}

const render = (ctx: ArmContext, record: ResourceRecord) => renderNsg(record, subnetsUsing(ctx, record.id));

function normalizeRules(input: unknown, nsgId: string): JsonObject[] {
  const list = Array.isArray(input) ? input : [];
  const rules = list.map((r, i) => {
    if (!isObject(r) || typeof r['name'] !== 'string' || r['name'] === '') throw invalidRequestContent(`properties.securityRules[${i}] needs a name`);
    return { name: r['name'], properties: normalizeSecurityRule(objectAt(r, 'properties') ?? {}, `properties.securityRules[${i}].properties`, `${nsgId}/securityRules/${r['name']}`) };
  });
  checkRuleConflicts(rules);
  return rules;
}

function writeGroup(req: ArmRequest, ctx: ArmContext, record: ResourceRecord, body: JsonObject): ArmResponse {
  record.body = body;
  record.etag = newEtag();
  const headers = startWrite(ctx, req, record, { effect: 'update', render: () => (ctx.store.get(record.id) ? render(ctx, record) : undefined) });
  return { status: 200, body: render(ctx, record), headers };
}

function putNsg(req: ArmRequest, ctx: ArmContext): ArmResponse {
  checkNetworkName(req.params['networkSecurityGroupName']!);
  const { id, record } = nsgOf(req, ctx);
  if (record?.provisioningState === 'Deleting') throw anotherOperationInProgress(runningOperationUrl(ctx, record, req.apiVersion) ?? id);
  checkPreconditions(preconditionsOf(req), record?.etag, `network security group ${id}`);
  if (!isObject(req.body)) throw invalidRequestContent('the body must be a JSON object');
  const location = locationValue(req.body['location']);
  if (record !== undefined && String(record.body['location']) !== normalizeLocation(location)) {
    throw invalidResourceLocation(record.ref.names[0]!, String(record.body['location']), normalizeLocation(location), record.ref.resourceGroup);
  }
  const props = objectAt(req.body, 'properties') ?? {};
  const flush = props['flushConnection'];
  if (flush !== undefined && typeof flush !== 'boolean') throw invalidRequestContent('properties.flushConnection must be true or false');
  const body: JsonObject = { location: normalizeLocation(location), properties: { flushConnection: flush ?? false, securityRules: normalizeRules(props['securityRules'], id) } };
  const tags = tagsValue(req.body['tags']);
  if (tags) body['tags'] = tags;
  if (record !== undefined) return writeGroup(req, ctx, record, body);
  const created = ctx.store.create(id, body, 'Updating');
  const headers = startWrite(ctx, req, created, { effect: 'update', render: () => (ctx.store.get(created.id) ? render(ctx, created) : undefined) });
  return { status: 201, body: render(ctx, created), headers };
}

function getNsg(req: ArmRequest, ctx: ArmContext): ArmResponse {
  const { id, record } = nsgOf(req, ctx);
  if (record === undefined) throw notFoundError(id);
  return { status: 200, body: render(ctx, record), headers: { ETag: record.etag } };
}

function patchTags(req: ArmRequest, ctx: ArmContext): ArmResponse {
  const { id, record } = nsgOf(req, ctx);
  if (record === undefined) throw notFoundError(id);
  if (!isObject(req.body)) throw invalidRequestContent('the body must be a JSON object with tags');
  record.body['tags'] = tagsPatch(req.body);
  record.etag = newEtag();
  return { status: 200, body: render(ctx, record) };
}

function deleteNsg(req: ArmRequest, ctx: ArmContext): ArmResponse {
  const { id, record } = nsgOf(req, ctx);
  checkPreconditions(preconditionsOf(req), record?.etag, `network security group ${id}`);
  if (record === undefined) return { status: 204 };
  const users = subnetsUsing(ctx, record.id);
  if (users.length > 0) {
    throw invalidRequestContent(`Network security group ${record.id} cannot be deleted because it is in use by subnet ${users[0]}.`);
  }
  return { status: 202, headers: startWrite(ctx, req, record, { effect: 'delete' }) };
}

function listIn(all: boolean) {
  return (req: ArmRequest, ctx: ArmContext): ArmResponse => {
    const { subscriptionId, resourceGroupName } = req.params as Record<string, string>;
    if (all) ctx.store.requireSubscription(subscriptionId!);
    else ctx.store.requireGroup(subscriptionId!, resourceGroupName!);
    const items = ctx.store.list(NSG_TYPE, subscriptionId, all ? undefined : resourceGroupName).map((r) => render(ctx, r));
    return { status: 200, body: page(items, req, ctx) };
  };
}

function parentOf(req: ArmRequest, ctx: ArmContext): ResourceRecord {
  const { record } = nsgOf(req, ctx);
  if (record === undefined) throw parentResourceNotFound(req.params['networkSecurityGroupName']!);
  return record;
}

const ruleNamed = (rules: readonly JsonObject[], name: string) => rules.find((r) => stringAt(r, 'name')?.toLowerCase() === name.toLowerCase());

function putRule(req: ArmRequest, ctx: ArmContext): ArmResponse {
  checkNetworkName(req.params['securityRuleName']!);
  const nsg = parentOf(req, ctx);
  if (nsg.provisioningState === 'Deleting') throw anotherOperationInProgress(runningOperationUrl(ctx, nsg, req.apiVersion) ?? nsg.id);
  checkPreconditions(preconditionsOf(req), nsg.etag, `network security group ${nsg.id}`);
  if (!isObject(req.body)) throw invalidRequestContent('the body must be a JSON object');
  const name = req.params['securityRuleName']!;
  const existing = storedRules(nsg);
  const had = ruleNamed(existing, name) !== undefined;
  const next = { name: stringAt(ruleNamed(existing, name), 'name') ?? name, properties: normalizeSecurityRule(objectAt(req.body, 'properties') ?? {}, 'properties', `${nsg.id}/securityRules/${name}`) };
  const rules = [...existing.filter((r) => r !== ruleNamed(existing, name)), next];
  checkRuleConflicts(rules);
  const body: JsonObject = { ...nsg.body, properties: { ...(objectAt(nsg.body, 'properties') ?? {}), securityRules: rules } };
  nsg.body = body;
  nsg.etag = newEtag();
  const renderRuleNow = () => (ctx.store.get(nsg.id) ? renderRule(nsg, 'securityRules', ruleNamed(storedRules(nsg), name) ?? next) : undefined);
  const headers = startWrite(ctx, req, nsg, { effect: 'update', render: renderRuleNow });
  return { status: had ? 200 : 201, body: renderRuleNow()!, headers };
}

function getRule(kind: 'securityRules' | 'defaultSecurityRules') {
  return (req: ArmRequest, ctx: ArmContext): ArmResponse => {
    const nsg = parentOf(req, ctx);
    const name = req.params['ruleName']!;
    const r = ruleNamed(kind === 'securityRules' ? storedRules(nsg) : DEFAULT_SECURITY_RULES, name);
    if (r === undefined) throw notFoundError(`${nsg.id}/${kind}/${name}`);
    return { status: 200, body: renderRule(nsg, kind, r), headers: { ETag: nsg.etag } };
  };
}

function listRules(kind: 'securityRules' | 'defaultSecurityRules') {
  return (req: ArmRequest, ctx: ArmContext): ArmResponse => {
    const nsg = parentOf(req, ctx);
    const items = (kind === 'securityRules' ? storedRules(nsg) : DEFAULT_SECURITY_RULES).map((r) => renderRule(nsg, kind, r));
    return { status: 200, body: page(items, req, ctx) };
  };
}

function deleteRule(req: ArmRequest, ctx: ArmContext): ArmResponse {
  const nsg = parentOf(req, ctx);
  checkPreconditions(preconditionsOf(req), nsg.etag, `network security group ${nsg.id}`);
  const existing = storedRules(nsg);
  const gone = ruleNamed(existing, req.params['ruleName']!);
  if (gone === undefined) return { status: 204 };
  nsg.body = { ...nsg.body, properties: { ...(objectAt(nsg.body, 'properties') ?? {}), securityRules: existing.filter((r) => r !== gone) } };
  nsg.etag = newEtag();
  return { status: 202, headers: startWrite(ctx, req, nsg, { effect: 'update' }) };
}

export const nsgRoutes: readonly Route[] = [
  route('PUT', NSG_PATH, 'NetworkSecurityGroups_CreateOrUpdate', putNsg),
  route('GET', NSG_PATH, 'NetworkSecurityGroups_Get', getNsg),
  route('PATCH', NSG_PATH, 'NetworkSecurityGroups_UpdateTags', patchTags),
  route('DELETE', NSG_PATH, 'NetworkSecurityGroups_Delete', deleteNsg),
  route('GET', '/subscriptions/:subscriptionId/resourceGroups/:resourceGroupName/providers/Microsoft.Network/networkSecurityGroups', 'NetworkSecurityGroups_List', listIn(false)),
  route('GET', '/subscriptions/:subscriptionId/providers/Microsoft.Network/networkSecurityGroups', 'NetworkSecurityGroups_ListAll', listIn(true)),
  route('PUT', `${NSG_PATH}/securityRules/:securityRuleName`, 'SecurityRules_CreateOrUpdate', putRule),
  route('GET', `${NSG_PATH}/securityRules/:ruleName`, 'SecurityRules_Get', getRule('securityRules')),
  route('DELETE', `${NSG_PATH}/securityRules/:ruleName`, 'SecurityRules_Delete', deleteRule),
  route('GET', `${NSG_PATH}/securityRules`, 'SecurityRules_List', listRules('securityRules')),
  route('GET', `${NSG_PATH}/defaultSecurityRules/:ruleName`, 'DefaultSecurityRules_Get', getRule('defaultSecurityRules')),
  route('GET', `${NSG_PATH}/defaultSecurityRules`, 'DefaultSecurityRules_List', listRules('defaultSecurityRules')),
];
