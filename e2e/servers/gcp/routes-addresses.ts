/**
 * Regional static addresses (`compute.addresses`), following "Reserve a static external IP
 * address" and "Reserve a static internal IP address" in the Compute Engine documentation and
 * the `Address` resource of the v1 REST reference:
 * - EXTERNAL (default) addresses are handed out from the server's address block; INTERNAL ones
 *   need a subnetwork of the region, and take the `address` asked for when it is free;
 * - `status` is RESERVED, or IN_USE with `users` while forwarding rules use it;
 * - an address in use cannot be deleted (400 resourceInUseByAnotherResource).
 * A forwarding rule names an address by its IP or by its URL (routes-frontends.ts); several
 * rules may share one as long as their ports do not overlap ("IP address sharing for
 * forwarding rules": an INTERNAL address must have purpose SHARED_LOADBALANCER_VIP to be shared).
 */
import { type ComputeContext, type Handler, inUse, listBody, mutate, paginate, type RequestInfo, resolve, route, type Route, usersOf } from './compute-context.ts';
import type { StoredResource } from './compute-store.ts';
import { alreadyExists, GceError, invalid } from './gce-errors.ts';
import type { JsonObject } from './json.ts';
import { checkName, type ResourceRef, relativeName } from './resource-refs.ts';

const OUTPUT_ONLY = ['kind', 'id', 'creationTimestamp', 'selfLink', 'region', 'name', 'status', 'users'];

function addrRef(req: RequestInfo, name = req.params.address ?? ''): ResourceRef {
  return { project: req.params.project!, scopeKind: 'regions', scope: req.params.region!, collection: 'addresses', name };
}

/** Every IP held by an address or a forwarding rule. */
export function usedIps(ctx: ComputeContext): Set<string> {
  return new Set([...ctx.store.all('addresses'), ...ctx.store.all('forwardingRules')].map((r) => String(r.body.address ?? r.body.IPAddress)));
}

/** The next free IP of the server's /24. */
export function allocateAddress(ctx: ComputeContext): string {
  const used = usedIps(ctx);
  for (let i = 0; i < 254; i++) {
    const host = ((ctx.nextAddress - 1 + i) % 254) + 1;
    const ip = `${ctx.addressPrefix}${host}`;
    if (!used.has(ip)) {
      ctx.nextAddress = (host % 254) + 1;
      return ip;
    }
  }
  throw new GceError(403, 'quotaExceeded', "Quota 'IN_USE_ADDRESSES' exceeded.  Limit: 254.0 in region.", { domain: 'usageLimits' });
}

/** The address a forwarding rule's `IPAddress` names (by URL, or by IP in the rule's region), if any. */
export function addressOf(ctx: ComputeContext, rule: ResourceRef, value: string): StoredResource | undefined {
  if (value.includes('/addresses/')) return resolve(ctx, value, 'addresses', { project: rule.project, scopeKind: 'regions', scope: rule.scope }, 'resource.IPAddress');
  return ctx.store.list(rule.project, 'regions', rule.scope, 'addresses').find((a) => a.body.address === value);
}

const insert: Handler = (ctx, req) => {
  const ref = addrRef(req, checkName(req.body.name, 'resource.name'));
  if (ctx.store.has(ref)) throw alreadyExists(relativeName(ref));
  const body: JsonObject = { addressType: 'EXTERNAL', ...structuredClone(req.body) };
  for (const k of OUTPUT_ONLY) delete body[k];
  if (body.addressType !== 'EXTERNAL' && body.addressType !== 'INTERNAL') {
    throw invalid(`Invalid value for field 'resource.addressType': '${String(body.addressType)}'. Must be EXTERNAL or INTERNAL.`);
  }
  if (body.addressType === 'INTERNAL') {
    const sub = resolve(ctx, body.subnetwork, 'subnetworks', { project: ref.project, scopeKind: 'regions', scope: ref.scope }, 'resource.subnetwork');
    body.subnetwork = sub.body.selfLink as string;
  } else if (body.subnetwork !== undefined) {
    throw invalid("Invalid value for field 'resource.subnetwork': an EXTERNAL address cannot name a subnetwork.");
  }
  if (typeof body.address === 'string' && usedIps(ctx).has(body.address)) throw invalid(`Invalid value for field 'resource.address': '${body.address}'. The IP address is already in use.`);
  if (typeof body.address !== 'string') body.address = allocateAddress(ctx);
  return mutate(ctx, req, ref, 'insert', () => ctx.store.insert(ref, 'compute#address', { ...body, status: 'RESERVED' }).body.id as string);
};

function view(ctx: ComputeContext, stored: StoredResource): JsonObject {
  const users = usersOf(ctx, 'forwardingRules', stored.ref, (b) => (b.IPAddress === stored.body.address ? [stored.body.selfLink as string] : []));
  return { ...structuredClone(stored.body), status: users.length > 0 ? 'IN_USE' : 'RESERVED', ...(users.length > 0 ? { users: users.map((u) => u.body.selfLink as string) } : {}) };
}

const get: Handler = (ctx, req) => view(ctx, ctx.store.get(addrRef(req)));

const del: Handler = (ctx, req) => {
  const ref = addrRef(req);
  const stored = ctx.store.get(ref);
  const user = usersOf(ctx, 'forwardingRules', ref, (b) => (b.IPAddress === stored.body.address ? [stored.body.selfLink as string] : []))[0];
  if (user) throw inUse('address', ref, user.ref);
  return mutate(ctx, req, ref, 'delete', () => {
    ctx.store.delete(ref);
    return stored.body.id as string;
  });
};

const list: Handler = (ctx, req) => {
  const all = ctx.store.list(req.params.project!, 'regions', req.params.region!, 'addresses').map((s) => view(ctx, s));
  const page = paginate(all, req.query);
  return listBody('compute#addressList', addrRef(req, ''), page.items, page.nextToken);
};

export function addressRoutes(): Route[] {
  const base = '/compute/v1/projects/{project}/regions/{region}/addresses';
  return [
    route('POST', base, 'compute.addresses.insert', insert),
    route('GET', base, 'compute.addresses.list', list),
    route('GET', `${base}/{address}`, 'compute.addresses.get', get),
    route('DELETE', `${base}/{address}`, 'compute.addresses.delete', del),
  ];
}
