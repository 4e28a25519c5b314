/**
 * A Service's load balancer as the data plane holds it, read from the engine's state, and
 * the pure decisions over it (which listeners an ensure keeps). Nothing is cached in the
 * provider: the engine is the record, so a restarted controller sees exactly what serves.
 */
import type { ServicePortView } from '@sluice/core';
import type { DataPlaneState, ListenerState, TargetGroupState } from '@sluice/dataplane';
import type { EngineNames } from './engine-names.ts';

export interface ServiceLoadBalancer {
  /** The Service port each listener serves (the one its target group is for), in name order; one listener per port. */
  readonly ports: ReadonlyMap<string, ListenerState>;
  /** Listeners of this Service that serve no port (left by an interrupted call): closed by the next ensure. */
  readonly strays: readonly ListenerState[];
  /** This Service's target groups, by the Service port they are for. */
  readonly groups: ReadonlyMap<string, TargetGroupState>;
}

export function serviceLoadBalancer(state: DataPlaneState, names: EngineNames): ServiceLoadBalancer {
  const groups = new Map<string, TargetGroupState>();
  for (const group of state.targetGroups) {
    const portName = names.portNameOf(group.name);
    if (portName !== undefined) groups.set(portName, group);
  }
  const ports = new Map<string, ListenerState>();
  const strays: ListenerState[] = [];
  for (const listener of state.listeners) {
    if (!names.owns(listener.name)) continue;
    const portName = names.portNameOf(listener.targetGroup);
    if (portName === undefined || ports.has(portName)) strays.push(listener);
    else ports.set(portName, listener);
  }
  return { ports, strays, groups };
}

/** The listeners in the order of the Service's ports (ports it does not list last, by name). */
export function inPortOrder(lb: ServiceLoadBalancer, ports: readonly ServicePortView[]): [string, ListenerState][] {
  const rank = (name: string): number => {
    const index = ports.findIndex((p) => p.name === name);
    return index < 0 ? ports.length : index;
  };
  return [...lb.ports].sort(([a], [b]) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * The current listeners that keep serving `ports`, by the name of the Service port they
 * will serve: the one of the same name when its number is unchanged, otherwise one of a
 * port being dropped or renamed that holds the same (non-zero) number. Re-binding a number
 * a listener of this Service still holds would collide with itself.
 */
export function keptListeners(lb: ServiceLoadBalancer, ports: readonly ServicePortView[]): Map<string, ListenerState> {
  const kept = new Map<string, ListenerState>();
  const claimed = new Set<ListenerState>();
  for (const port of ports) {
    const current = lb.ports.get(port.name);
    if (current === undefined || current.port !== port.port) continue;
    kept.set(port.name, current);
    claimed.add(current);
  }
  for (const port of ports) {
    if (kept.has(port.name) || port.port === 0) continue;
    const holder = [...lb.ports.values()].find((listener) => listener.port === port.port && !claimed.has(listener));
    if (holder === undefined) continue;
    kept.set(port.name, holder);
    claimed.add(holder);
  }
  return kept;
}

export function label(service: { readonly namespace: string; readonly name: string }, portName: string): string {
  return `${service.namespace}/${service.name}:${portName}`;
}

/** Source ranges as log lines show them: `127.0.0.1/32,10.0.0.0/8`, or `any`. */
export function rangesText(ranges: readonly string[] | undefined): string {
  return ranges === undefined || ranges.length === 0 ? 'any' : ranges.join(',');
}
