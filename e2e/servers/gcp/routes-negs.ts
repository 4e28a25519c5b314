/** Zonal network endpoint groups and their endpoints. */
import { type ComputeContext, type Handler, inUse, listBody, mutate, paginate, type RequestInfo, resolve, route, type Route, type StoredEndpoint, usersOf } from './compute-context.ts';
import { checkEndpointOwner } from './endpoint-owner.ts';
import { alreadyExists, invalid, notFound } from './gce-errors.ts';
import { arrayAt, isObject, type JsonObject } from './json.ts';
import { checkName, lastSegment, type ResourceRef, relativeName } from './resource-refs.ts';

const TYPES = new Set(['GCE_VM_IP_PORT', 'GCE_VM_IP', 'NON_GCP_PRIVATE_IP_PORT', 'INTERNET_IP_PORT', 'INTERNET_FQDN_PORT', 'SERVERLESS', 'PRIVATE_SERVICE_CONNECT']);
/** Attach and detach take at most this many endpoints per call. */
export const MAX_ENDPOINTS_PER_CALL = 500;

function negRef(req: RequestInfo, name = req.params.networkEndpointGroup ?? ''): ResourceRef {
  return { project: req.params.project!, scopeKind: 'zones', scope: req.params.zone!, collection: 'networkEndpointGroups', name };
}

function zoneRegion(ctx: ComputeContext, req: RequestInfo): string {
  const region = ctx.zones.get(req.params.project!)?.get(req.params.zone!);
  if (region === undefined) throw notFound(`projects/${req.params.project}/zones/${req.params.zone}`);
  return region;
}

const insert: Handler = (ctx, req) => {
  const body = req.body;
  const region = zoneRegion(ctx, req);
  const ref = negRef(req, checkName(body.name, 'resource.name'));
  const type = body.networkEndpointType ?? 'GCE_VM_IP_PORT';
  if (typeof type !== 'string' || !TYPES.has(type)) throw invalid(`Invalid value for field 'resource.networkEndpointType': '${String(type)}'.`);
  const project = ref.project;
  const network = resolve(ctx, body.network ?? 'default', 'networks', { project, scopeKind: 'global', scope: '' }, 'resource.network');
  const subnetwork = body.subnetwork === undefined ? undefined : resolve(ctx, body.subnetwork, 'subnetworks', { project, scopeKind: 'regions', scope: region }, 'resource.subnetwork');
  if (subnetwork !== undefined && subnetwork.ref.scope !== region) throw invalid(`Invalid value for field 'resource.subnetwork': '${String(body.subnetwork)}'. Subnetwork must be in region ${region}.`);
  if (body.defaultPort !== undefined && !(Number.isInteger(body.defaultPort) && (body.defaultPort as number) >= 1 && (body.defaultPort as number) <= 65535)) {
    throw invalid(`Invalid value for field 'resource.defaultPort': '${String(body.defaultPort)}'. Must be between 1 and 65535.`);
  }
  if (ctx.store.has(ref)) throw alreadyExists(relativeName(ref));
  return mutate(ctx, req, ref, 'insert', () => {
    const stored = ctx.store.insert(ref, 'compute#networkEndpointGroup', {
      ...(typeof body.description === 'string' ? { description: body.description } : {}),
      networkEndpointType: type,
      network: network.body.selfLink as string,
      ...(subnetwork === undefined ? {} : { subnetwork: subnetwork.body.selfLink as string }),
      ...(body.defaultPort === undefined ? {} : { defaultPort: body.defaultPort }),
      size: 0,
    });
    ctx.endpoints.set(relativeName(ref), []);
    return stored.body.id as string;
  });
};

const get: Handler = (ctx, req) => view(ctx, negRef(req));

function view(ctx: ComputeContext, ref: ResourceRef): JsonObject {
  const stored = ctx.store.get(ref);
  return { ...structuredClone(stored.body), size: ctx.endpoints.get(relativeName(ref))?.length ?? 0 };
}

const del: Handler = (ctx, req) => {
  const ref = negRef(req);
  const stored = ctx.store.get(ref);
  const users = usersOf(ctx, 'backendServices', ref, (b) => arrayAt(b, 'backends').flatMap((x) => (isObject(x) && typeof x.group === 'string' ? [x.group] : [])));
  if (users.length > 0) throw inUse('network_endpoint_group', ref, users[0]!.ref);
  return mutate(ctx, req, ref, 'delete', () => {
    ctx.store.delete(ref);
    ctx.endpoints.delete(relativeName(ref));
    return stored.body.id as string;
  });
};

const list: Handler = (ctx, req) => {
  const p = req.params;
  zoneRegion(ctx, req);
  const all = ctx.store.list(p.project!, 'zones', p.zone!, 'networkEndpointGroups').map((s) => view(ctx, s.ref));
  const page = paginate(all, req.query);
  return listBody('compute#networkEndpointGroupList', negRef(req, ''), page.items, page.nextToken);
};

/**
 * `aggregatedList`: every NEG of the project, paged across zones, each page grouped by
 * `zones/<zone>` as GCE does; zones of the project with nothing on the page carry the
 * `NO_RESULTS_ON_PAGE` warning.
 */
const aggregatedList: Handler = (ctx, req) => {
  const project = req.params.project!;
  const zones = [...(ctx.zones.get(project)?.keys() ?? [])].sort();
  const all = zones.flatMap((zone) => ctx.store.list(project, 'zones', zone, 'networkEndpointGroups').map((s) => ({ zone, body: view(ctx, s.ref) })));
  const page = paginate(all, req.query);
  const items: JsonObject = {};
  for (const zone of zones) {
    const negs = page.items.filter((i) => i.zone === zone).map((i) => i.body);
    items[`zones/${zone}`] =
      negs.length > 0
        ? { networkEndpointGroups: negs }
        : { warning: { code: 'NO_RESULTS_ON_PAGE', message: 'There are no results for scope \'zones/' + zone + '\' on this page.', data: [{ key: 'scope', value: `zones/${zone}` }] } };
  }
  const base = `https://www.googleapis.com/compute/v1/projects/${project}/aggregated/networkEndpointGroups`;
  return {
    kind: 'compute#networkEndpointGroupAggregatedList',
    id: `projects/${project}/aggregated/networkEndpointGroups`,
    items,
    selfLink: base,
    ...(page.nextToken !== undefined ? { nextPageToken: page.nextToken } : {}),
  };
};

/** Reads and validates the `networkEndpoints` of an attach or detach body. */
function readEndpoints(neg: JsonObject, body: JsonObject, owner?: (field: string, ip: string, instance: string) => void): StoredEndpoint[] {
  const raw = arrayAt(body, 'networkEndpoints');
  if (raw.length === 0) throw invalid("Invalid value for field 'networkEndpoints': ''. At least one network endpoint is required.");
  if (raw.length > MAX_ENDPOINTS_PER_CALL) throw invalid(`Invalid value for field 'networkEndpoints': ${raw.length} endpoints. At most ${MAX_ENDPOINTS_PER_CALL} are allowed per request.`);
  const type = neg.networkEndpointType;
  const seen = new Set<string>();
  return raw.map((e, i) => {
    const field = `networkEndpoints[${i}]`;
    if (!isObject(e)) throw invalid(`Invalid value for field '${field}'.`);
    const ip = e.ipAddress;
    if (typeof ip !== 'string' || !/^\d{1,3}(\.\d{1,3}){3}$/.test(ip)) throw invalid(`Invalid value for field '${field}.ipAddress': '${String(ip ?? '')}'. An IPv4 address is required.`);
    const port = e.port ?? neg.defaultPort;
    if (type === 'GCE_VM_IP_PORT' || type === 'NON_GCP_PRIVATE_IP_PORT') {
      if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
        throw invalid(`Invalid value for field '${field}.port': '${String(e.port ?? '')}'. A port is required when the network endpoint group has no default port.`);
      }
    }
    if ((type === 'GCE_VM_IP_PORT' || type === 'GCE_VM_IP') && (typeof e.instance !== 'string' || e.instance === '')) {
      throw invalid(`Invalid value for field '${field}.instance': ''. Instance is required for network endpoints of type ${String(type)}.`);
    }
    if (owner && type === 'GCE_VM_IP_PORT') owner(field, ip, String(e.instance));
    const endpoint: StoredEndpoint = {
      ipAddress: ip,
      port: typeof port === 'number' ? port : 0,
      ...(typeof e.instance === 'string' ? { instance: lastSegment(e.instance) } : {}),
      ...(isObject(e.annotations) ? { annotations: e.annotations as Record<string, string> } : {}),
    };
    const key = endpointKey(endpoint);
    if (seen.has(key)) throw invalid(`Invalid value for field '${field}': duplicate network endpoint ${key}.`);
    seen.add(key);
    return endpoint;
  });
}

function endpointKey(e: StoredEndpoint): string {
  return `${e.instance ?? ''}/${e.ipAddress}:${e.port}`;
}

const attach: Handler = (ctx, req) => {
  const ref = negRef(req);
  const neg = ctx.store.get(ref);
  const incoming = readEndpoints(neg.body, req.body, (field, ip, instance) => checkEndpointOwner(ctx, neg, `resource.${field}`, ip, instance));
  return mutate(ctx, req, ref, 'attachNetworkEndpoints', () => {
    const current = ctx.endpoints.get(relativeName(ref)) ?? [];
    const have = new Set(current.map(endpointKey));
    // Attaching an endpoint that is already attached changes nothing.
    for (const e of incoming) if (!have.has(endpointKey(e))) current.push(e);
    ctx.endpoints.set(relativeName(ref), current);
    return neg.body.id as string;
  });
};

const detach: Handler = (ctx, req) => {
  const ref = negRef(req);
  const neg = ctx.store.get(ref);
  const outgoing = readEndpoints(neg.body, req.body);
  const current = ctx.endpoints.get(relativeName(ref)) ?? [];
  const have = new Set(current.map(endpointKey));
  for (const e of outgoing) {
    if (!have.has(endpointKey(e))) throw invalid(`Network endpoint ${endpointKey(e)} is not in network endpoint group ${relativeName(ref)}.`);
  }
  return mutate(ctx, req, ref, 'detachNetworkEndpoints', () => {
    const gone = new Set(outgoing.map(endpointKey));
    ctx.endpoints.set(
      relativeName(ref),
      current.filter((e) => !gone.has(endpointKey(e))),
    );
    return neg.body.id as string;
  });
};

export function endpointJson(e: StoredEndpoint): JsonObject {
  return {
    ipAddress: e.ipAddress,
    ...(e.port === 0 ? {} : { port: e.port }),
    ...(e.instance === undefined ? {} : { instance: e.instance }),
    ...(e.annotations === undefined ? {} : { annotations: e.annotations }),
  };
}

/**
 * The NEG's endpoints, a page at a time. With `healthStatus: SHOW` each endpoint also carries
 * `healths`: one entry per backend service that has the NEG as a backend, with that backend
 * service's health check and the state a probe finds now (see endpoint-health.ts), as the GKE
 * NEG controller's readiness poller reads them.
 */
const listEndpoints: Handler = async (ctx, req) => {
  const ref = negRef(req);
  const neg = ctx.store.get(ref);
  const current = ctx.endpoints.get(relativeName(ref)) ?? [];
  const page = paginate(current, req.query);
  const show = req.body.healthStatus === 'SHOW';
  if (req.body.healthStatus !== undefined && req.body.healthStatus !== 'SHOW' && req.body.healthStatus !== 'SKIP') {
    throw invalid(`Invalid value for field 'healthStatus': '${String(req.body.healthStatus)}'. Allowed are SHOW, SKIP.`);
  }
  const link = neg.body.selfLink as string;
  const services = show ? ctx.store.all('backendServices').filter((bs) => arrayAt(bs.body, 'backends').some((b) => isObject(b) && b.group === link)) : [];
  // With the twin, each backend service's data plane view (UNKNOWN until its checks decide).
  const twin = ctx.twin;
  const views = twin && show ? await Promise.all(services.map((bs) => twin.healthOf(bs.body.selfLink as string))) : undefined;
  const items: JsonObject[] = await Promise.all(
    page.items.map(async (e) => {
      if (!show || services.length === 0) return { networkEndpoint: endpointJson(e) };
      const probed = views ? undefined : await ctx.health.check(e.ipAddress, e.port);
      const healths = services.map((bs, i) => ({
        backendService: { backendService: bs.body.selfLink as string },
        ...(arrayAt(bs.body, 'healthChecks')[0] === undefined ? {} : { healthCheck: { healthCheck: String(arrayAt(bs.body, 'healthChecks')[0]) } }),
        healthState: probed ?? views?.[i]?.get(`${e.ipAddress}:${e.port}`) ?? 'UNKNOWN',
      }));
      return { networkEndpoint: endpointJson(e), healths };
    }),
  );
  const body: JsonObject = { kind: 'compute#networkEndpointGroupsListNetworkEndpoints', items };
  if (page.nextToken !== undefined) body.nextPageToken = page.nextToken;
  return body;
};

const BASE = '/compute/v1/projects/{project}/zones/{zone}/networkEndpointGroups';
const M = 'compute.networkEndpointGroups';

export function negRoutes(): Route[] {
  return [
    route('POST', BASE, `${M}.insert`, insert),
    route('GET', BASE, `${M}.list`, list),
    route('GET', '/compute/v1/projects/{project}/aggregated/networkEndpointGroups', `${M}.aggregatedList`, aggregatedList),
    route('GET', `${BASE}/{networkEndpointGroup}`, `${M}.get`, get),
    route('DELETE', `${BASE}/{networkEndpointGroup}`, `${M}.delete`, del),
    route('POST', `${BASE}/{networkEndpointGroup}/attachNetworkEndpoints`, `${M}.attachNetworkEndpoints`, attach),
    route('POST', `${BASE}/{networkEndpointGroup}/detachNetworkEndpoints`, `${M}.detachNetworkEndpoints`, detach),
    route('POST', `${BASE}/{networkEndpointGroup}/listNetworkEndpoints`, `${M}.listNetworkEndpoints`, listEndpoints),
  ];
}
