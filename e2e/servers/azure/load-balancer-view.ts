/**
 * The ARM representation of a load balancer and of each child resource: full ids, the
 * child `type`, the load balancer's etag and provisioning state on every child, and the
 * read-only back-references ARM computes (which rules use a frontend, pool or probe; which
 * NIC IP configurations sit in a pool; the port each pool address got from an inbound NAT
 * rule with a port range). Every collection is present, empty or not.
 */
import type { ArmStore, ResourceRecord } from './arm-store.ts';
import { isObject, type Json, type JsonObject, objectAt, refAt, stringAt } from './json.ts';
import { storedChildren } from './load-balancer.ts';
import { LB_CHILDREN, type LbChild } from './lb-child-refs.ts';
import { nicIpConfigurations } from './network-interface.ts';
import { idKey, LB_TYPE } from './resource-ids.ts';


interface Link {
  /** The referencing child's id. */
  readonly from: string;
  readonly fromKind: LbChild | 'nic';
  /** The referenced id, folded. */
  readonly to: string;
  readonly via: string;
}

function refIds(value: Json | undefined): string[] {
  if (isObject(value)) return typeof value['id'] === 'string' ? [value['id']] : [];
  if (Array.isArray(value)) return value.flatMap(refIds);
  return [];
}

/** Every reference between this load balancer's children, plus NIC IP configurations pointing in. */
function links(record: ResourceRecord, store: ArmStore): Link[] {
  const out: Link[] = [];
  for (const kind of ['loadBalancingRules', 'inboundNatRules', 'inboundNatPools', 'outboundRules'] as const) {
    for (const child of storedChildren(record, kind)) {
      const from = `${record.id}/${kind}/${stringAt(child, 'name')}`;
      for (const [via, value] of Object.entries(objectAt(child, 'properties') ?? {})) {
        for (const to of refIds(value)) out.push({ from, fromKind: kind, to: idKey(to), via });
      }
    }
  }
  for (const c of nicIpConfigurations(store)) {
    for (const to of c.backendPoolIds) out.push({ from: c.id, fromKind: 'nic', to: idKey(to), via: 'loadBalancerBackendAddressPools' });
    for (const to of c.inboundNatRuleIds) out.push({ from: c.id, fromKind: 'nic', to: idKey(to), via: 'loadBalancerInboundNatRules' });
  }
  return out;
}

function backRefs(all: Link[], id: string, fromKind: Link['fromKind']): JsonObject[] {
  const key = idKey(id);
  const seen = new Set<string>();
  const out: JsonObject[] = [];
  for (const l of all) {
    if (l.to === key && l.fromKind === fromKind && !seen.has(idKey(l.from))) {
      seen.add(idKey(l.from));
      out.push({ id: l.from });
    }
  }
  return out;
}

function setIfAny(target: JsonObject, key: string, refs: JsonObject[]): void {
  if (refs.length > 0) target[key] = refs;
}

/** Ports an inbound NAT rule with a frontend port range gives each address of its pool, in pool order. */
function portMappings(record: ResourceRecord, poolId: string, addressIndex: number): JsonObject[] {
  const out: JsonObject[] = [];
  for (const rule of storedChildren(record, 'inboundNatRules')) {
    const p = objectAt(rule, 'properties');
    const start = p?.['frontendPortRangeStart'];
    const end = p?.['frontendPortRangeEnd'];
    const pool = refAt(p, 'backendAddressPool');
    if (typeof start !== 'number' || typeof end !== 'number' || pool === undefined || idKey(pool) !== idKey(poolId)) continue;
    const port = start + addressIndex;
    if (port <= end) out.push({ inboundNatRuleName: stringAt(rule, 'name')!, frontendPort: port, backendPort: (p?.['backendPort'] ?? 0) as Json });
  }
  return out;
}

function renderChild(record: ResourceRecord, kind: LbChild, child: JsonObject, all: Link[]): JsonObject {
  const name = stringAt(child, 'name')!;
  const id = `${record.id}/${kind}/${name}`;
  const props: JsonObject = { provisioningState: record.provisioningState, ...(objectAt(child, 'properties') ?? {}) };
  switch (kind) {
    case 'frontendIPConfigurations':
      setIfAny(props, 'loadBalancingRules', backRefs(all, id, 'loadBalancingRules'));
      setIfAny(props, 'inboundNatRules', backRefs(all, id, 'inboundNatRules'));
      setIfAny(props, 'inboundNatPools', backRefs(all, id, 'inboundNatPools'));
      setIfAny(props, 'outboundRules', backRefs(all, id, 'outboundRules'));
      break;
    case 'backendAddressPools': {
      const addresses = props['loadBalancerBackendAddresses'];
      if (Array.isArray(addresses)) {
        props['loadBalancerBackendAddresses'] = addresses.filter(isObject).map((a, i) => {
          const mappings = portMappings(record, id, i);
          if (mappings.length === 0) return a;
          return { ...a, properties: { ...(objectAt(a, 'properties') ?? {}), inboundNatRulesPortMapping: mappings } };
        });
      }
      setIfAny(props, 'backendIPConfigurations', backRefs(all, id, 'nic'));
      setIfAny(props, 'loadBalancingRules', backRefs(all, id, 'loadBalancingRules'));
      setIfAny(props, 'inboundNatRules', backRefs(all, id, 'inboundNatRules'));
      const outbound = backRefs(all, id, 'outboundRules');
      if (outbound.length > 0) {
        props['outboundRule'] = outbound[0]!;
        props['outboundRules'] = outbound;
      }
      break;
    }
    case 'probes':
      setIfAny(props, 'loadBalancingRules', backRefs(all, id, 'loadBalancingRules'));
      break;
    case 'inboundNatRules': {
      const nic = backRefs(all, id, 'nic');
      if (nic.length > 0) props['backendIPConfiguration'] = nic[0]!;
      break;
    }
    default:
      break;
  }
  const out: JsonObject = { name, id, etag: record.etag, type: `${LB_TYPE}/${kind}`, properties: props };
  if (Array.isArray(child['zones'])) out['zones'] = child['zones'];
  return out;
}

/** The whole load balancer as GET answers it. */
export function renderLoadBalancer(record: ResourceRecord, store: ArmStore): JsonObject {
  const all = links(record, store);
  const props: JsonObject = { provisioningState: record.provisioningState, resourceGuid: record.resourceGuid };
  for (const kind of LB_CHILDREN) props[kind] = storedChildren(record, kind).map((c) => renderChild(record, kind, c, all));
  const out: JsonObject = {
    name: record.ref.names[0]!,
    id: record.id,
    etag: record.etag,
    type: LB_TYPE,
    location: stringAt(record.body, 'location') ?? '',
    sku: (record.body['sku'] ?? { name: 'Basic', tier: 'Regional' }) as Json,
    properties: props,
  };
  const tags = objectAt(record.body, 'tags');
  if (tags) out['tags'] = tags;
  return out;
}

/** One child as `GET …/loadBalancers/{lb}/{kind}/{name}` answers it; undefined when absent. */
export function renderLoadBalancerChild(record: ResourceRecord, store: ArmStore, kind: LbChild, name: string): JsonObject | undefined {
  const child = storedChildren(record, kind).find((c) => stringAt(c, 'name')?.toLowerCase() === name.toLowerCase());
  return child === undefined ? undefined : renderChild(record, kind, child, links(record, store));
}
