/** Zonal, regional and global operations (`get` and `wait`), and the seeded networks, subnetworks and zones. */
import { type Handler, paginate, route, type Route } from './compute-context.ts';
import { invalid, notFound } from './gce-errors.ts';
import { SELF_LINK_BASE } from './resource-refs.ts';

const P = '/compute/v1/projects/{project}';

export function operationRoutes(): Route[] {
  const zoneGet: Handler = (ctx, { params: p }) => ctx.operations.get(p.project!, 'zones', p.zone!, p.operation!);
  const zoneWait: Handler = (ctx, { params: p }) => ctx.operations.wait(p.project!, 'zones', p.zone!, p.operation!);
  const regionGet: Handler = (ctx, { params: p }) => ctx.operations.get(p.project!, 'regions', p.region!, p.operation!);
  const regionWait: Handler = (ctx, { params: p }) => ctx.operations.wait(p.project!, 'regions', p.region!, p.operation!);
  const globalGet: Handler = (ctx, { params: p }) => ctx.operations.get(p.project!, 'global', '', p.operation!);
  const globalWait: Handler = (ctx, { params: p }) => ctx.operations.wait(p.project!, 'global', '', p.operation!);
  return [
    route('GET', `${P}/zones/{zone}/operations/{operation}`, 'compute.zoneOperations.get', zoneGet),
    route('POST', `${P}/zones/{zone}/operations/{operation}/wait`, 'compute.zoneOperations.wait', zoneWait),
    route('GET', `${P}/regions/{region}/operations/{operation}`, 'compute.regionOperations.get', regionGet),
    route('POST', `${P}/regions/{region}/operations/{operation}/wait`, 'compute.regionOperations.wait', regionWait),
    route('GET', `${P}/global/operations/{operation}`, 'compute.globalOperations.get', globalGet),
    route('POST', `${P}/global/operations/{operation}/wait`, 'compute.globalOperations.wait', globalWait),
  ];
}

export function networkRoutes(): Route[] {
  const network: Handler = (ctx, { params: p }) =>
    structuredClone(ctx.store.get({ project: p.project!, scopeKind: 'global', scope: '', collection: 'networks', name: p.network! }).body);
  const subnetwork: Handler = (ctx, { params: p }) =>
    structuredClone(ctx.store.get({ project: p.project!, scopeKind: 'regions', scope: p.region!, collection: 'subnetworks', name: p.subnetwork! }).body);
  /** A region's subnetworks; `filter` as `field = "value"` (or `field eq value`) on one top-level field. */
  const subnetworks: Handler = (ctx, { params: p, query }) => {
    const raw = query.get('filter');
    const m = raw ? /^\s*(\w+)\s*(?:=|eq)\s*"?([^"]*)"?\s*$/.exec(raw) : null;
    if (raw && !m) throw invalid(`Invalid value for field 'filter': '${raw}'. Invalid list filter expression.`);
    const all = ctx.store
      .list(p.project!, 'regions', p.region!, 'subnetworks')
      .map((s) => structuredClone(s.body))
      .filter((b) => !m || String(b[m[1]!] ?? '') === m[2]);
    const page = paginate(all, query);
    return {
      kind: 'compute#subnetworkList',
      id: `projects/${p.project}/regions/${p.region}/subnetworks`,
      items: page.items,
      selfLink: `${SELF_LINK_BASE}projects/${p.project}/regions/${p.region}/subnetworks`,
      ...(page.nextToken === undefined ? {} : { nextPageToken: page.nextToken }),
    };
  };
  const zoneJson = (project: string, zone: string, region: string) => ({
    kind: 'compute#zone',
    id: String(2_000 + zone.length),
    name: zone,
    status: 'UP',
    region: `${SELF_LINK_BASE}projects/${project}/regions/${region}`,
    selfLink: `${SELF_LINK_BASE}projects/${project}/zones/${zone}`,
  });
  const zones: Handler = (ctx, { params: p, query }) => {
    const all = [...(ctx.zones.get(p.project!) ?? new Map<string, string>()).entries()].sort().map(([z, r]) => zoneJson(p.project!, z, r));
    const page = paginate(all, query);
    return {
      kind: 'compute#zoneList',
      id: `projects/${p.project}/zones`,
      items: page.items,
      selfLink: `${SELF_LINK_BASE}projects/${p.project}/zones`,
      ...(page.nextToken === undefined ? {} : { nextPageToken: page.nextToken }),
    };
  };
  const zone: Handler = (ctx, { params: p }) => {
    const region = ctx.zones.get(p.project!)?.get(p.zone!);
    if (region === undefined) throw notFound(`projects/${p.project}/zones/${p.zone}`);
    return zoneJson(p.project!, p.zone!, region);
  };
  return [
    route('GET', `${P}/global/networks/{network}`, 'compute.networks.get', network),
    route('GET', `${P}/regions/{region}/subnetworks/{subnetwork}`, 'compute.subnetworks.get', subnetwork),
    route('GET', `${P}/regions/{region}/subnetworks`, 'compute.subnetworks.list', subnetworks),
    route('GET', `${P}/zones`, 'compute.zones.list', zones),
    route('GET', `${P}/zones/{zone}`, 'compute.zones.get', zone),
  ];
}
