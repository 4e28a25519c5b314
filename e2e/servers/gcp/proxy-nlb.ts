/**
 * The proxy Network Load Balancer twin's data plane: what the Compute resources of a regional
 * proxy NLB mean for traffic, programmed into a `@sluice/dataplane` engine (in process or a
 * `sluice-dataplane` process) after every accepted change, by level, from the store alone.
 *
 * - One target group per backend service (and per `proxyHeader` its proxies ask for): its
 *   targets are the endpoints of every NEG backend ("Regional external proxy Network Load
 *   Balancer overview: backend services and NEG backends"), its health check the backend
 *   service's health check with the check's interval, timeout and thresholds ("Health checks
 *   overview: how health checks work"; `USE_SERVING_PORT` checks the endpoint's own port), its
 *   drain mode NEG detach under `connectionDraining.drainingTimeoutSec` ("Enable connection
 *   draining": a detached endpoint gets no new connections; open ones get the timeout, 0
 *   closes them at once), and PROXY v1 when the target TCP proxy says `PROXY_V1` ("Update
 *   proxy protocol header for target TCP proxies").
 * - One listener per forwarding rule of a target TCP proxy: the rule's IP and `portRange`.
 *   Forwarding rule IPs outside the twin's bindable block (see compute-server.ts
 *   `addressBlock`) have no listener: nothing on this host may bind them.
 * - Health the API reports (`getHealth`, `listNetworkEndpoints` with `healthStatus: SHOW`)
 *   is the engine's view of the target ({@link healthOf}).
 * - The engine's firewall is the VPC firewall (vpc-firewall.ts): health checks and proxy
 *   traffic come from the sources Google documents, modelled by {@link HEALTH_CHECK_SOURCE}
 *   and {@link PROXY_SOURCE}.
 */
import type { DataPlane, FirewallRule, HealthCheckSpec, TargetGroupSpec, TargetHealth, TargetSpec } from '@sluice/dataplane';
import type { ComputeContext } from './compute-context.ts';
import type { StoredResource } from './compute-store.ts';
import { arrayAt, isObject, type JsonObject } from './json.ts';
import { lastSegment, parseRef, relativeName } from './resource-refs.ts';
import { engineFirewall, HEALTH_CHECK_SOURCE, instanceTagsFor, PROXY_SOURCE } from './vpc-firewall.ts';

/** What Compute's `healthState` says for an endpoint, from the engine's target state. */
export type TwinHealthState = 'HEALTHY' | 'UNHEALTHY' | 'UNKNOWN';

export interface ProxyNlbTwinOptions {
  readonly dataPlane: DataPlane;
  /** True for an IP a listener may bind (the forwarding rule address block). */
  readonly bindable: (ip: string) => boolean;
  /** Where failures to program the engine are reported. @default console.error */
  readonly onError?: (error: unknown) => void;
}

interface Desired {
  readonly groups: Map<string, { spec: TargetGroupSpec; health: HealthCheckSpec | undefined; targets: TargetSpec[] }>;
  readonly listeners: Map<string, { address: string; port: number; targetGroup: string }>;
  readonly firewall: FirewallRule[];
}

export class ProxyNlbTwin {
  readonly dataPlane: DataPlane;
  readonly #bindable: (ip: string) => boolean;
  readonly #onError: (error: unknown) => void;
  /** What was last applied, as JSON, per object: nothing is re-sent unless it changed. */
  readonly #applied = new Map<string, string>();
  #chain: Promise<void> = Promise.resolve();

  constructor(options: ProxyNlbTwinOptions) {
    this.dataPlane = options.dataPlane;
    this.#bindable = options.bindable;
    this.#onError = options.onError ?? ((error) => console.error('proxy-NLB twin:', error));
  }

  /**
   * Programs the engine from the store; calls run one after another, each seeing the state
   * when it starts. Never rejects: a failure is reported and the next sync tries again.
   */
  sync(ctx: ComputeContext): Promise<void> {
    this.#chain = this.#chain.then(() => this.#apply(ctx)).catch((error: unknown) => this.#onError(error));
    return this.#chain;
  }

  /** `ip:port` -> health of every endpoint the backend service `bsLink` load-balances to. */
  async healthOf(bsLink: string): Promise<Map<string, TwinHealthState>> {
    await this.#chain;
    const out = new Map<string, TwinHealthState>();
    const group = [...this.#groupNames()].find((name) => name.startsWith(groupPrefix(bsLink)));
    if (group === undefined) return out;
    let targets: TargetHealth[];
    try {
      targets = await this.dataPlane.targetHealth(group);
    } catch {
      return out;
    }
    for (const t of targets) {
      if (t.state === 'draining') continue;
      out.set(`${t.ip}:${t.port}`, t.state === 'healthy' ? 'HEALTHY' : t.state === 'unhealthy' ? 'UNHEALTHY' : 'UNKNOWN');
    }
    return out;
  }

  *#groupNames(): Iterable<string> {
    for (const key of this.#applied.keys()) if (key.startsWith('tg:')) yield key.slice(3);
  }

  async #apply(ctx: ComputeContext): Promise<void> {
    const want = desired(ctx, this.#bindable);
    const dp = this.dataPlane;
    for (const [name, g] of want.groups) {
      await this.#put(`tg:${name}`, g.spec, () => dp.putTargetGroup(g.spec));
      if (g.health) await this.#put(`hc:${name}`, g.health, () => dp.putHealthCheck(name, g.health as HealthCheckSpec));
      await this.#put(`targets:${name}`, g.targets, () => dp.setTargets(name, g.targets));
    }
    for (const rule of want.firewall) await this.#put(`fw:${rule.name}`, rule, () => dp.putFirewallRule(rule));
    for (const [name, l] of want.listeners) {
      await this.#put(`listener:${name}`, l, () => dp.putListener({ name, ...l }));
    }
    for (const key of [...this.#applied.keys()]) {
      const [kind, ...rest] = key.split(':');
      const name = rest.join(':');
      const stale = (kind === 'listener' && !want.listeners.has(name)) || (kind === 'fw' && !want.firewall.some((r) => r.name === name));
      if (!stale) continue;
      await (kind === 'listener' ? dp.deleteListener(name) : dp.deleteFirewallRule(name));
      this.#applied.delete(key);
    }
    for (const key of [...this.#applied.keys()]) {
      const [kind, ...rest] = key.split(':');
      const name = rest.join(':');
      if (kind === 'tg' && !want.groups.has(name)) {
        await dp.deleteTargetGroup(name);
        for (const k of ['tg', 'hc', 'targets']) this.#applied.delete(`${k}:${name}`);
      }
    }
  }

  async #put(key: string, value: unknown, put: () => Promise<unknown>): Promise<void> {
    const json = JSON.stringify(value);
    if (this.#applied.get(key) === json) return;
    await put();
    this.#applied.set(key, json);
  }
}

function groupPrefix(bsLink: string): string {
  return `${bsLink.replace(/^https?:\/\/[^/]+\/compute\/v1\//, '')}#`;
}

function groupName(bs: StoredResource, header: string): string {
  return `${relativeName(bs.ref)}#${header}`;
}

/** Everything the engine should hold, from the store. */
function desired(ctx: ComputeContext, bindable: (ip: string) => boolean): Desired {
  const groups: Desired['groups'] = new Map();
  const listeners: Desired['listeners'] = new Map();
  const proxies = ctx.store.all('targetTcpProxies');
  const services = ctx.store.all('backendServices');
  for (const bs of services) {
    const link = bs.body.selfLink as string;
    const headers = new Set(proxies.filter((p) => p.body.service === link).map((p) => String(p.body.proxyHeader ?? 'NONE')));
    if (headers.size === 0) headers.add('NONE');
    const draining = isObject(bs.body.connectionDraining) ? Number(bs.body.connectionDraining.drainingTimeoutSec ?? 0) : 0;
    const health = healthCheckOf(ctx, bs);
    const targets = targetsOf(ctx, bs);
    for (const header of headers) {
      const name = groupName(bs, header);
      const spec: TargetGroupSpec = {
        name,
        drain: { mode: 'detach', drainingTimeoutMs: draining * 1000 },
        proxyProtocol: header === 'PROXY_V1' ? 'v1' : 'none',
        proxySource: { tags: [PROXY_SOURCE] },
      };
      groups.set(name, { spec, health, targets });
    }
  }
  for (const rule of ctx.store.all('forwardingRules')) {
    const ip = rule.body.IPAddress;
    const port = /^(\d+)/.exec(String(rule.body.portRange ?? ''))?.[1];
    const proxy = proxies.find((p) => p.body.selfLink === rule.body.target);
    const bs = services.find((s) => s.body.selfLink === proxy?.body.service);
    if (typeof ip !== 'string' || !bindable(ip) || port === undefined || !proxy || !bs) continue;
    listeners.set(relativeName(rule.ref), { address: ip, port: Number(port), targetGroup: groupName(bs, String(proxy.body.proxyHeader ?? 'NONE')) });
  }
  return { groups, listeners, firewall: engineFirewall(ctx) };
}

/** The backend service's health check as the engine runs it (TCP and HTTP; other types are checked as TCP connects). */
function healthCheckOf(ctx: ComputeContext, bs: StoredResource): HealthCheckSpec | undefined {
  const link = arrayAt(bs.body, 'healthChecks')[0];
  const hc = ctx.store.all('healthChecks').find((h) => h.body.selfLink === link)?.body;
  if (!hc) return undefined;
  const http = hc.type === 'HTTP' && isObject(hc.httpHealthCheck) ? hc.httpHealthCheck : undefined;
  const sub = (http ?? (isObject(hc.tcpHealthCheck) ? hc.tcpHealthCheck : {})) as JsonObject;
  const fixed = sub.portSpecification === 'USE_FIXED_PORT' || (sub.portSpecification === undefined && typeof sub.port === 'number');
  return {
    protocol: http ? 'http' : 'tcp',
    ...(fixed && typeof sub.port === 'number' ? { port: sub.port } : {}),
    ...(http && typeof http.requestPath === 'string' ? { path: http.requestPath } : {}),
    intervalMs: Number(hc.checkIntervalSec) * 1000,
    timeoutMs: Number(hc.timeoutSec) * 1000,
    healthyThreshold: Number(hc.healthyThreshold),
    unhealthyThreshold: Number(hc.unhealthyThreshold),
    source: { tags: [HEALTH_CHECK_SOURCE] },
  };
}

/** Every endpoint of every NEG backend, tagged with its instance's network tags and service accounts. */
function targetsOf(ctx: ComputeContext, bs: StoredResource): TargetSpec[] {
  const out = new Map<string, TargetSpec>();
  for (const b of arrayAt(bs.body, 'backends')) {
    if (!isObject(b) || typeof b.group !== 'string') continue;
    const ref = parseRef(b.group, 'networkEndpointGroups', { project: bs.ref.project, scopeKind: 'zones', scope: '' }, 'group');
    for (const e of ctx.endpoints.get(relativeName(ref)) ?? []) {
      const instance = e.instance === undefined ? undefined : lastSegment(e.instance);
      const tags = instance === undefined ? [] : instanceTagsFor(ctx, ref.project, ref.scope, instance);
      out.set(`${e.ipAddress}:${e.port}`, { ip: e.ipAddress, port: e.port, registration: instance ?? '', tags });
    }
  }
  return [...out.values()].sort((a, b) => (a.ip === b.ip ? a.port - b.port : a.ip < b.ip ? -1 : 1));
}
