/**
 * The writes of an ensure or update of one Service on the data plane, in order: create the
 * target groups a port lacks (with their health checks), open a listener on exactly each new
 * Service port, then commit (point every kept listener at its group with the Service's source
 * ranges, close the listeners and groups of dropped ports, converge group settings) and assign
 * the backends. A failed step before the commit removes what it created.
 */
import type { Backend, ServicePortView, ServiceSpecView } from '@sluice/core';
import { type DataPlane, hostPort, isListenError, type ListenerState } from '@sluice/dataplane';
import { EngineNames } from './engine-names.ts';
import { groupMatches, healthCheckSpec, targetGroupSpec, targetsOf } from './engine-specs.ts';
import type { HealthLog } from './health-log.ts';
import { listenError } from './listen-error.ts';
import type { ResolvedLocalProviderOptions } from './options.ts';
import { label, rangesText, type ServiceLoadBalancer } from './service-listeners.ts';

/** What the writes need from the provider. */
export interface WriteContext {
  readonly options: ResolvedLocalProviderOptions;
  readonly healthLog: HealthLog;
}

/** Creates the target group (with its health check) of every port that has none; returns the names created. */
export async function createGroups(ctx: WriteContext, plane: DataPlane, lb: ServiceLoadBalancer, names: EngineNames, ports: readonly ServicePortView[]): Promise<string[]> {
  const created: string[] = [];
  try {
    for (const port of ports) {
      if (lb.groups.has(port.name)) continue;
      const name = names.targetGroup(port.name);
      await plane.putTargetGroup(targetGroupSpec(name, ctx.options));
      created.push(name);
      await plane.putHealthCheck(name, healthCheckSpec(ctx.options));
    }
  } catch (error) {
    await undo(plane, [], created);
    throw error;
  }
  return created;
}

/** Opens a listener on exactly `port.port`; rejects with a classified error, having opened nothing. */
export async function openListener(
  ctx: WriteContext,
  plane: DataPlane,
  service: ServiceSpecView,
  names: EngineNames,
  port: ServicePortView,
  index: number,
  ranges: readonly string[],
  taken: Set<string>,
): Promise<ListenerState> {
  const { address, log } = ctx.options;
  const name = names.listener(port.name, port.port, taken);
  let listener: ListenerState;
  try {
    listener = await plane.putListener({ name, address, port: port.port, targetGroup: names.targetGroup(port.name), sourceRanges: ranges });
  } catch (error) {
    if (!isListenError(error)) throw error;
    throw listenError({ service: `${service.namespace}/${service.name}`, portName: port.name, port: port.port, index, address }, error);
  }
  taken.add(name);
  const where = listener.bound;
  log.info(`load balancer ${label(service, port.name)} listening on ${hostPort(where.address, where.port)}`, {
    service: `${service.namespace}/${service.name}`,
    listener: label(service, port.name),
    address: where.address,
    port: where.port,
    servicePort: port.port,
  });
  return listener;
}

/** Removes what a failed ensure created, so nothing of it is left; the first error is the one reported. */
export async function undo(plane: DataPlane, listeners: readonly ListenerState[], groups: readonly string[]): Promise<void> {
  for (const listener of listeners) await plane.deleteListener(listener.name).catch(() => {});
  for (const group of groups) await plane.deleteTargetGroup(group).catch(() => {});
}

/** Step 4 of an ensure: from here on every listener of the new set holds its port. */
export async function commit(
  ctx: WriteContext,
  plane: DataPlane,
  service: ServiceSpecView,
  names: EngineNames,
  lb: ServiceLoadBalancer,
  kept: ReadonlyMap<string, ListenerState>,
  ranges: readonly string[],
  backends: readonly Backend[],
): Promise<void> {
  const { address, log } = ctx.options;
  const svc = `${service.namespace}/${service.name}`;
  const before = lb.ports.size === 0 ? 'any' : rangesText([...lb.ports.values()][0]?.sourceRanges);
  const after = rangesText(ranges);
  for (const [portName, listener] of kept) {
    const group = names.targetGroup(portName);
    const previous = names.portNameOf(listener.targetGroup);
    if (previous !== undefined && previous !== portName) {
      log.info('load balancer listener now serves a renamed Service port', { service: svc, from: label(service, previous), listener: label(service, portName), ...listener.bound });
    }
    const same = listener.targetGroup === group && listener.address === address && rangesText(listener.sourceRanges) === after;
    if (!same) await plane.putListener({ name: listener.name, address, port: listener.port, targetGroup: group, sourceRanges: ranges });
  }
  if (before !== after) log.info('load balancer source ranges changed', { service: svc, from: before, to: after });

  const serving = new Set([...kept.values()].map((l) => l.name));
  for (const listener of [...lb.ports.values(), ...lb.strays]) {
    if (serving.has(listener.name)) continue;
    await plane.deleteListener(listener.name);
    const portName = names.portNameOf(listener.targetGroup) ?? listener.name;
    log.info('closed load balancer listener', { service: svc, listener: label(service, portName), ...listener.bound });
  }
  const wanted = new Set(service.ports.map((p) => names.targetGroup(p.name)));
  for (const [portName, group] of lb.groups) {
    if (wanted.has(group.name)) {
      if (!groupMatches(group, ctx.options)) {
        await plane.putTargetGroup(targetGroupSpec(group.name, ctx.options));
        await plane.putHealthCheck(group.name, healthCheckSpec(ctx.options));
      }
    } else {
      await plane.deleteTargetGroup(group.name);
      log.debug('removed the target group of a dropped Service port', { service: svc, servicePort: portName });
    }
  }
  const current: ServiceLoadBalancer = { ports: kept, strays: [], groups: lb.groups };
  await assignBackends(ctx, plane, service, current, backends);
}

/** Sets the targets of every served port's group to the backends of that port. */
export async function assignBackends(ctx: WriteContext, plane: DataPlane, service: ServiceSpecView, lb: ServiceLoadBalancer, backends: readonly Backend[]): Promise<void> {
  const names = new EngineNames(service);
  const byPort = new Map<string, Backend[]>();
  for (const backend of backends) {
    const list = byPort.get(backend.servicePort);
    if (list === undefined) byPort.set(backend.servicePort, [backend]);
    else list.push(backend);
  }
  for (const portName of lb.ports.keys()) await plane.setTargets(names.targetGroup(portName), targetsOf(byPort.get(portName) ?? []));
  ctx.healthLog.registered(
    names.prefix,
    backends.filter((b) => lb.ports.has(b.servicePort)),
  );
  const unknown = [...byPort.keys()].filter((name) => !lb.ports.has(name));
  if (unknown.length > 0) {
    ctx.options.log.warn('ignoring backends for ports the Service does not have', {
      service: `${service.namespace}/${service.name}`,
      servicePorts: unknown,
    });
  }
}
