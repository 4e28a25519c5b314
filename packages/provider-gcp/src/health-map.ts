/**
 * Maps what `networkEndpointGroups.listNetworkEndpoints` with `healthStatus: SHOW` says about
 * a NEG's endpoints to Sluice's backend health. Only attached endpoints are listed (a detached
 * one is absent, which the core reads as removed). Of each endpoint's `healths`, only the one
 * of the Service's own backend service counts (a NEG may serve others too): HEALTHY → healthy,
 * UNHEALTHY → unhealthy, anything else or no report yet → initial. Each endpoint is reported
 * for every Service port, since every port of the Service shares one target port
 * (validation.ts).
 */
import type { protos } from '@google-cloud/compute';
import type { BackendHealthState, BackendStatus, ServiceSpecView } from '@sluice/core';

type NetworkEndpointWithHealth = protos.google.cloud.compute.v1.INetworkEndpointWithHealthStatus;

export function healthStateOf(state: string | null | undefined): BackendHealthState {
  if (state === 'HEALTHY') return 'healthy';
  if (state === 'UNHEALTHY') return 'unhealthy';
  return 'initial';
}

/** True when a `backendService` URL or path names the backend service `name` (any project or region form). */
export function namesBackendService(url: string | null | undefined, name: string): boolean {
  return typeof url === 'string' && url.endsWith(`/backendServices/${name}`);
}

/** One BackendStatus per listed endpoint and Service port, with the health `backendService` reports. */
export function toBackendStatuses(service: Pick<ServiceSpecView, 'ports'>, listed: readonly NetworkEndpointWithHealth[], backendService: string): BackendStatus[] {
  const out: BackendStatus[] = [];
  for (const item of listed) {
    const e = item.networkEndpoint;
    if (!e?.ipAddress || !e.port) continue;
    const h = (item.healths ?? []).find((x) => namesBackendService(x.backendService?.backendService, backendService));
    const state = healthStateOf(h?.healthState);
    const reason = h?.healthState ? `GCP reports ${h.healthState}` : 'GCP has not reported health for this endpoint yet';
    for (const port of service.ports) {
      out.push({ servicePort: port.name, ip: e.ipAddress, port: e.port, weight: 1, health: state, reason });
    }
  }
  return out;
}
