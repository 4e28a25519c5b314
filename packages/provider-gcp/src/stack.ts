/**
 * The parts of one Service's proxy Network Load Balancer and how each is read, created and
 * converged: a regional TCP health check, zonal NEGs, a regional backend service, and per
 * Service port a regional target TCP proxy and forwarding rule. Every read that finds a
 * part of the Service's name checks its ownership first; a part named like Sluice's but
 * not recorded as this cluster's and this Service's is refused, never changed.
 */
import type { protos } from '@google-cloud/compute';
import { type ServiceSpecView, TerminalError } from '@sluice/core';
import { type GcpServiceSettings, PROXY_PROTOCOL_ANNOTATION } from './annotations.ts';
import { isNotFound, isPreconditionFailed } from './errors.ts';
import type { GcpApi } from './gcp-api.ts';
import { type ResourceNames, resourcePath, sameResource } from './names.ts';
import { describeOwner, isOwned, ownerDescription } from './ownership.ts';

export type BackendService = protos.google.cloud.compute.v1.IBackendService;
export type HealthCheck = protos.google.cloud.compute.v1.IHealthCheck;
export type Neg = protos.google.cloud.compute.v1.INetworkEndpointGroup;
export type ForwardingRule = protos.google.cloud.compute.v1.IForwardingRule;
export type TargetTcpProxy = protos.google.cloud.compute.v1.ITargetTcpProxy;

/** What every step needs. */
export interface StackContext {
  readonly api: GcpApi;
  readonly clusterName: string;
  readonly service: ServiceSpecView;
  readonly names: ResourceNames;
  readonly network: string;
  readonly subnetwork: string | undefined;
}

/** Undefined on 404; anything else rethrown. */
export async function orAbsent<T>(read: Promise<T>): Promise<T | undefined> {
  try {
    return await read;
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/** Throws a TerminalError unless the resource is this Service's. */
export function requireOwned(ctx: StackContext, kind: string, resource: { name?: string | null; description?: string | null }): void {
  if (isOwned(resource, ctx.names.prefix, ctx.clusterName, ctx.service)) return;
  throw new TerminalError(
    `${kind} ${resource.name} exists but is not owned by Service ${ctx.service.namespace}/${ctx.service.name} of cluster ${ctx.clusterName}: ${describeOwner(resource.description)}; Sluice will not change it.`,
    { reason: 'NotOwned' },
  );
}

function regionPath(ctx: StackContext, kind: string, name: string): string {
  return `projects/${ctx.api.project}/regions/${ctx.api.region}/${kind}/${name}`;
}

export function negPath(ctx: StackContext, zone: string, name: string): string {
  return `projects/${ctx.api.project}/zones/${zone}/networkEndpointGroups/${name}`;
}

export function scheme(settings: GcpServiceSettings): string {
  return settings.internal ? 'INTERNAL_MANAGED' : 'EXTERNAL_MANAGED';
}

// ---- health check -------------------------------------------------------------------

export function readHealthCheck(ctx: StackContext, signal: AbortSignal): Promise<HealthCheck | undefined> {
  const { api } = ctx;
  return orAbsent(
    api.call('regionHealthChecks.get', signal, (o) => api.clients.regionHealthChecks.get({ project: api.project, region: api.region, healthCheck: ctx.names.healthCheck }, o)).then((r) => r[0]),
  );
}

function healthCheckSpec(ctx: StackContext, settings: GcpServiceSettings): HealthCheck {
  return {
    name: ctx.names.healthCheck,
    description: ownerDescription(ctx.clusterName, ctx.service),
    type: 'TCP',
    tcpHealthCheck: { portSpecification: 'USE_SERVING_PORT' },
    checkIntervalSec: settings.checkIntervalSec,
    timeoutSec: settings.timeoutSec,
    healthyThreshold: settings.healthyThreshold,
    unhealthyThreshold: settings.unhealthyThreshold,
  };
}

/** Creates or converges the health check; returns its path. */
export async function ensureHealthCheck(ctx: StackContext, settings: GcpServiceSettings, signal: AbortSignal): Promise<string> {
  const { api } = ctx;
  const spec = healthCheckSpec(ctx, settings);
  const path = regionPath(ctx, 'healthChecks', ctx.names.healthCheck);
  const scope = { region: api.region };
  const current = await readHealthCheck(ctx, signal);
  if (!current) {
    await api.mutate('regionHealthChecks.insert', scope, signal, (o) =>
      api.clients.regionHealthChecks.insert({ project: api.project, region: api.region, healthCheckResource: spec }, o),
    );
    return path;
  }
  requireOwned(ctx, 'Health check', current);
  const same =
    current.type === 'TCP' &&
    current.tcpHealthCheck?.portSpecification === 'USE_SERVING_PORT' &&
    current.checkIntervalSec === spec.checkIntervalSec &&
    current.timeoutSec === spec.timeoutSec &&
    current.healthyThreshold === spec.healthyThreshold &&
    current.unhealthyThreshold === spec.unhealthyThreshold;
  if (!same) {
    await api.mutate('regionHealthChecks.patch', scope, signal, (o) =>
      api.clients.regionHealthChecks.patch({ project: api.project, region: api.region, healthCheck: ctx.names.healthCheck, healthCheckResource: spec }, o),
    );
  }
  return path;
}

// ---- NEGs ---------------------------------------------------------------------------

export function readNeg(ctx: StackContext, zone: string, signal: AbortSignal): Promise<Neg | undefined> {
  const { api } = ctx;
  return orAbsent(
    api
      .call('networkEndpointGroups.get', signal, (o) => api.clients.networkEndpointGroups.get({ project: api.project, zone, networkEndpointGroup: ctx.names.neg(zone) }, o))
      .then((r) => r[0]),
  );
}

/** Creates the zone's NEG when absent (an existing one must be owned); returns its path. */
export async function ensureNeg(ctx: StackContext, zone: string, signal: AbortSignal): Promise<string> {
  const { api } = ctx;
  const name = ctx.names.neg(zone);
  const current = await readNeg(ctx, zone, signal);
  if (current) requireOwned(ctx, 'Network endpoint group', current);
  else {
    const resource: Neg = {
      name,
      description: ownerDescription(ctx.clusterName, ctx.service),
      networkEndpointType: 'GCE_VM_IP_PORT',
      network: ctx.network,
      ...(ctx.subnetwork ? { subnetwork: ctx.subnetwork } : {}),
    };
    await api.mutate('networkEndpointGroups.insert', { zone }, signal, (o) =>
      api.clients.networkEndpointGroups.insert({ project: api.project, zone, networkEndpointGroupResource: resource }, o),
    );
  }
  return negPath(ctx, zone, name);
}

// ---- backend service ----------------------------------------------------------------

export function readBackendService(ctx: StackContext, signal: AbortSignal): Promise<BackendService | undefined> {
  const { api } = ctx;
  return orAbsent(
    api
      .call('regionBackendServices.get', signal, (o) =>
        api.clients.regionBackendServices.get({ project: api.project, region: api.region, backendService: ctx.names.backendService }, o),
      )
      .then((r) => r[0]),
  );
}

/** The zone of each NEG backend of the backend service that carries this Service's prefix. */
export function negZones(ctx: StackContext, bs: BackendService): Map<string, string> {
  const zones = new Map<string, string>();
  for (const b of bs.backends ?? []) {
    const m = /zones\/([^/]+)\/networkEndpointGroups\/([^/]+)$/.exec(b.group ?? '');
    if (m?.[1] && m[2]?.startsWith(ctx.names.prefix)) zones.set(m[1], m[2]);
  }
  return zones;
}

function backendEntry(group: string, settings: GcpServiceSettings): protos.google.cloud.compute.v1.IBackend {
  return { group, balancingMode: 'CONNECTION', maxConnectionsPerEndpoint: settings.maxConnectionsPerEndpoint };
}

/** What the backend service should be: NEG paths as backends, health check, draining. */
function backendServiceSpec(ctx: StackContext, settings: GcpServiceSettings, healthCheck: string, negs: readonly string[]): BackendService {
  return {
    name: ctx.names.backendService,
    description: ownerDescription(ctx.clusterName, ctx.service),
    protocol: 'TCP',
    loadBalancingScheme: scheme(settings),
    healthChecks: [healthCheck],
    connectionDraining: { drainingTimeoutSec: settings.drainingTimeoutSec },
    backends: [...negs].sort().map((g) => backendEntry(g, settings)),
  };
}

function backendServiceMatches(current: BackendService, spec: BackendService): boolean {
  const backends = current.backends ?? [];
  const wanted = spec.backends ?? [];
  return (
    current.protocol === spec.protocol &&
    current.loadBalancingScheme === spec.loadBalancingScheme &&
    (current.healthChecks ?? []).length === 1 &&
    sameResource(current.healthChecks?.[0], spec.healthChecks?.[0]) &&
    (current.connectionDraining?.drainingTimeoutSec ?? 0) === spec.connectionDraining?.drainingTimeoutSec &&
    backends.length === wanted.length &&
    wanted.every((w) =>
      backends.some(
        (b) => sameResource(b.group, w.group) && b.balancingMode === w.balancingMode && b.maxConnectionsPerEndpoint === w.maxConnectionsPerEndpoint,
      ),
    )
  );
}

/**
 * Creates or converges the backend service so its backends are exactly `negs` (plus NEGs
 * already attached that are this Service's, which stay: they may hold draining endpoints).
 * Updates are guarded by the fingerprint; a 412 re-reads and tries again (three times).
 */
export async function ensureBackendService(
  ctx: StackContext,
  settings: GcpServiceSettings,
  healthCheck: string,
  negs: readonly string[],
  signal: AbortSignal,
): Promise<BackendService> {
  const { api } = ctx;
  const scope = { region: api.region };
  for (let attempt = 1; ; attempt++) {
    const current = await readBackendService(ctx, signal);
    if (!current) {
      const spec = backendServiceSpec(ctx, settings, healthCheck, negs);
      await api.mutate('regionBackendServices.insert', scope, signal, (o) =>
        api.clients.regionBackendServices.insert({ project: api.project, region: api.region, backendServiceResource: spec }, o),
      );
      return (await readBackendService(ctx, signal)) ?? spec;
    }
    requireOwned(ctx, 'Backend service', current);
    const kept = [...negZones(ctx, current).entries()].map(([zone, name]) => negPath(ctx, zone, name));
    const all = [...new Set([...negs.map(resourcePath), ...kept])];
    const spec = backendServiceSpec(ctx, settings, healthCheck, all);
    if (backendServiceMatches(current, spec)) return current;
    try {
      await api.mutate('regionBackendServices.update', scope, signal, (o) =>
        api.clients.regionBackendServices.update(
          {
            project: api.project,
            region: api.region,
            backendService: ctx.names.backendService,
            backendServiceResource: { ...current, ...spec, fingerprint: current.fingerprint },
          },
          o,
        ),
      );
      return { ...current, ...spec };
    } catch (error) {
      if (!isPreconditionFailed(error) || attempt >= 3) throw error;
    }
  }
}

// ---- proxies and forwarding rules ---------------------------------------------------

/** Every forwarding rule (or proxy) in the region whose name has the Service's prefix. */
export async function listByPrefix<T extends { name?: string | null }>(
  ctx: StackContext,
  operation: string,
  signal: AbortSignal,
  list: (request: { project: string; region: string; filter: string; pageToken?: string }, o: object) => Promise<[T[], unknown, unknown]>,
): Promise<T[]> {
  const { api } = ctx;
  const out: T[] = [];
  let pageToken: string | undefined;
  do {
    const token = pageToken;
    const [items, , raw] = await api.call(operation, signal, (o) =>
      list({ project: api.project, region: api.region, filter: ctx.names.filter, ...(token ? { pageToken: token } : {}) }, o),
    );
    out.push(...(items ?? []).filter((i) => (i.name ?? '').startsWith(ctx.names.prefix)));
    pageToken = (raw as { nextPageToken?: string | null } | undefined)?.nextPageToken || undefined;
  } while (pageToken);
  return out;
}

export function listForwardingRules(ctx: StackContext, signal: AbortSignal): Promise<ForwardingRule[]> {
  const c = ctx.api.clients.forwardingRules;
  return listByPrefix<ForwardingRule>(ctx, 'forwardingRules.list', signal, (r, o) => c.list(r, o) as Promise<[ForwardingRule[], unknown, unknown]>);
}

export function listProxies(ctx: StackContext, signal: AbortSignal): Promise<TargetTcpProxy[]> {
  const c = ctx.api.clients.regionTargetTcpProxies;
  return listByPrefix<TargetTcpProxy>(ctx, 'regionTargetTcpProxies.list', signal, (r, o) => c.list(r, o) as Promise<[TargetTcpProxy[], unknown, unknown]>);
}

/** The port of a forwarding rule's `portRange` (`80` or `80-80`). */
export function rulePort(rule: ForwardingRule): number | undefined {
  const m = /^(\d+)(?:-(\d+))?$/.exec(rule.portRange ?? '');
  return m ? Number(m[1]) : undefined;
}

/**
 * Creates the proxy and forwarding rule of every Service port that lacks them. A forwarding
 * rule cannot be changed in place, so one pointing elsewhere is refused rather than replaced.
 *
 * The proxy's `proxyHeader` (`sluice.dev/gcp-proxy-protocol`) cannot be changed in place
 * either: the v1 regional API has only insert, get, list and delete for target TCP proxies
 * (`service RegionTargetTcpProxies` in the compute.proto @google-cloud/compute ships;
 * https://cloud.google.com/compute/docs/reference/rest/v1/regionTargetTcpProxies), while
 * `setProxyHeader` exists only for global ones (targetTcpProxies). So:
 * - a proxy with the wrong header and no forwarding rule yet (it carries no traffic, e.g. an
 *   ensure interrupted between the two inserts) is deleted and inserted again;
 * - a proxy with the wrong header behind a forwarding rule is left serving, and once every
 *   other port has converged the change is refused with a TerminalError: replacing it would
 *   mean deleting the forwarding rule, whose ephemeral IP (the Service's ingress IP) would be
 *   lost.
 */
export async function ensureFrontends(
  ctx: StackContext,
  settings: GcpServiceSettings,
  backendService: string,
  signal: AbortSignal,
  labels: Record<string, string>,
): Promise<ForwardingRule[]> {
  const { api } = ctx;
  const scope = { region: api.region };
  const proxies = new Map((await listProxies(ctx, signal)).map((p) => [p.name ?? '', p]));
  const rules = new Map((await listForwardingRules(ctx, signal)).map((r) => [r.name ?? '', r]));
  const description = ownerDescription(ctx.clusterName, ctx.service);
  const refused: string[] = [];
  for (const port of ctx.service.ports) {
    const proxyName = ctx.names.proxy(port.port);
    const proxy = proxies.get(proxyName);
    const proxyPath = regionPath(ctx, 'targetTcpProxies', proxyName);
    const ruleName = ctx.names.forwardingRule(port.port);
    const rule = rules.get(ruleName);
    let insertProxy = !proxy;
    if (proxy) {
      requireOwned(ctx, 'Target TCP proxy', proxy);
      const header = proxy.proxyHeader ?? 'NONE';
      if (header !== settings.proxyHeader) {
        if (rule) refused.push(`${proxyName} (port ${port.port}) has ${header}`);
        else {
          await deleteRegional(ctx, 'regionTargetTcpProxies.delete', signal, (o) =>
            api.clients.regionTargetTcpProxies.delete({ project: api.project, region: api.region, targetTcpProxy: proxyName }, o),
          );
          insertProxy = true;
        }
      }
    }
    if (insertProxy) {
      await api.mutate('regionTargetTcpProxies.insert', scope, signal, (o) =>
        api.clients.regionTargetTcpProxies.insert(
          { project: api.project, region: api.region, targetTcpProxyResource: { name: proxyName, description, service: backendService, proxyHeader: settings.proxyHeader } },
          o,
        ),
      );
    }
    if (rule) {
      requireOwned(ctx, 'Forwarding rule', rule);
      continue;
    }
    const resource: ForwardingRule = {
      name: ruleName,
      description,
      labels,
      IPProtocol: 'TCP',
      portRange: String(port.port),
      target: proxyPath,
      loadBalancingScheme: scheme(settings),
      network: ctx.network,
      ...(settings.internal && ctx.subnetwork ? { subnetwork: ctx.subnetwork } : {}),
    };
    await api.mutate('forwardingRules.insert', scope, signal, (o) =>
      api.clients.forwardingRules.insert({ project: api.project, region: api.region, forwardingRuleResource: resource }, o),
    );
  }
  // Ports the Service no longer has: forwarding rule first, then its proxy.
  const wantedPorts = new Set(ctx.service.ports.map((p) => p.port));
  for (const [name, rule] of rules) {
    const port = rulePort(rule);
    if (port !== undefined && wantedPorts.has(port)) continue;
    if (!isOwned(rule, ctx.names.prefix, ctx.clusterName, ctx.service)) continue;
    await deleteRegional(ctx, 'forwardingRules.delete', signal, (o) => api.clients.forwardingRules.delete({ project: api.project, region: api.region, forwardingRule: name }, o));
  }
  for (const [name, proxy] of proxies) {
    const m = /-tp-(\d+)$/.exec(name);
    if (m && wantedPorts.has(Number(m[1]))) continue;
    if (!isOwned(proxy, ctx.names.prefix, ctx.clusterName, ctx.service)) continue;
    await deleteRegional(ctx, 'regionTargetTcpProxies.delete', signal, (o) =>
      api.clients.regionTargetTcpProxies.delete({ project: api.project, region: api.region, targetTcpProxy: name }, o),
    );
  }
  if (refused.length > 0) {
    const { namespace, name } = ctx.service;
    throw new TerminalError(
      `Service ${namespace}/${name} annotation ${PROXY_PROTOCOL_ANNOTATION}="${settings.proxyHeader === 'PROXY_V1'}" asks for proxyHeader ${settings.proxyHeader}, but target TCP proxy ${refused.join(', ')} and Google cannot change a regional target TCP proxy's header in place, so set the annotation back or delete and re-create the Service (its IP changes).`,
      { field: `metadata.annotations[${PROXY_PROTOCOL_ANNOTATION}]`, reason: 'ImmutableProxyHeader' },
    );
  }
  return (await listForwardingRules(ctx, signal)).filter((r) => isOwned(r, ctx.names.prefix, ctx.clusterName, ctx.service));
}

/** Deletes a regional resource, waiting on its operation; an absent one is success. */
export async function deleteRegional(ctx: StackContext, operation: string, signal: AbortSignal, fn: (o: object) => Promise<unknown>): Promise<void> {
  try {
    await ctx.api.mutate(operation, { region: ctx.api.region }, signal, fn);
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
}

/** Deletes a zonal resource, waiting on its operation; an absent one is success. */
export async function deleteZonal(ctx: StackContext, operation: string, zone: string, signal: AbortSignal, fn: (o: object) => Promise<unknown>): Promise<void> {
  try {
    await ctx.api.mutate(operation, { zone }, signal, fn);
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
}

/** `status.loadBalancer.ingress` from the forwarding rules: one entry per IP with its ports. */
export function statusOf(rules: readonly ForwardingRule[]): { ingress: { ip: string; ports: { port: number; protocol: 'TCP' }[] }[] } {
  const byIp = new Map<string, { port: number; protocol: 'TCP' }[]>();
  for (const r of rules) {
    const port = rulePort(r);
    if (!r.IPAddress || port === undefined) continue;
    const ports = byIp.get(r.IPAddress) ?? [];
    ports.push({ port, protocol: 'TCP' });
    byIp.set(r.IPAddress, ports);
  }
  return { ingress: [...byIp.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([ip, ports]) => ({ ip, ports: ports.sort((a, b) => a.port - b.port) })) };
}
