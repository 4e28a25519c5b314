/**
 * `POST …/loadBalancers/{lb}/loadBalancingRules/{rule}/health`: the per-address health of a
 * rule's backends, as the LoadBalancerHealth example shows it (`up`, `down`, and per address
 * `ipAddress`, `networkInterfaceIPConfigurationId` for NIC backends, `state`, `reason`).
 * Asynchronous like in Azure: 202 with Location and Azure-AsyncOperation; the probes run in
 * the background and the Location answers 200 with the result once the operation ends.
 */

import { type ArmContext, type ArmRequest, type ArmResponse, type Route, route } from './arm-context.ts';
import { badRequest, parentResourceNotFound } from './arm-errors.ts';
import { startOperation } from './arm-operations.ts';
import type { ResourceRecord } from './arm-store.ts';
import type { HealthResult, ProbeTarget } from './backend-health.ts';
import { isObject, type Json, type JsonObject, objectAt, refAt, stringAt } from './json.ts';
import { storedChildren } from './load-balancer.ts';
import { operationFailure, operationHeaders } from './lro.ts';
import { nicIpConfigurations } from './network-interface.ts';
import { idKey, notFoundError } from './resource-ids.ts';
import { LB_PATH, loadBalancerOf } from './routes-load-balancers.ts';

interface Backend {
  readonly ipAddress: string;
  readonly adminState: string | undefined;
  readonly nicIpConfigurationId: string | undefined;
}

function poolIds(rule: JsonObject): string[] {
  const props = objectAt(rule, 'properties');
  const ids = [refAt(props, 'backendAddressPool')];
  const many = props?.['backendAddressPools'];
  if (Array.isArray(many)) for (const r of many.filter(isObject)) ids.push(stringAt(r, 'id'));
  return [...new Set(ids.filter((id): id is string => id !== undefined).map(idKey))];
}

/** The registered backends of a rule's pools: IP addresses listed in the pool, and NIC IP configurations in it. */
function backendsOf(lb: ResourceRecord, rule: JsonObject, ctx: ArmContext): Backend[] {
  const wanted = poolIds(rule);
  const out: Backend[] = [];
  for (const pool of storedChildren(lb, 'backendAddressPools')) {
    if (!wanted.includes(idKey(`${lb.id}/backendAddressPools/${stringAt(pool, 'name')}`))) continue;
    const addresses = objectAt(pool, 'properties')?.['loadBalancerBackendAddresses'];
    for (const a of Array.isArray(addresses) ? addresses.filter(isObject) : []) {
      const p = objectAt(a, 'properties');
      const ip = stringAt(p, 'ipAddress');
      if (ip) out.push({ ipAddress: ip, adminState: stringAt(p, 'adminState'), nicIpConfigurationId: undefined });
    }
  }
  for (const c of nicIpConfigurations(ctx.store)) {
    if (c.privateIPAddress && c.backendPoolIds.some((id) => wanted.includes(idKey(id)))) {
      out.push({ ipAddress: c.privateIPAddress, adminState: undefined, nicIpConfigurationId: c.id });
    }
  }
  return out;
}

/** Port and protocol the health check uses: the rule's probe, or a TCP connect to its backend port. */
function checkOf(lb: ResourceRecord, rule: JsonObject, ctx: ArmContext): Pick<ProbeTarget, 'port' | 'protocol' | 'requestPath'> {
  const props = objectAt(rule, 'properties');
  const backendPort = typeof props?.['backendPort'] === 'number' ? props['backendPort'] : 0;
  const probeId = refAt(props, 'probe');
  const probe = probeId === undefined ? undefined : storedChildren(lb, 'probes').find((p) => idKey(`${lb.id}/probes/${stringAt(p, 'name')}`) === idKey(probeId));
  const pp = objectAt(probe, 'properties');
  if (ctx.healthCheck === 'tcp-backend-port' || pp === undefined) return { port: backendPort, protocol: 'Tcp', requestPath: undefined };
  return { port: Number(pp['port']), protocol: String(pp['protocol']), requestPath: stringAt(pp, 'requestPath') };
}

async function evaluate(lb: ResourceRecord, rule: JsonObject, ctx: ArmContext): Promise<Json> {
  const backends = backendsOf(lb, rule, ctx);
  const check = checkOf(lb, rule, ctx);
  // With the twin's data plane, health is what its probes found (an address it has not
  // programmed yet is Down, as an address Azure has not probed yet is not Up).
  const fromDataPlane = await ctx.dataPlane?.ruleHealth(lb.id, stringAt(rule, 'name') ?? '');
  const results = await Promise.all(
    backends.map(
      (b): Promise<HealthResult> =>
        fromDataPlane
          ? Promise.resolve(fromDataPlane.get(b.ipAddress) ?? { state: 'Down', reason: 'Down_Probe_Failure' })
          : ctx.health.check({ ...check, ipAddress: b.ipAddress, adminState: b.adminState }),
    ),
  );
  const addresses: Json[] = backends.map((b, i) => {
    const entry: JsonObject = { ipAddress: b.ipAddress };
    if (b.nicIpConfigurationId) entry['networkInterfaceIPConfigurationId'] = b.nicIpConfigurationId;
    entry['state'] = results[i]!.state;
    entry['reason'] = results[i]!.reason;
    return entry;
  });
  const up = results.filter((r) => r.state === 'Up').length;
  return { up, down: results.length - up, loadBalancerBackendAddresses: addresses };
}

function ruleHealth(req: ArmRequest, ctx: ArmContext): ArmResponse {
  const { record: lb } = loadBalancerOf(req, ctx);
  // The rule-health API is not offered in every region ("Load Balancer health status"; the
  // portal's health view and this API roll out region by region): there it is refused, before
  // the load balancer is looked up (the region of a missing one is its resource group's).
  const group = ctx.store.group(req.params['subscriptionId']!, req.params['resourceGroupName']!);
  const location = String(lb?.body['location'] ?? group?.location ?? '').toLowerCase();
  if (lb === undefined && !ctx.ruleHealthUnavailableIn?.includes(location)) throw parentResourceNotFound(req.params['loadBalancerName']!);
  if (lb === undefined || ctx.ruleHealthUnavailableIn?.includes(location)) {
    throw badRequest('OperationNotSupportedInRegion', `Getting the health of load balancing rules is not supported in region ${location}.`);
  }
  const name = req.params['ruleName']!.toLowerCase();
  const rule = storedChildren(lb, 'loadBalancingRules').find((r) => stringAt(r, 'name')?.toLowerCase() === name);
  if (rule === undefined) throw notFoundError(`${lb.id}/loadBalancingRules/${req.params['ruleName']}`);
  const result = evaluate(lb, rule, ctx);
  const failWith = operationFailure(ctx, req);
  const op = startOperation(ctx.operations, {
    ...(failWith ? { failWith } : {}),
    subscriptionId: lb.ref.subscriptionId,
    location: String(lb.body['location'] ?? 'westus'),
    method: 'POST',
    resourceId: `${lb.id}/loadBalancingRules/${stringAt(rule, 'name')}`,
    namespace: 'Microsoft.Network',
    result,
    complete: () => {},
  });
  return { status: 202, headers: operationHeaders(ctx, op, req.apiVersion) };
}

export const healthRoutes: readonly Route[] = [route('POST', `${LB_PATH}/loadBalancingRules/:ruleName/health`, 'LoadBalancerLoadBalancingRules_Health', ruleHealth)];
