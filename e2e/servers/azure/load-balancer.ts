/**
 * Load balancer PUT bodies: validated and normalized the way the network resource provider
 * does it, so a client's mistakes surface as ARM's 400s:
 * - child names (frontends, pools, rules, probes, NAT rules, outbound rules) are required and
 *   unique per collection;
 * - every reference between children must name a child of this load balancer
 *   (`InvalidResourceReference` otherwise), and references to public IPs, subnets and
 *   virtual networks must name existing resources;
 * - enums, ports and timeouts are range-checked; defaults are filled in as ARM reports them.
 * Read-only properties a client echoes back (ids, etags, provisioningState, back-references)
 * are ignored. Child ids are not stored: they derive from the load balancer's id.
 */
import { badRequest, invalidRequestFormat } from './arm-errors.ts';
import type { ArmStore, ResourceRecord } from './arm-store.ts';
import { normalizeBackendPool } from './backend-pool.ts';
import { normalizeFrontend } from './frontend-ip.ts';
import { isObject, type Json, type JsonObject, objectAt } from './json.ts';
import { ChildRefs, childName, LB_CHILDREN, type LbChild } from './lb-child-refs.ts';
import { normalizeNatRule, normalizeOutboundRule, normalizeProbe, normalizeRule } from './lb-rules.ts';
import { arrayValue, enumValue, locationValue, objectValue, tagsValue } from './validate.ts';

export interface LoadBalancerWrite {
  readonly store: ArmStore;
  readonly id: string;
  readonly existing: ResourceRecord | undefined;
}

export interface NormalizedLoadBalancer {
  readonly body: JsonObject;
  /** Public IPs the frontends hold (dynamic ones get their address when the write is accepted). */
  readonly publicIps: readonly ResourceRecord[];
}

interface ChildContext {
  readonly write: LoadBalancerWrite;
  readonly refs: ChildRefs;
  readonly skuName: string;
  /** The frontends before this write, to keep dynamic private addresses stable. */
  readonly previous: Json;
  readonly takenPrivate: Set<string>;
  readonly publicIps: ResourceRecord[];
}

function normalizeChild(kind: LbChild, name: string, input: JsonObject, path: string, c: ChildContext): JsonObject {
  const id = c.refs.childId(kind, name);
  const p = objectValue(input['properties'], `${path}.properties`) ?? {};
  switch (kind) {
    case 'frontendIPConfigurations': {
      const fe = normalizeFrontend(name, input, path, {
        store: c.write.store,
        frontendId: id,
        loadBalancerId: c.write.id,
        loadBalancerSku: c.skuName,
        previous: c.previous,
        taken: c.takenPrivate,
      });
      if (fe.publicIp) {
        if (c.publicIps.includes(fe.publicIp)) {
          throw badRequest('PublicIPReferencedByMultipleIPConfigs', `Public IP address ${fe.publicIp.id} is referenced by more than one frontend IP configuration of ${c.write.id}.`);
        }
        c.publicIps.push(fe.publicIp);
      }
      return fe.child;
    }
    case 'backendAddressPools':
      return normalizeBackendPool(name, input, path, { store: c.write.store, poolId: id, loadBalancerSku: c.skuName });
    case 'probes':
      return { name, properties: normalizeProbe(p, `${path}.properties`, id) };
    case 'loadBalancingRules':
      return { name, properties: normalizeRule(p, `${path}.properties`, id, c.refs) };
    case 'inboundNatRules':
      return { name, properties: normalizeNatRule(p, `${path}.properties`, id, c.refs) };
    case 'outboundRules':
      return { name, properties: normalizeOutboundRule(p, `${path}.properties`, id, c.refs) };
    default:
      // inboundNatPools: kept as written (VM scale sets use them; Sluice does not).
      return { name, properties: { ...p } };
  }
}

/** Validates a load balancer PUT body and returns what to store. */
export function normalizeLoadBalancer(input: JsonObject, write: LoadBalancerWrite): NormalizedLoadBalancer {
  const location = locationValue(input['location']);
  const tags = tagsValue(input['tags']);
  const skuIn = objectValue(input['sku'], 'sku') ?? {};
  const skuName = enumValue(skuIn['name'], ['Basic', 'Standard', 'Gateway'] as const, 'sku.name', 'LoadBalancerSkuName') ?? 'Basic';
  const skuTier = enumValue(skuIn['tier'], ['Regional', 'Global'] as const, 'sku.tier', 'LoadBalancerSkuTier') ?? 'Regional';
  const propsIn = objectValue(input['properties'], 'properties') ?? {};
  const refs = new ChildRefs(write.id);
  const children = new Map<LbChild, Array<{ name: string; input: JsonObject; path: string }>>();
  for (const kind of LB_CHILDREN) {
    const list = arrayValue(propsIn[kind], `properties.${kind}`).map((c, i) => {
      const path = `properties.${kind}[${i}]`;
      if (!isObject(c)) throw invalidRequestFormat(path, 'A child resource must be an object.');
      const name = childName(c, path);
      refs.add(kind, name, path);
      return { name, input: c, path };
    });
    children.set(kind, list);
  }
  const props: JsonObject = {};
  const publicIps: ResourceRecord[] = [];
  const previous = objectAt(write.existing?.body, 'properties')?.['frontendIPConfigurations'] ?? [];
  const shared: ChildContext = { write, refs, skuName, previous, takenPrivate: new Set<string>(), publicIps };
  for (const kind of LB_CHILDREN) {
    props[kind] = children.get(kind)!.map((c) => normalizeChild(kind, c.name, c.input, c.path, shared));
  }
  const body: JsonObject = { location, sku: { name: skuName, tier: skuTier }, properties: props };
  if (tags) body['tags'] = tags;
  return { body, publicIps };
}

/** The stored children of one collection of a load balancer record. */
export function storedChildren(record: ResourceRecord, kind: LbChild): JsonObject[] {
  const props = record.body['properties'];
  const list = isObject(props) ? props[kind] : undefined;
  return Array.isArray(list) ? list.filter(isObject) : [];
}
