/**
 * Routes for a load balancer's child resources:
 * - GET and list of frontendIPConfigurations, backendAddressPools, loadBalancingRules,
 *   probes, inboundNatRules and outboundRules (read from the load balancer, never stale);
 * - PUT and DELETE of a backend address pool: each is a write of the load balancer (new
 *   etag, Updating until its operation ends), guarded by `If-Match` / `If-None-Match`
 *   against the load balancer's etag, which every child carries;
 * - POST …/loadBalancingRules/{rule}/health: see routes-health.ts.
 * A missing parent is 404 ParentResourceNotFound; a missing child is 404 ResourceNotFound.
 */
import { anotherOperationInProgress, badRequest, invalidRequestContent, notImplemented, parentResourceNotFound } from './arm-errors.ts';
import { type ArmContext, type ArmRequest, type ArmResponse, page, preconditionsOf, route, type Route } from './arm-context.ts';
import type { ResourceRecord } from './arm-store.ts';
import { normalizeBackendPool } from './backend-pool.ts';
import { checkPreconditions, newEtag } from './etags.ts';
import { isObject, type JsonObject, objectAt, stringAt } from './json.ts';
import type { LbChild } from './lb-child-refs.ts';
import { storedChildren } from './load-balancer.ts';
import { renderLoadBalancerChild } from './load-balancer-view.ts';
import { runningOperationUrl, startWrite } from './lro.ts';
import { nicIpConfigurations } from './network-interface.ts';
import { checkNetworkName, idKey, notFoundError } from './resource-ids.ts';
import { LB_PATH, loadBalancerOf } from './routes-load-balancers.ts';

/** Child kinds with their Swagger operation group. */
const READABLE: ReadonlyArray<readonly [LbChild, string]> = [
  ['frontendIPConfigurations', 'LoadBalancerFrontendIPConfigurations'],
  ['backendAddressPools', 'LoadBalancerBackendAddressPools'],
  ['loadBalancingRules', 'LoadBalancerLoadBalancingRules'],
  ['probes', 'LoadBalancerProbes'],
  ['inboundNatRules', 'InboundNatRules'],
  ['outboundRules', 'LoadBalancerOutboundRules'],
];

function parentOf(req: ArmRequest, ctx: ArmContext): ResourceRecord {
  const { record } = loadBalancerOf(req, ctx);
  if (record === undefined) throw parentResourceNotFound(req.params['loadBalancerName']!);
  return record;
}

function childGetter(kind: LbChild) {
  return (req: ArmRequest, ctx: ArmContext): ArmResponse => {
    const lb = parentOf(req, ctx);
    const child = renderLoadBalancerChild(lb, ctx.store, kind, req.params['childName']!);
    if (child === undefined) throw notFoundError(`${lb.id}/${kind}/${req.params['childName']}`);
    return { status: 200, body: child, headers: { ETag: lb.etag } };
  };
}

function childLister(kind: LbChild) {
  return (req: ArmRequest, ctx: ArmContext): ArmResponse => {
    const lb = parentOf(req, ctx);
    const items = storedChildren(lb, kind).map((c) => renderLoadBalancerChild(lb, ctx.store, kind, stringAt(c, 'name')!)!);
    return { status: 200, body: page(items, req, ctx) };
  };
}

function replaceChildren(lb: ResourceRecord, kind: LbChild, next: JsonObject[]): void {
  const props = objectAt(lb.body, 'properties') ?? {};
  lb.body = { ...lb.body, properties: { ...props, [kind]: next } };
  lb.etag = newEtag();
}

function putPool(req: ArmRequest, ctx: ArmContext): ArmResponse {
  const name = req.params['childName']!;
  checkNetworkName(name);
  const lb = parentOf(req, ctx);
  if (lb.provisioningState === 'Deleting') throw anotherOperationInProgress(runningOperationUrl(ctx, lb, req.apiVersion) ?? lb.id);
  const pools = storedChildren(lb, 'backendAddressPools');
  const index = pools.findIndex((p) => stringAt(p, 'name')?.toLowerCase() === name.toLowerCase());
  const poolId = `${lb.id}/backendAddressPools/${index >= 0 ? stringAt(pools[index], 'name') : name}`;
  checkPreconditions(preconditionsOf(req), index >= 0 ? lb.etag : undefined, `backend address pool ${poolId}`);
  if (!isObject(req.body)) throw invalidRequestContent('the body must be a JSON object');
  const sku = stringAt(objectAt(lb.body, 'sku'), 'name') ?? 'Basic';
  const pool = normalizeBackendPool(index >= 0 ? stringAt(pools[index], 'name')! : name, req.body, '', { store: ctx.store, poolId, loadBalancerSku: sku });
  const next = [...pools];
  if (index >= 0) next[index] = pool;
  else next.push(pool);
  replaceChildren(lb, 'backendAddressPools', next);
  const render = () => renderLoadBalancerChild(lb, ctx.store, 'backendAddressPools', String(pool['name']));
  const headers = startWrite(ctx, req, lb, { effect: 'update', render });
  const body = render()!;
  return { status: index >= 0 ? 200 : 201, body, headers };
}

/** Who still uses a pool: rules of the load balancer, or NIC IP configurations. */
function poolUsers(lb: ResourceRecord, poolId: string, ctx: ArmContext): string[] {
  const key = idKey(poolId);
  const users: string[] = [];
  for (const kind of ['loadBalancingRules', 'inboundNatRules', 'outboundRules'] as const) {
    for (const c of storedChildren(lb, kind)) {
      if (JSON.stringify(objectAt(c, 'properties') ?? {}).toLowerCase().includes(`"${key}"`)) users.push(`${lb.id}/${kind}/${stringAt(c, 'name')}`);
    }
  }
  for (const c of nicIpConfigurations(ctx.store)) if (c.backendPoolIds.some((id) => idKey(id) === key)) users.push(c.id);
  return users;
}

function deletePool(req: ArmRequest, ctx: ArmContext): ArmResponse {
  const lb = parentOf(req, ctx);
  const pools = storedChildren(lb, 'backendAddressPools');
  const index = pools.findIndex((p) => stringAt(p, 'name')?.toLowerCase() === req.params['childName']!.toLowerCase());
  const poolId = `${lb.id}/backendAddressPools/${index >= 0 ? stringAt(pools[index], 'name') : req.params['childName']}`;
  checkPreconditions(preconditionsOf(req), index >= 0 ? lb.etag : undefined, `backend address pool ${poolId}`);
  if (index < 0) return { status: 204 };
  const users = poolUsers(lb, poolId, ctx);
  if (users.length > 0) {
    throw badRequest('InUseBackendAddressPoolCannotBeDeleted', `Backend address pool ${poolId} is in use by ${users.join(', ')} and cannot be deleted.`);
  }
  replaceChildren(lb, 'backendAddressPools', pools.filter((_, i) => i !== index));
  return { status: 202, headers: startWrite(ctx, req, lb, { effect: 'update' }) };
}

function unsupported(req: ArmRequest): ArmResponse {
  throw notImplemented(req.method, req.path);
}

export const loadBalancerChildRoutes: readonly Route[] = [
  ...READABLE.flatMap(([kind, group]) => [
    route('GET', `${LB_PATH}/${kind}/:childName`, `${group}_Get`, childGetter(kind)),
    route('GET', `${LB_PATH}/${kind}`, `${group}_List`, childLister(kind)),
  ]),
  route('PUT', `${LB_PATH}/backendAddressPools/:childName`, 'LoadBalancerBackendAddressPools_CreateOrUpdate', putPool),
  route('DELETE', `${LB_PATH}/backendAddressPools/:childName`, 'LoadBalancerBackendAddressPools_Delete', deletePool),
  route('PUT', `${LB_PATH}/inboundNatRules/:childName`, 'InboundNatRules_CreateOrUpdate', unsupported, { implemented: false }),
  route('DELETE', `${LB_PATH}/inboundNatRules/:childName`, 'InboundNatRules_Delete', unsupported, { implemented: false }),
];
