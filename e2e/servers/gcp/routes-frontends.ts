/** Regional target TCP proxies and regional forwarding rules. */
import { type ComputeContext, type Handler, inUse, listBody, mutate, paginate, type RequestInfo, resolve, route, type Route, usersOf } from './compute-context.ts';
import { alreadyExists, GceError, invalid } from './gce-errors.ts';
import { addressOf, allocateAddress } from './routes-addresses.ts';
import type { JsonObject } from './json.ts';
import { checkName, type ResourceRef, relativeName, SELF_LINK_BASE } from './resource-refs.ts';

const OUTPUT_ONLY = ['kind', 'id', 'creationTimestamp', 'selfLink', 'region', 'name'];

function regional(req: RequestInfo, collection: string, name: string): ResourceRef {
  return { project: req.params.project!, scopeKind: 'regions', scope: req.params.region!, collection, name };
}

function strip(body: JsonObject): JsonObject {
  const out = structuredClone(body);
  for (const k of OUTPUT_ONLY) delete out[k];
  return out;
}

function crud(collection: string, kind: string, listKind: string, param: string, restBase: string, normalize: (ctx: ComputeContext, ref: ResourceRef, body: JsonObject) => JsonObject, usedBy: (ctx: ComputeContext, ref: ResourceRef) => ResourceRef | undefined, typeName: string): Route[] {
  const base = `/compute/v1/projects/{project}/regions/{region}/${collection}`;
  const ref = (req: RequestInfo, name = req.params[param] ?? '') => regional(req, collection, name);
  const insert: Handler = (ctx, req) => {
    const r = ref(req, checkName(req.body.name, 'resource.name'));
    if (ctx.store.has(r)) throw alreadyExists(relativeName(r));
    const body = normalize(ctx, r, strip(req.body));
    return mutate(ctx, req, r, 'insert', () => ctx.store.insert(r, kind, body).body.id as string);
  };
  const get: Handler = (ctx, req) => structuredClone(ctx.store.get(ref(req)).body);
  const del: Handler = (ctx, req) => {
    const r = ref(req);
    const stored = ctx.store.get(r);
    const user = usedBy(ctx, r);
    if (user !== undefined) throw inUse(typeName, r, user);
    return mutate(ctx, req, r, 'delete', () => {
      ctx.store.delete(r);
      return stored.body.id as string;
    });
  };
  const list: Handler = (ctx, req) => {
    const all = ctx.store.list(req.params.project!, 'regions', req.params.region!, collection).map((s) => structuredClone(s.body));
    const page = paginate(all, req.query);
    return listBody(listKind, ref(req, ''), page.items, page.nextToken);
  };
  return [
    route('POST', base, `${restBase}.insert`, insert),
    route('GET', base, `${restBase}.list`, list),
    route('GET', `${base}/{${param}}`, `${restBase}.get`, get),
    route('DELETE', `${base}/{${param}}`, `${restBase}.delete`, del),
  ];
}

function normalizeProxy(ctx: ComputeContext, ref: ResourceRef, body: JsonObject): JsonObject {
  const service = resolve(ctx, body.service, 'backendServices', { project: ref.project, scopeKind: 'regions', scope: ref.scope }, 'resource.service');
  const header = body.proxyHeader ?? 'NONE';
  if (header !== 'NONE' && header !== 'PROXY_V1') throw invalid(`Invalid value for field 'resource.proxyHeader': '${String(header)}'. Must be NONE or PROXY_V1.`);
  return { ...body, service: service.body.selfLink as string, proxyHeader: header };
}

/**
 * "Proxy-only subnets for Envoy-based load balancers": a regional Envoy-based load balancer
 * (the regional external and internal proxy Network Load Balancers among them) needs an
 * active proxy-only subnet (purpose REGIONAL_MANAGED_PROXY, role ACTIVE) in the region and VPC
 * network of its forwarding rule, created before the forwarding rule.
 */
function requireProxyOnlySubnet(ctx: ComputeContext, ref: ResourceRef, rule: JsonObject): void {
  const network = typeof rule.network === 'string' ? rule.network : `${SELF_LINK_BASE}projects/${ref.project}/global/networks/default`;
  const active = ctx.store
    .list(ref.project, 'regions', ref.scope, 'subnetworks')
    .some((s) => s.body.purpose === 'REGIONAL_MANAGED_PROXY' && s.body.role === 'ACTIVE' && s.body.network === network);
  if (!active) {
    throw invalid(
      `Invalid value for field 'resource.loadBalancingScheme': '${String(rule.loadBalancingScheme)}'. An active proxy-only subnetwork (purpose REGIONAL_MANAGED_PROXY, role ACTIVE) is required in region ${ref.scope} and network ${network.split('/').pop()} for this forwarding rule.`,
    );
  }
}

/** The IP a rule's `IPAddress` names, when it may use it: a reserved address's ports must not overlap another rule's. */
function sharedAddress(ctx: ComputeContext, ref: ResourceRef, rule: JsonObject): string {
  const given = String(rule.IPAddress);
  const address = addressOf(ctx, ref, given);
  const ip = address ? String(address.body.address) : given;
  const others = ctx.store.list(ref.project, 'regions', ref.scope, 'forwardingRules').filter((r) => r.body.IPAddress === ip && r.ref.name !== ref.name);
  if (others.length === 0) return ip;
  if (address?.body.addressType === 'INTERNAL' && address.body.purpose !== 'SHARED_LOADBALANCER_VIP') {
    throw invalid(`Invalid value for field 'resource.IPAddress': '${given}'. An internal address shared by several forwarding rules needs purpose SHARED_LOADBALANCER_VIP.`);
  }
  const range = (r: unknown): [number, number] => {
    const m = /^(\d+)(?:-(\d+))?$/.exec(String(r ?? ''));
    return m ? [Number(m[1]), Number(m[2] ?? m[1])] : [1, 65535];
  };
  const [from, to] = range(rule.portRange);
  const clash = others.find((o) => {
    const [a, b] = range(o.body.portRange);
    return a <= to && b >= from;
  });
  if (clash) throw invalid(`Invalid value for field 'resource.IPAddress': '${given}'. IP ${ip} is already used by forwarding rule ${relativeName(clash.ref)} on an overlapping port range.`);
  return ip;
}

function normalizeRule(ctx: ComputeContext, ref: ResourceRef, body: JsonObject): JsonObject {
  const defaults = { project: ref.project, scopeKind: 'regions' as const, scope: ref.scope };
  const out: JsonObject = { IPProtocol: 'TCP', loadBalancingScheme: 'EXTERNAL', networkTier: 'PREMIUM', ...body };
  // ForwardingRule.source_ip_ranges (compute.proto): "can only be used with a regional forwarding rule whose scheme is EXTERNAL".
  if (Array.isArray(out.sourceIpRanges) && out.sourceIpRanges.length > 0 && out.loadBalancingScheme !== 'EXTERNAL') {
    throw invalid(`Invalid value for field 'resource.sourceIpRanges': source IP ranges can only be used with a regional forwarding rule whose scheme is EXTERNAL, not ${String(out.loadBalancingScheme)}.`);
  }
  if (out.target === undefined && out.backendService === undefined) throw new GceError(400, 'required', "Required field 'resource.target' not specified");
  if (out.target !== undefined) out.target = resolve(ctx, out.target, 'targetTcpProxies', defaults, 'resource.target').body.selfLink as string;
  if (out.backendService !== undefined) out.backendService = resolve(ctx, out.backendService, 'backendServices', defaults, 'resource.backendService').body.selfLink as string;
  if (out.network !== undefined) out.network = resolve(ctx, out.network, 'networks', { project: ref.project, scopeKind: 'global', scope: '' }, 'resource.network').body.selfLink as string;
  if (out.subnetwork !== undefined) out.subnetwork = resolve(ctx, out.subnetwork, 'subnetworks', defaults, 'resource.subnetwork').body.selfLink as string;
  if (typeof out.portRange === 'string' && !/^\d{1,5}(-\d{1,5})?$/.test(out.portRange)) {
    throw invalid(`Invalid value for field 'resource.portRange': '${out.portRange}'. Invalid port range.`);
  }
  if (out.loadBalancingScheme === 'EXTERNAL_MANAGED' || out.loadBalancingScheme === 'INTERNAL_MANAGED') requireProxyOnlySubnet(ctx, ref, out);
  if (typeof out.IPAddress !== 'string' || out.IPAddress === '') out.IPAddress = allocateAddress(ctx);
  else out.IPAddress = sharedAddress(ctx, ref, out);
  out.fingerprint = Buffer.from(String(Math.random())).toString('base64').slice(0, 12);
  out.labelFingerprint = '42WmSpB8rSM=';
  return out;
}

export function frontendRoutes(): Route[] {
  return [
    ...crud(
      'targetTcpProxies',
      'compute#targetTcpProxy',
      'compute#targetTcpProxyList',
      'targetTcpProxy',
      'compute.regionTargetTcpProxies',
      normalizeProxy,
      (ctx, ref) => usersOf(ctx, 'forwardingRules', ref, (b) => (typeof b.target === 'string' ? [b.target] : []))[0]?.ref,
      'target_tcp_proxy',
    ),
    ...crud('forwardingRules', 'compute#forwardingRule', 'compute#forwardingRuleList', 'forwardingRule', 'compute.forwardingRules', normalizeRule, () => undefined, 'forwarding_rule'),
  ];
}
