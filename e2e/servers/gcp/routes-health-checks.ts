/** Regional health checks. */
import { type Handler, inUse, listBody, mutate, paginate, type RequestInfo, route, type Route, usersOf } from './compute-context.ts';
import { alreadyExists, invalid } from './gce-errors.ts';
import { arrayAt, type JsonObject } from './json.ts';
import { checkName, type ResourceRef, relativeName } from './resource-refs.ts';

const TYPES = new Set(['TCP', 'SSL', 'HTTP', 'HTTPS', 'HTTP2', 'GRPC', 'GRPC_WITH_TLS']);
const OUTPUT_ONLY = ['kind', 'id', 'creationTimestamp', 'selfLink', 'region', 'name'];

function hcRef(req: RequestInfo, name = req.params.healthCheck ?? ''): ResourceRef {
  return { project: req.params.project!, scopeKind: 'regions', scope: req.params.region!, collection: 'healthChecks', name };
}

/** Fills GCE's defaults and checks the fields it would reject. */
function normalize(body: JsonObject): JsonObject {
  const type = body.type;
  if (typeof type !== 'string' || !TYPES.has(type)) throw invalid(`Invalid value for field 'resource.type': '${String(type ?? '')}'. Must be one of ${[...TYPES].join(', ')}.`);
  const out: JsonObject = { checkIntervalSec: 5, timeoutSec: 5, healthyThreshold: 2, unhealthyThreshold: 2, ...structuredClone(body) };
  for (const k of OUTPUT_ONLY) delete out[k];
  if ((out.timeoutSec as number) > (out.checkIntervalSec as number)) {
    throw invalid(`Invalid value for field 'resource.timeoutSec': '${String(out.timeoutSec)}'. TimeoutSec should be less than checkIntervalSec.`);
  }
  return out;
}

const insert: Handler = (ctx, req) => {
  const ref = hcRef(req, checkName(req.body.name, 'resource.name'));
  if (ctx.store.has(ref)) throw alreadyExists(relativeName(ref));
  const body = normalize(req.body);
  return mutate(ctx, req, ref, 'insert', () => ctx.store.insert(ref, 'compute#healthCheck', body).body.id as string);
};

const get: Handler = (ctx, req) => structuredClone(ctx.store.get(hcRef(req)).body);

const patch: Handler = (ctx, req) => {
  const ref = hcRef(req);
  const stored = ctx.store.get(ref);
  const merged = normalize({ ...stored.body, ...req.body });
  return mutate(ctx, req, ref, 'patch', () => {
    stored.body = { ...merged, ...Object.fromEntries(OUTPUT_ONLY.map((k) => [k, stored.body[k]])) };
    return stored.body.id as string;
  });
};

const del: Handler = (ctx, req) => {
  const ref = hcRef(req);
  const stored = ctx.store.get(ref);
  const users = usersOf(ctx, 'backendServices', ref, (b) => arrayAt(b, 'healthChecks').filter((x): x is string => typeof x === 'string'));
  if (users.length > 0) throw inUse('health_check', ref, users[0]!.ref);
  return mutate(ctx, req, ref, 'delete', () => {
    ctx.store.delete(ref);
    return stored.body.id as string;
  });
};

const list: Handler = (ctx, req) => {
  const all = ctx.store.list(req.params.project!, 'regions', req.params.region!, 'healthChecks').map((s) => structuredClone(s.body));
  const page = paginate(all, req.query);
  return listBody('compute#healthCheckList', hcRef(req, ''), page.items, page.nextToken);
};

const BASE = '/compute/v1/projects/{project}/regions/{region}/healthChecks';
const M = 'compute.regionHealthChecks';

export function healthCheckRoutes(): Route[] {
  return [
    route('POST', BASE, `${M}.insert`, insert),
    route('GET', BASE, `${M}.list`, list),
    route('GET', `${BASE}/{healthCheck}`, `${M}.get`, get),
    route('PATCH', `${BASE}/{healthCheck}`, `${M}.patch`, patch),
    route('DELETE', `${BASE}/{healthCheck}`, `${M}.delete`, del),
  ];
}
