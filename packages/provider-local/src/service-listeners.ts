/**
 * What the local provider holds per Service: a listener per Service port and the clients they
 * serve, and the pure helpers over it (which listeners an ensure keeps, labels, closing).
 */
import type { ServicePortView } from '@sluice/core';
import type { PortListener } from './port-listener.ts';
import type { SourceFilter } from './source-ranges.ts';

/** A Service port and the listener bound to its number. */
export interface PortEntry {
  readonly port: ServicePortView;
  readonly listener: PortListener;
}

export interface ServiceLoadBalancer {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  /** By Service port name, in the Service's port order; only listeners bound to their port. */
  readonly ports: Map<string, PortEntry>;
  /** The clients every listener serves, as of the last ensure that succeeded. */
  sourceFilter: SourceFilter;
}

/**
 * The current listeners that keep serving `ports`, by the name of the Service port they
 * will serve: the one of the same name when its number is unchanged, otherwise one of a
 * port being dropped or renamed that holds the same (non-zero) number.
 */
export function keptListeners(lb: ServiceLoadBalancer, ports: readonly ServicePortView[]): Map<string, PortEntry> {
  const kept = new Map<string, PortEntry>();
  const claimed = new Set<PortListener>();
  for (const port of ports) {
    const current = lb.ports.get(port.name);
    if (current === undefined || current.port.port !== port.port) continue;
    kept.set(port.name, { port, listener: current.listener });
    claimed.add(current.listener);
  }
  for (const port of ports) {
    if (kept.has(port.name) || port.port === 0) continue;
    const holder = [...lb.ports.values()].find((entry) => entry.port.port === port.port && !claimed.has(entry.listener));
    if (holder === undefined) continue;
    kept.set(port.name, { port, listener: holder.listener });
    claimed.add(holder.listener);
  }
  return kept;
}

export function serviceKey(service: { readonly namespace: string; readonly name: string; readonly uid: string }): string {
  return `${service.namespace}/${service.name}/${service.uid}`;
}

export function label(lb: ServiceLoadBalancer, portName: string): string {
  return `${lb.namespace}/${lb.name}:${portName}`;
}

export async function closeAll(lb: ServiceLoadBalancer): Promise<void> {
  const listeners = [...lb.ports.values()].map(({ listener }) => listener);
  lb.ports.clear();
  await Promise.all(listeners.map((listener) => listener.close()));
}
