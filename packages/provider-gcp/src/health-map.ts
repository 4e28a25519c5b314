/**
 * Maps what `regionBackendServices.getHealth` says about a NEG's endpoints to Sluice's
 * backend health. Only attached endpoints are reported (a detached one is absent, which
 * the core reads as removed): HEALTHY → healthy, UNHEALTHY → unhealthy, UNKNOWN or no
 * report yet → initial. Each endpoint is reported for every Service port, since every port
 * of the Service shares one target port (validation.ts).
 */
import type { protos } from '@google-cloud/compute';
import type { BackendHealthState, BackendStatus, ServiceSpecView } from '@sluice/core';
import { endpointKey } from './neg-sync.ts';

type HealthStatus = protos.google.cloud.compute.v1.IHealthStatus;
type NetworkEndpoint = protos.google.cloud.compute.v1.INetworkEndpoint;

export function healthStateOf(state: string | null | undefined): BackendHealthState {
  if (state === 'HEALTHY') return 'healthy';
  if (state === 'UNHEALTHY') return 'unhealthy';
  return 'initial';
}

/** One BackendStatus per attached endpoint and Service port. */
export function toBackendStatuses(service: Pick<ServiceSpecView, 'ports'>, attached: readonly NetworkEndpoint[], health: readonly HealthStatus[]): BackendStatus[] {
  const byKey = new Map(health.map((h) => [endpointKey({ ipAddress: h.ipAddress, port: h.port }), h]));
  const out: BackendStatus[] = [];
  for (const e of attached) {
    if (!e.ipAddress || !e.port) continue;
    const h = byKey.get(endpointKey(e));
    const state = healthStateOf(h?.healthState);
    const reason = h?.healthState ? `GCP reports ${h.healthState}` : 'GCP has not reported health for this endpoint yet';
    for (const port of service.ports) {
      out.push({ servicePort: port.name, ip: e.ipAddress, port: e.port, weight: 1, health: state, reason });
    }
  }
  return out;
}
