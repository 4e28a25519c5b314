/**
 * The backends of one Service's proxy Network Load Balancer and how each is read, created and
 * converged: a regional TCP health check, zonal NEGs and a regional backend service (the
 * frontends are in frontends.ts), and the helpers both share. Every read that finds a
 * part of the Service's name checks its ownership first; a part named like Sluice's but
 * not recorded as this cluster's and this Service's is refused, never changed.
 */
import type { protos } from '@google-cloud/compute';
import { type ServiceSpecView, TerminalError } from '@sluice/core';
import type { GcpServiceSettings } from './annotations.ts';
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

export function regionPath(ctx: StackContext, kind: string, name: string): string {
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

/** Deletes a regional resource, waiting on its operation; an absent one is success. */
export async function deleteRegional(ctx: StackContext, operation: string, signal: AbortSignal, fn: (o: object) => Promise<unknown>): Promise<void> {
  try {
    await ctx.api.mutate(operation, { region: ctx.api.region }, signal, fn);
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
}

/** Deletes a global resource (a firewall rule), waiting on its operation; an absent one is success. */
export async function deleteGlobal(ctx: StackContext, operation: string, signal: AbortSignal, fn: (o: object) => Promise<unknown>): Promise<void> {
  try {
    await ctx.api.mutate(operation, { global: true }, signal, fn);
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
