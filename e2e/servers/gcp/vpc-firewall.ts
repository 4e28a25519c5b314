/**
 * VPC firewall rules (`compute.firewalls`, global) and what they mean for the twin's data
 * plane, following "VPC firewall rules" in the Cloud VPC documentation:
 * - a rule has a direction (INGRESS default), a priority (0-65535, default 1000; lower
 *   first, a deny before an allow of the same priority), exactly one of `allowed` or
 *   `denied` (protocol `tcp`/`udp`/`all`/... with optional ports), sources (`sourceRanges`,
 *   `sourceTags`, `sourceServiceAccounts`; an ingress rule without any means 0.0.0.0/0) and
 *   targets (`targetTags` or `targetServiceAccounts`, or every instance of the network);
 * - the implied rules: ingress denied (priority 65535), egress allowed;
 * - a disabled rule does nothing.
 *
 * Ingress TCP rules become the engine's `to-target` rules. Sources this host cannot send from
 * are tags the engine's traffic carries: health checks come from 35.191.0.0/16 and
 * 130.211.0.0/22 ("Health checks overview: probe IP ranges and firewall rules"; a rule lets
 * them through when its source ranges cover both), proxies from the region's active
 * proxy-only subnet ("Proxy-only subnets for Envoy-based load balancers"; a rule covering its
 * range). Instances carry `tag:<network tag>` and `sa:<service account>`; NEG endpoints carry
 * their instance's. Client -> forwarding rule traffic reaches Google's front ends, not the
 * VPC: it is always allowed.
 */
import type { FirewallRule } from '@sluice/dataplane';
import { type ComputeContext, type Handler, listBody, mutate, paginate, type RequestInfo, route, type Route } from './compute-context.ts';
import type { StoredResource } from './compute-store.ts';
import { alreadyExists, invalid } from './gce-errors.ts';
import { arrayAt, isObject, type JsonObject } from './json.ts';
import { checkName, type ResourceRef, relativeName } from './resource-refs.ts';

/** Google's documented source ranges of health checks for proxy Network Load Balancers. */
export const HEALTH_CHECK_RANGES: readonly string[] = ['35.191.0.0/16', '130.211.0.0/22'];
/** The tag health-check traffic carries in the engine's firewall. */
export const HEALTH_CHECK_SOURCE = 'gcp-health-check-probers';
/** The tag proxy -> endpoint traffic carries (it comes from the region's proxy-only subnet). */
export const PROXY_SOURCE = 'gcp-proxy-only-subnet';
const OUTPUT_ONLY = ['kind', 'id', 'creationTimestamp', 'selfLink', 'name'];

function fwRef(req: RequestInfo, name = req.params.firewall ?? ''): ResourceRef {
  return { project: req.params.project!, scopeKind: 'global', scope: '', collection: 'firewalls', name };
}

/** `a.b.c.d/n` -> [first, last] as numbers; undefined when malformed. */
export function ipv4Range(cidr: string): [number, number] | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:\/(\d{1,2}))?$/.exec(cidr.trim());
  if (!m) return undefined;
  const octets = m.slice(1, 5).map(Number);
  const bits = m[5] === undefined ? 32 : Number(m[5]);
  if (octets.some((o) => o > 255) || bits > 32) return undefined;
  const ip = octets.reduce((n, o) => n * 256 + o, 0);
  const size = 2 ** (32 - bits);
  const first = Math.floor(ip / size) * size;
  return [first, first + size - 1];
}

/** True when one of `ranges` holds all of `cidr`. */
export function covered(ranges: readonly string[], cidr: string): boolean {
  const want = ipv4Range(cidr);
  return want !== undefined && ranges.some((r) => {
    const have = ipv4Range(r);
    return have !== undefined && have[0] <= want[0] && have[1] >= want[1];
  });
}

function normalize(ctx: ComputeContext, ref: ResourceRef, body: JsonObject): JsonObject {
  const out: JsonObject = { network: 'global/networks/default', direction: 'INGRESS', priority: 1000, disabled: false, ...structuredClone(body) };
  for (const k of OUTPUT_ONLY) delete out[k];
  const network = ctx.store.get({ project: ref.project, scopeKind: 'global', scope: '', collection: 'networks', name: String(out.network).split('/').pop() ?? '' });
  out.network = network.body.selfLink as string;
  if (out.direction !== 'INGRESS' && out.direction !== 'EGRESS') throw invalid(`Invalid value for field 'resource.direction': '${String(out.direction)}'. Must be INGRESS or EGRESS.`);
  const priority = out.priority;
  if (typeof priority !== 'number' || !Number.isInteger(priority) || priority < 0 || priority > 65535) {
    throw invalid(`Invalid value for field 'resource.priority': '${String(priority)}'. Must be between 0 and 65535.`);
  }
  const allowed = arrayAt(out, 'allowed');
  const denied = arrayAt(out, 'denied');
  if ((allowed.length > 0) === (denied.length > 0)) throw invalid("Invalid value for field 'resource': exactly one of 'allowed' or 'denied' must be specified.");
  for (const [field, list] of [['allowed', allowed], ['denied', denied]] as const) {
    list.forEach((entry, i) => {
      if (!isObject(entry) || typeof entry.IPProtocol !== 'string' || entry.IPProtocol === '') throw invalid(`Invalid value for field 'resource.${field}[${i}].IPProtocol': ''. The protocol is required.`);
      for (const p of arrayAt(entry, 'ports')) {
        const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(String(p));
        if (!m || Number(m[1]) > 65535 || Number(m[2] ?? m[1]) > 65535 || Number(m[2] ?? m[1]) < Number(m[1])) {
          throw invalid(`Invalid value for field 'resource.${field}[${i}].ports': '${String(p)}'. Ports must be a port or a range such as 8000-8100.`);
        }
        if (!['tcp', 'udp', 'sctp', '6', '17', '132'].includes(entry.IPProtocol.toLowerCase())) {
          throw invalid(`Invalid value for field 'resource.${field}[${i}].ports': ports are only allowed for tcp, udp and sctp.`);
        }
      }
    });
  }
  for (const [i, r] of arrayAt(out, 'sourceRanges').entries()) {
    if (typeof r !== 'string' || ipv4Range(r) === undefined) throw invalid(`Invalid value for field 'resource.sourceRanges[${i}]': '${String(r)}'. Must be a valid IPv4 CIDR address range.`);
  }
  if (arrayAt(out, 'targetTags').length > 0 && arrayAt(out, 'targetServiceAccounts').length > 0) {
    throw invalid("Invalid value for field 'resource.targetServiceAccounts': target service accounts cannot be combined with target tags.");
  }
  if (out.direction === 'INGRESS' && ['sourceRanges', 'sourceTags', 'sourceServiceAccounts'].every((k) => arrayAt(out, k).length === 0)) out.sourceRanges = ['0.0.0.0/0'];
  return out;
}

const insert: Handler = (ctx, req) => {
  const ref = fwRef(req, checkName(req.body.name, 'resource.name'));
  if (ctx.store.has(ref)) throw alreadyExists(relativeName(ref));
  const body = normalize(ctx, ref, req.body);
  return mutate(ctx, req, ref, 'insert', () => ctx.store.insert(ref, 'compute#firewall', body).body.id as string);
};

const patch: Handler = (ctx, req) => {
  const ref = fwRef(req);
  const stored = ctx.store.get(ref);
  const merged = normalize(ctx, ref, { ...stored.body, ...req.body });
  return mutate(ctx, req, ref, 'patch', () => {
    stored.body = { ...merged, ...Object.fromEntries(OUTPUT_ONLY.map((k) => [k, stored.body[k]])) };
    return stored.body.id as string;
  });
};

const del: Handler = (ctx, req) => {
  const ref = fwRef(req);
  const stored = ctx.store.get(ref);
  return mutate(ctx, req, ref, 'delete', () => {
    ctx.store.delete(ref);
    return stored.body.id as string;
  });
};

const list: Handler = (ctx, req) => {
  const all = ctx.store.list(req.params.project!, 'global', '', 'firewalls').map((s) => structuredClone(s.body));
  const page = paginate(all, req.query);
  return listBody('compute#firewallList', fwRef(req, ''), page.items, page.nextToken);
};

export function firewallRoutes(): Route[] {
  const base = '/compute/v1/projects/{project}/global/firewalls';
  return [
    route('POST', base, 'compute.firewalls.insert', insert),
    route('GET', base, 'compute.firewalls.list', list),
    route('GET', `${base}/{firewall}`, 'compute.firewalls.get', (ctx, req) => structuredClone(ctx.store.get(fwRef(req)).body)),
    route('PATCH', `${base}/{firewall}`, 'compute.firewalls.patch', patch),
    route('DELETE', `${base}/{firewall}`, 'compute.firewalls.delete', del),
  ];
}

/** `tag:<t>` per network tag and `sa:<email>` per service account of the instance; [] when it is unknown. */
export function instanceTagsFor(ctx: ComputeContext, project: string, zone: string, name: string): string[] {
  const vm = ctx.store.find({ project, scopeKind: 'zones', scope: zone, collection: 'instances', name });
  if (!vm) return [];
  const tags = isObject(vm.body.tags) ? arrayAt(vm.body.tags, 'items').map((t) => `tag:${String(t)}`) : [];
  const accounts = arrayAt(vm.body, 'serviceAccounts').flatMap((a) => (isObject(a) && typeof a.email === 'string' ? [`sa:${a.email}`] : []));
  return [...tags, ...accounts];
}

/** The ranges of the active proxy-only subnets (purpose REGIONAL_MANAGED_PROXY, role ACTIVE). */
function proxyOnlyRanges(ctx: ComputeContext): string[] {
  return ctx.store
    .all('subnetworks')
    .filter((s) => s.body.purpose === 'REGIONAL_MANAGED_PROXY' && s.body.role === 'ACTIVE')
    .map((s) => String(s.body.ipCidrRange));
}

/** The engine's firewall rules for the project's VPC firewall rules, implied ingress deny included. */
export function engineFirewall(ctx: ComputeContext): FirewallRule[] {
  const proxyRanges = proxyOnlyRanges(ctx);
  const rules: FirewallRule[] = [
    { name: 'gcp-front-end', priority: 0, direction: 'to-listener', action: 'allow' },
    { name: 'gcp-implied-deny-ingress', priority: 65535, direction: 'to-target', action: 'deny' },
  ];
  for (const fw of ctx.store.all('firewalls')) {
    const rule = engineRule(fw, proxyRanges);
    if (rule) rules.push(rule);
  }
  return rules;
}

function engineRule(fw: StoredResource, proxyRanges: readonly string[]): FirewallRule | undefined {
  const b = fw.body;
  if (b.direction !== 'INGRESS' || b.disabled === true) return undefined;
  const allowed = arrayAt(b, 'allowed');
  const entries = (allowed.length > 0 ? allowed : arrayAt(b, 'denied')).filter(isObject);
  const tcp = entries.filter((e) => ['tcp', 'all', '6'].includes(String(e.IPProtocol).toLowerCase()));
  if (tcp.length === 0) return undefined;
  const ports = tcp.some((e) => arrayAt(e, 'ports').length === 0) ? [] : tcp.flatMap((e) => arrayAt(e, 'ports').map(String));
  const ranges = arrayAt(b, 'sourceRanges').map(String);
  const sourceTags = [
    ...arrayAt(b, 'sourceTags').map((t) => `tag:${String(t)}`),
    ...arrayAt(b, 'sourceServiceAccounts').map((a) => `sa:${String(a)}`),
    ...(HEALTH_CHECK_RANGES.every((r) => covered(ranges, r)) ? [HEALTH_CHECK_SOURCE] : []),
    ...(proxyRanges.length > 0 && proxyRanges.some((r) => covered(ranges, r)) ? [PROXY_SOURCE] : []),
  ];
  const targets = [...arrayAt(b, 'targetTags').map((t) => `tag:${String(t)}`), ...arrayAt(b, 'targetServiceAccounts').map((a) => `sa:${String(a)}`)];
  return {
    name: `vpc:${relativeName(fw.ref)}`,
    priority: Number(b.priority),
    direction: 'to-target',
    action: allowed.length > 0 ? 'allow' : 'deny',
    source: { cidrs: ranges, tags: sourceTags },
    ...(targets.length > 0 ? { destination: { tags: targets } } : {}),
    ...(ports.length > 0 ? { ports } : {}),
  };
}
