/**
 * Regional backend services. `update` replaces and `patch` merges; both check a supplied
 * `fingerprint` against the current one (stale → 412 `conditionNotMet`) and give the
 * resource a new fingerprint. A request without a fingerprint is accepted.
 */
import { randomBytes } from 'node:crypto';
import { type ComputeContext, type Handler, inUse, listBody, mutate, paginate, type RequestInfo, resolve, route, type Route, usersOf } from './compute-context.ts';
import { alreadyExists, invalid, staleFingerprint } from './gce-errors.ts';
import { arrayAt, isObject, type JsonObject } from './json.ts';
import { checkName, lastSegment, type ResourceRef, relativeName } from './resource-refs.ts';
import { endpointJson } from './routes-negs.ts';

const OUTPUT_ONLY = ['kind', 'id', 'creationTimestamp', 'selfLink', 'region', 'name', 'fingerprint'];

function bsRef(req: RequestInfo, name = req.params.backendService ?? ''): ResourceRef {
  return { project: req.params.project!, scopeKind: 'regions', scope: req.params.region!, collection: 'backendServices', name };
}

function fingerprint(): string {
  return randomBytes(8).toString('base64');
}

/** Validates references and ranges, normalizes references to selfLinks, fills defaults. */
function normalize(ctx: ComputeContext, ref: ResourceRef, body: JsonObject): JsonObject {
  const out: JsonObject = { protocol: 'TCP', loadBalancingScheme: 'INTERNAL_MANAGED', timeoutSec: 30, connectionDraining: { drainingTimeoutSec: 0 }, ...structuredClone(body) };
  for (const k of OUTPUT_ONLY) delete out[k];
  const project = ref.project;
  out.healthChecks = arrayAt(out, 'healthChecks').map((h, i) => resolve(ctx, h, 'healthChecks', { project, scopeKind: 'regions', scope: ref.scope }, `resource.healthChecks[${i}]`).body.selfLink as string);
  const seen = new Set<string>();
  out.backends = arrayAt(out, 'backends').map((b, i) => {
    if (!isObject(b)) throw invalid(`Invalid value for field 'resource.backends[${i}]'.`);
    const group = resolve(ctx, b.group, 'networkEndpointGroups', { project, scopeKind: 'zones', scope: '' }, `resource.backends[${i}].group`);
    const link = group.body.selfLink as string;
    if (seen.has(link)) throw invalid(`Invalid value for field 'resource.backends[${i}].group': '${String(b.group)}'. Duplicate backend group ${relativeName(group.ref)}.`);
    seen.add(link);
    const mode = b.balancingMode ?? 'CONNECTION';
    // "Backend services overview: balancing mode": a CONNECTION backend of a proxy load balancer needs a target capacity.
    if (mode === 'CONNECTION' && out.loadBalancingScheme !== 'INTERNAL' && out.loadBalancingScheme !== 'EXTERNAL' && b.maxConnections === undefined && b.maxConnectionsPerEndpoint === undefined && b.maxConnectionsPerInstance === undefined) {
      throw invalid(`Invalid value for field 'resource.backends[${i}]': balancing mode CONNECTION needs maxConnections or maxConnectionsPerEndpoint for a ${String(out.loadBalancingScheme)} backend service.`);
    }
    return { balancingMode: mode, ...b, group: link };
  });
  const draining = out.connectionDraining;
  if (isObject(draining) && draining.drainingTimeoutSec !== undefined) {
    const t = draining.drainingTimeoutSec;
    if (typeof t !== 'number' || !Number.isInteger(t) || t < 0 || t > 3600) {
      throw invalid(`Invalid value for field 'resource.connectionDraining.drainingTimeoutSec': '${String(t)}'. Must be between 0 and 3600.`);
    }
  }
  return out;
}

const insert: Handler = (ctx, req) => {
  const ref = bsRef(req, checkName(req.body.name, 'resource.name'));
  if (ctx.store.has(ref)) throw alreadyExists(relativeName(ref));
  const body = normalize(ctx, ref, req.body);
  return mutate(ctx, req, ref, 'insert', () => ctx.store.insert(ref, 'compute#backendService', { ...body, fingerprint: fingerprint() }).body.id as string);
};

const get: Handler = (ctx, req) => structuredClone(ctx.store.get(bsRef(req)).body);

function replaceWith(merge: boolean, operationType: string): Handler {
  return (ctx, req) => {
    const ref = bsRef(req);
    const stored = ctx.store.get(ref);
    const given = req.body.fingerprint;
    if (given !== undefined && given !== stored.body.fingerprint) throw staleFingerprint();
    const next = normalize(ctx, ref, merge ? { ...stored.body, ...req.body } : req.body);
    return mutate(ctx, req, ref, operationType, () => {
      const keep = Object.fromEntries(OUTPUT_ONLY.filter((k) => stored.body[k] !== undefined).map((k) => [k, stored.body[k]]));
      stored.body = { ...next, ...keep, fingerprint: fingerprint() };
      return stored.body.id as string;
    });
  };
}

const del: Handler = (ctx, req) => {
  const ref = bsRef(req);
  const stored = ctx.store.get(ref);
  const users = [
    ...usersOf(ctx, 'targetTcpProxies', ref, (b) => (typeof b.service === 'string' ? [b.service] : [])),
    ...usersOf(ctx, 'forwardingRules', ref, (b) => (typeof b.backendService === 'string' ? [b.backendService] : [])),
  ];
  if (users.length > 0) throw inUse('backend_service', ref, users[0]!.ref);
  return mutate(ctx, req, ref, 'delete', () => {
    ctx.store.delete(ref);
    return stored.body.id as string;
  });
};

const list: Handler = (ctx, req) => {
  const all = ctx.store.list(req.params.project!, 'regions', req.params.region!, 'backendServices').map((s) => structuredClone(s.body));
  const page = paginate(all, req.query);
  return listBody('compute#backendServiceList', bsRef(req, ''), page.items, page.nextToken);
};

/** Health of one backend group: the twin's data plane's view, else a probe per endpoint (see endpoint-health.ts). */
const getHealth: Handler = async (ctx, req) => {
  const ref = bsRef(req);
  const stored = ctx.store.get(ref);
  const group = resolve(ctx, req.body.group, 'networkEndpointGroups', { project: ref.project, scopeKind: 'zones', scope: '' }, 'group');
  const link = group.body.selfLink as string;
  if (!arrayAt(stored.body, 'backends').some((b) => isObject(b) && b.group === link)) {
    throw invalid(`Invalid value for field 'resourceGroupReference.group': '${String(req.body.group)}'. Resource ${relativeName(group.ref)} is not a backend of ${relativeName(ref)}.`);
  }
  const endpoints = ctx.endpoints.get(relativeName(group.ref)) ?? [];
  // With the twin, what its data plane's checks found; an endpoint not checked yet is not yet HEALTHY.
  const twin = ctx.twin ? await ctx.twin.healthOf(stored.body.selfLink as string) : undefined;
  const healthStatus = await Promise.all(
    endpoints.map(async (e) => ({
      ...endpointJson(e),
      ...(e.instance === undefined ? {} : { instance: `https://www.googleapis.com/compute/v1/projects/${ref.project}/zones/${group.ref.scope}/instances/${lastSegment(e.instance)}` }),
      healthState: twin ? (twin.get(`${e.ipAddress}:${e.port}`) === 'HEALTHY' ? 'HEALTHY' : 'UNHEALTHY') : await ctx.health.check(e.ipAddress, e.port),
    })),
  );
  const body: JsonObject = { kind: 'compute#backendServiceGroupHealth' };
  if (healthStatus.length > 0) body.healthStatus = healthStatus;
  return body;
};

const BASE = '/compute/v1/projects/{project}/regions/{region}/backendServices';
const M = 'compute.regionBackendServices';

export function backendServiceRoutes(): Route[] {
  return [
    route('POST', BASE, `${M}.insert`, insert),
    route('GET', BASE, `${M}.list`, list),
    route('GET', `${BASE}/{backendService}`, `${M}.get`, get),
    route('PATCH', `${BASE}/{backendService}`, `${M}.patch`, replaceWith(true, 'patch')),
    route('PUT', `${BASE}/{backendService}`, `${M}.update`, replaceWith(false, 'update')),
    route('DELETE', `${BASE}/{backendService}`, `${M}.delete`, del),
    route('POST', `${BASE}/{backendService}/getHealth`, `${M}.getHealth`, getHealth),
  ];
}
