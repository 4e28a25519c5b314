/**
 * What a Standard load balancer's data plane is, computed from the ARM store (pure): per
 * load-balancing rule one listener on its frontend's address and port and one target group
 * of its pool's IP addresses on the rule's backend port, checked by the rule's probe.
 * Each behaviour follows the Azure Load Balancer documentation named beside it.
 *
 * What the twin cannot carry is left out, never approximated: rules of Basic load balancers
 * (no IP-based pools: "Backend pool management"), UDP and `All` rules (the engine is TCP
 * only), HTTPS probes (the engine's checks are TCP and plain HTTP), frontends whose address
 * is not a loopback address this host can bind (the twin gives public IPs such addresses;
 * private frontends keep their virtual-network address and get no listener).
 */
import type { HealthCheckSpec, ListenerSpec, TargetGroupSpec, TargetSpec } from '@sluice/dataplane';
import type { ArmStore, ResourceRecord } from './arm-store.ts';
import { isObject, type JsonObject, objectAt, refAt, stringAt } from './json.ts';
import { storedChildren } from './load-balancer.ts';
import { idKey, LB_TYPE } from './resource-ids.ts';
import { cidrContains } from './virtual-network.ts';

/** The source tags a health probe carries: probes come from the `AzureLoadBalancer` service tag (168.63.129.16), "Azure Load Balancer health probes: Probe source IP address". */
export const PROBE_SOURCE_TAGS: readonly string[] = ['AzureLoadBalancer'];

export interface SlbRuleModel {
  /** The data plane name of the rule's listener and target group: the rule's folded resource id. */
  readonly key: string;
  readonly loadBalancerId: string;
  readonly ruleName: string;
  readonly location: string;
  readonly listener: ListenerSpec;
  readonly group: TargetGroupSpec;
  /** Undefined: the rule has no probe, its addresses count as healthy. */
  readonly healthCheck: HealthCheckSpec | undefined;
  readonly targets: readonly TargetSpec[];
}

/** A rule the twin cannot carry, and why (one sentence). */
export interface SlbSkipped {
  readonly key: string;
  readonly reason: string;
}

export interface SlbModel {
  readonly rules: readonly SlbRuleModel[];
  readonly skipped: readonly SlbSkipped[];
}

const isLoopbackV4 = (ip: string | undefined): ip is string => ip !== undefined && /^\d+\.\d+\.\d+\.\d+$/.test(ip) && cidrContains('127.0.0.0/8', ip);

function frontendAddress(store: ArmStore, lb: ResourceRecord, frontendId: string | undefined): string | undefined {
  if (frontendId === undefined) return undefined;
  const fe = storedChildren(lb, 'frontendIPConfigurations').find((f) => idKey(`${lb.id}/frontendIPConfigurations/${stringAt(f, 'name')}`) === idKey(frontendId));
  const props = objectAt(fe, 'properties');
  const pipId = refAt(props, 'publicIPAddress');
  if (pipId !== undefined) return stringAt(objectAt(store.get(pipId)?.body, 'properties'), 'ipAddress');
  return stringAt(props, 'privateIPAddress');
}

function child(lb: ResourceRecord, kind: 'probes' | 'backendAddressPools', id: string | undefined): JsonObject | undefined {
  if (id === undefined) return undefined;
  return storedChildren(lb, kind).find((c) => idKey(`${lb.id}/${kind}/${stringAt(c, 'name')}`) === idKey(id));
}

/**
 * The probe as a health check. "Azure Load Balancer health probes": `intervalInSeconds` between
 * probes; `probeThreshold` consecutive results mark an address up or down (both ways); an
 * HTTP probe needs a 200; the probe's own port, not the rule's. A probe times out after its
 * interval at the latest (Azure sends the next one then).
 */
function healthCheckOf(probe: JsonObject | undefined): HealthCheckSpec | undefined | 'https' {
  const p = objectAt(probe, 'properties');
  if (p === undefined) return undefined;
  const protocol = stringAt(p, 'protocol');
  if (protocol === 'Https') return 'https';
  const intervalMs = Number(p['intervalInSeconds'] ?? 15) * 1000;
  const threshold = Number(p['probeThreshold'] ?? 1);
  return {
    protocol: protocol === 'Http' ? 'http' : 'tcp',
    port: Number(p['port']),
    ...(protocol === 'Http' ? { path: stringAt(p, 'requestPath') ?? '/', matcher: '200' } : {}),
    intervalMs,
    timeoutMs: intervalMs,
    healthyThreshold: threshold,
    unhealthyThreshold: threshold,
    source: { tags: PROBE_SOURCE_TAGS },
  };
}

/** "Backend pool management: admin state": `Down` takes no new flows and keeps established TCP ones, `Up` takes flows whatever the probe says, `None` follows the probe. */
function adminStateOf(value: string | undefined): TargetSpec['adminState'] {
  return value === 'Up' ? 'up' : value === 'Down' ? 'down' : 'none';
}

function targetsOf(pools: readonly JsonObject[], backendPort: number): TargetSpec[] {
  const out = new Map<string, TargetSpec>();
  for (const pool of pools) {
    const addresses = objectAt(pool, 'properties')?.['loadBalancerBackendAddresses'];
    for (const a of Array.isArray(addresses) ? addresses.filter(isObject) : []) {
      const p = objectAt(a, 'properties');
      const ip = stringAt(p, 'ipAddress');
      if (ip === undefined) continue;
      out.set(ip, { ip, port: backendPort, adminState: adminStateOf(stringAt(p, 'adminState')), registration: stringAt(a, 'name') ?? '' });
    }
  }
  return [...out.values()].sort((a, b) => (a.ip < b.ip ? -1 : a.ip > b.ip ? 1 : 0));
}

function ruleModel(store: ArmStore, lb: ResourceRecord, rule: JsonObject): SlbRuleModel | SlbSkipped {
  const name = stringAt(rule, 'name') ?? '';
  const key = idKey(`${lb.id}/loadBalancingRules/${name}`);
  const p = objectAt(rule, 'properties') ?? {};
  const protocol = stringAt(p, 'protocol');
  if (protocol !== 'Tcp') return { key, reason: `rule ${name} uses protocol ${protocol}: the twin's data plane carries TCP only.` };
  const address = frontendAddress(store, lb, refAt(p, 'frontendIPConfiguration'));
  if (!isLoopbackV4(address)) return { key, reason: `rule ${name}'s frontend has address ${address ?? 'none'}: the twin binds listeners on 127.0.0.0/8 only.` };
  const health = healthCheckOf(child(lb, 'probes', refAt(p, 'probe')));
  if (health === 'https') return { key, reason: `rule ${name}'s probe uses Https: the twin's data plane probes TCP and HTTP only.` };
  const poolIds = [refAt(p, 'backendAddressPool'), ...(Array.isArray(p['backendAddressPools']) ? p['backendAddressPools'].filter(isObject).map((r) => stringAt(r, 'id')) : [])];
  const pools = poolIds.map((id) => child(lb, 'backendAddressPools', id)).filter((x): x is JsonObject => x !== undefined);
  const backendPort = Number(p['backendPort']);
  const probe = objectAt(child(lb, 'probes', refAt(p, 'probe')), 'properties');
  return {
    key,
    loadBalancerId: lb.id,
    ruleName: name,
    location: stringAt(lb.body, 'location') ?? '',
    listener: { name: key, address, port: Number(p['frontendPort']), targetGroup: key },
    group: {
      name: key,
      // Removing an address from the pool ends it there; adminState Down is the drain ("Backend pool management").
      drain: { mode: 'weight0' },
      // "Azure Load Balancer health probes: probe down behavior": with every instance probed down no new flow
      // is sent, unless the probe says `noHealthyBackendsBehavior: AllProbedUp`.
      failOpen: stringAt(probe, 'noHealthyBackendsBehavior') === 'AllProbedUp',
      // A Standard load balancer is pass-through: the backend (and its NSG) sees the client's address
      // ("What is Azure Load Balancer?": a layer 4 pass-through load balancer).
      preserveClientIp: true,
      // "Load Balancer TCP Reset and Idle Timeout": a flow idle for the rule's idleTimeoutInMinutes
      // (default 4) is ended; with enableTcpReset both ends get a TCP RST, without it the flow is
      // dropped silently and the endpoints learn nothing until they send.
      idleTimeoutMs: Number(p['idleTimeoutInMinutes'] ?? 4) * 60_000,
      idleAction: p['enableTcpReset'] === true ? 'reset' : 'drop',
    },
    healthCheck: health,
    targets: targetsOf(pools, backendPort),
  };
}

/** The data plane every Standard load balancer in `store` asks for (the store must be settled first). */
export function slbModel(store: ArmStore): SlbModel {
  const rules: SlbRuleModel[] = [];
  const skipped: SlbSkipped[] = [];
  for (const lb of store.list(LB_TYPE)) {
    if (stringAt(objectAt(lb.body, 'sku'), 'name') !== 'Standard') continue;
    for (const rule of storedChildren(lb, 'loadBalancingRules')) {
      const m = ruleModel(store, lb, rule);
      if ('listener' in m) rules.push(m);
      else skipped.push(m);
    }
  }
  return { rules, skipped };
}
