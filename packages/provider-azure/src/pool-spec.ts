/**
 * The address list of one IP-based backend pool, as it should be for the backends of one
 * Service port, and the comparison that decides whether a pool must be written. Pure.
 *
 * - weight > 0: the pod IP is in the pool with adminState `None`, so Azure's health probe
 *   decides whether it gets new flows. (`Up` would make Azure ignore the probe and send
 *   new flows to a failing pod, and its health report would say `Up_Admin` whatever the
 *   pod does, which would defeat the readiness gate.)
 * - weight 0: adminState `Down`: no new flows; established TCP flows continue (UDP flows
 *   move to other backends). This is the drain.
 * - not in the backend list: not in the pool.
 */
import type { LoadBalancerBackendAddress } from '@azure/arm-network';
import { type Backend, type ServiceSpecView, TerminalError } from '@sluice/core';
import { diffByKey, inSync } from '@sluice/core/provider-kit';
import { backendAddressName, sameId } from './names.ts';

export const SERVING_ADMIN_STATE = 'None';
export const DRAINING_ADMIN_STATE = 'Down';

/** The canonical address list for `backends` (one Service port's), sorted by name. */
export function wantedAddresses(backends: readonly Pick<Backend, 'ip' | 'weight'>[], virtualNetworkId: string): LoadBalancerBackendAddress[] {
  const byIp = new Map<string, boolean>();
  // One entry per IP; if the same IP comes twice, serving wins over draining.
  for (const b of backends) byIp.set(b.ip, (byIp.get(b.ip) ?? false) || b.weight > 0);
  return [...byIp.entries()]
    .map(([ip, serving]) => ({
      name: backendAddressName(ip),
      ipAddress: ip,
      virtualNetwork: { id: virtualNetworkId },
      adminState: serving ? SERVING_ADMIN_STATE : DRAINING_ADMIN_STATE,
    }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** An address's adminState as Azure means it: absent is `None`. */
export function adminStateOf(address: Pick<LoadBalancerBackendAddress, 'adminState'>): string {
  return address.adminState ?? 'None';
}

/** True when the pool already holds exactly `wanted` (names, IPs, virtual network, admin state). */
export function sameAddresses(current: readonly LoadBalancerBackendAddress[] | undefined, wanted: readonly LoadBalancerBackendAddress[]): boolean {
  const diff = diffByKey(wanted, current ?? [], {
    key: (a) => a.name ?? '',
    same: (w, a) => a.ipAddress === w.ipAddress && sameId(a.virtualNetwork?.id, w.virtualNetwork?.id) && a.subnet === undefined && adminStateOf(a) === adminStateOf(w),
  });
  return inSync(diff);
}

/** Only the writable fields of an address, for a PUT that must keep it as it is. */
export function writableAddress(a: LoadBalancerBackendAddress): LoadBalancerBackendAddress {
  return {
    ...(a.name !== undefined ? { name: a.name } : {}),
    ...(a.ipAddress !== undefined ? { ipAddress: a.ipAddress } : {}),
    ...(a.virtualNetwork?.id !== undefined ? { virtualNetwork: { id: a.virtualNetwork.id } } : {}),
    ...(a.subnet?.id !== undefined ? { subnet: { id: a.subnet.id } } : {}),
    ...(a.adminState !== undefined ? { adminState: a.adminState } : {}),
  };
}

/**
 * The one backend port of each Service port's backends. A pool has one rule and so one
 * backend port: backends of one Service port on different target ports (a named
 * targetPort that resolves differently across pods) cannot be expressed.
 */
export function backendPortsOf(service: Pick<ServiceSpecView, 'namespace' | 'name'>, backends: readonly Pick<Backend, 'servicePort' | 'port'>[]): Map<string, number> {
  const ports = new Map<string, number>();
  const mixed = new Map<string, Set<number>>();
  for (const b of backends) {
    const seen = ports.get(b.servicePort);
    if (seen === undefined) ports.set(b.servicePort, b.port);
    else if (seen !== b.port) mixed.set(b.servicePort, new Set([...(mixed.get(b.servicePort) ?? [seen]), b.port]));
  }
  const [first] = mixed;
  if (first) {
    const [port, numbers] = first;
    throw new TerminalError(
      `Service ${service.namespace}/${service.name} port ${port} has backends on different target ports (${[...numbers].sort((a, b) => a - b).join(', ')}), but an Azure load-balancing rule has one backend port: make the port's targetPort resolve to the same number in every pod.`,
      { field: 'spec.ports', reason: 'MixedTargetPorts' },
    );
  }
  return ports;
}
