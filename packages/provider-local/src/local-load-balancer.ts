/**
 * The local provider: an L4 TCP load balancer per Service on the Sluice data plane
 * (`@sluice/dataplane`), implementing the core {@link LoadBalancer} contract.
 *
 * Each Service (keyed by namespace, name and UID, so a re-created Service is a new load
 * balancer) gets one listener and one target group per Service port; each listener binds
 * exactly its Service port number (0: an ephemeral port) and balances over the backends
 * registered for that port. The status lists a port only once its listener holds that port,
 * so a client sent to the advertised address always reaches this Service. A client outside
 * the Service's source ranges is reset at accept. Calls for one Service run one at a time,
 * in call order, so a slow ensure cannot interleave with the update that follows it.
 *
 * The provider keeps no state of its own: every call reads the engine's state, only this
 * Service's share of it (`state({ prefix })`), so a health poll costs the same with 1 or 1,000 Services. With the
 * engine in its own process (the default), a restarted controller therefore adopts the load
 * balancers the engine serves, without re-binding a port or dropping a connection.
 */
import {
  type Backend,
  type BackendStatus,
  errorMessage,
  type LoadBalancer,
  type LoadBalancerLookup,
  type LoadBalancerStatus,
  type ProviderCapabilities,
  RetryableError,
  type ServicePortView,
  type ServiceProblem,
  type ServiceSpecView,
  TerminalError,
} from '@sluice/core';
import { isControlApiError, isDataPlaneError, isInvalidSpecError, type ListenerState } from '@sluice/dataplane';
import { CallChains } from './call-chains.ts';
import { type DataPlaneSource, embeddedSource, givenSource, processSource } from './data-plane-connection.ts';
import { EngineNames, type ServiceIdentity } from './engine-names.ts';
import { backendStatus } from './engine-specs.ts';
import { HealthLog } from './health-log.ts';
import { loadBalancerName } from './load-balancer-name.ts';
import { type LocalProviderOptions, type ResolvedLocalProviderOptions, resolveOptions } from './options.ts';
import { inPortOrder, keptListeners, type ServiceLoadBalancer, serviceLoadBalancer } from './service-listeners.ts';
import { assignBackends, commit, createGroups, openListener, undo, type WriteContext } from './service-writes.ts';
import { sourceRanges } from './source-ranges.ts';
import { rejectBackendAddresses, validateBackends, validateService, validateServicePorts } from './validation.ts';

/** Where a listener accepts connections. */
export interface ListenAddress {
  readonly address: string;
  readonly port: number;
}

export class LocalLoadBalancer implements LoadBalancer {
  readonly providerName = 'local';
  readonly capabilities: ProviderCapabilities;

  readonly #options: ResolvedLocalProviderOptions;
  readonly #source: DataPlaneSource;
  /** Calls for one Service run one at a time, in call order. */
  readonly #calls = new CallChains();
  readonly #healthLog: HealthLog;
  readonly #writes: WriteContext;
  #closed = false;

  /** Validates and stores the options; opens, connects and starts nothing until the first call. */
  constructor(options: LocalProviderOptions = {}) {
    this.#options = resolveOptions(options);
    const { dataplane, dataplaneSocket, log, timers } = this.#options;
    this.#healthLog = new HealthLog(log);
    this.#writes = { options: this.#options, healthLog: this.#healthLog };
    this.#source =
      dataplane === 'embedded' ? embeddedSource({ log, timers }) : dataplane === 'process' ? processSource(dataplaneSocket, log) : givenSource(dataplane);
    this.capabilities = {
      weights: true,
      drainInPlace: true,
      drainMode: 'weight',
      maxBatch: Number.POSITIVE_INFINITY,
      protocols: ['TCP'],
      tracksPodUid: true,
      honours: { sourceRanges: true, loadBalancerIP: false, sessionAffinity: false, ipFamilies: ['IPv4', 'IPv6'] },
      // The LB ends the client's connection and opens its own to the pod.
      ipMode: 'Proxy',
      healthCheckIntervalMs: this.#options.intervalMs,
    };
  }

  getLoadBalancerName(_clusterName: string, service: ServiceSpecView): string {
    return loadBalancerName(service);
  }

  /**
   * Pure: every `sluice.dev/local-*` annotation (the provider reads none) and every port
   * number it cannot listen on, one sentence each. Protocols are the core's to report
   * (from {@link capabilities}).
   */
  validate(service: ServiceSpecView): readonly ServiceProblem[] {
    return validateService(service);
  }

  /** What the data plane serves for the Service; with no engine running, nothing (reads start none). */
  async getLoadBalancer(_clusterName: string, service: ServiceSpecView, signal: AbortSignal): Promise<LoadBalancerLookup> {
    signal.throwIfAborted();
    const lb = await this.#read(service);
    return lb === undefined || lb.ports.size === 0 ? { exists: false } : { exists: true, status: this.#status(lb, service.ports) };
  }

  /**
   * Converges the listeners to the Service's ports, then the backends as
   * {@link updateLoadBalancer} does. All or nothing:
   *
   * 1. Input the provider cannot carry (a non-TCP or duplicate port, a malformed backend,
   *    a source range that is not a CIDR) rejects with a TerminalError, and a backend
   *    address it will not proxy to with a BackendRejectedError, before anything is touched.
   * 2. Listeners that already hold a wanted port number are kept: same port first, then a
   *    listener of a port being dropped or renamed hands its number over (re-binding it
   *    would collide with itself while it is still open).
   * 3. The missing target groups are created and the missing listeners opened, each on
   *    exactly its Service port. If one cannot be bound, what this call created is removed
   *    and the call rejects: the previous listeners, backends and status stay as they were,
   *    and a new Service leaves no load balancer behind.
   * 4. Only then is the new set committed: kept listeners are pointed at their (possibly
   *    renamed) port's group with the new source ranges, the listeners of dropped ports
   *    closed (with their connections) and their groups removed, and the backends assigned.
   *
   * Source ranges: listeners opened in this call serve the new ranges from their first
   * connection; kept listeners switch at the commit, so the next connection is judged by
   * them. Open connections are not cut (as a cloud security group leaves established
   * flows); a failed call leaves the previous ranges in force.
   */
  async ensureLoadBalancer(
    _clusterName: string,
    service: ServiceSpecView,
    backends: readonly Backend[],
    signal: AbortSignal,
  ): Promise<LoadBalancerStatus> {
    signal.throwIfAborted();
    this.#assertOpen();
    validateServicePorts(service);
    validateBackends(backends);
    const ranges = sourceRanges(service);
    rejectBackendAddresses(service, backends, this.#options.backendRanges);
    const names = new EngineNames(service);
    return this.#calls.run(names.prefix, async () => {
      signal.throwIfAborted();
      this.#assertOpen();
      return this.#guard(async () => {
        const plane = await this.#source.forWrite();
        const state = await plane.state({ prefix: names.prefix });
        const lb = serviceLoadBalancer(state, names);
        const kept = keptListeners(lb, service.ports);
        const createdGroups = await createGroups(this.#writes, plane, lb, names, service.ports);
        const opened: ListenerState[] = [];
        try {
          const taken = new Set(state.listeners.map((l) => l.name));
          for (const [index, port] of service.ports.entries()) {
            if (kept.has(port.name)) continue;
            signal.throwIfAborted();
            const listener = await openListener(this.#writes, plane, service, names, port, index, ranges, taken);
            opened.push(listener);
            kept.set(port.name, listener);
          }
        } catch (error) {
          await undo(plane, opened, createdGroups);
          throw error;
        }
        await commit(this.#writes, plane, service, names, lb, kept, ranges, backends);
        return this.#status({ ports: kept, strays: [], groups: lb.groups }, service.ports);
      });
    });
  }

  /**
   * Converges the backends of every Service port to `backends`: new registrations start at
   * `initial` and are checked at once, weight changes apply in place (weight 0 drains:
   * no new connections, open ones continue), missing ones stop receiving connections.
   * Rejects with a RetryableError when the load balancer does not exist (not ensured yet,
   * or the data plane lost it), and with a BackendRejectedError, changing nothing, when a
   * backend's address is one it does not proxy to (see the `backendCidrs` option).
   */
  async updateLoadBalancer(
    _clusterName: string,
    service: ServiceSpecView,
    backends: readonly Backend[],
    signal: AbortSignal,
  ): Promise<void> {
    signal.throwIfAborted();
    this.#assertOpen();
    validateBackends(backends);
    rejectBackendAddresses(service, backends, this.#options.backendRanges);
    const names = new EngineNames(service);
    await this.#calls.run(names.prefix, async () => {
      signal.throwIfAborted();
      this.#assertOpen();
      await this.#guard(async () => {
        const plane = await this.#source.forRead();
        const lb = plane === undefined ? undefined : serviceLoadBalancer(await plane.state({ prefix: names.prefix }), names);
        if (plane === undefined || lb === undefined || lb.ports.size === 0) {
          throw new RetryableError(
            `The local load balancer of Service ${service.namespace}/${service.name} does not exist yet; ensureLoadBalancer creates it.`,
            { reason: 'LoadBalancerNotFound' },
          );
        }
        await assignBackends(this.#writes, plane, service, lb, backends);
      });
    });
  }

  /** Closes the Service's listeners and their open connections and removes its groups; an absent load balancer is success. */
  async ensureLoadBalancerDeleted(_clusterName: string, service: ServiceSpecView, signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    const names = new EngineNames(service);
    await this.#calls.run(names.prefix, async () => {
      signal.throwIfAborted();
      await this.#guard(async () => {
        const plane = await this.#source.forRead();
        if (plane === undefined) return;
        const state = await plane.state({ prefix: names.prefix });
        const listeners = state.listeners.filter((l) => names.owns(l.name));
        const groups = state.targetGroups.filter((g) => names.owns(g.name));
        if (listeners.length === 0 && groups.length === 0) return;
        for (const listener of listeners) await plane.deleteListener(listener.name);
        for (const group of groups) await plane.deleteTargetGroup(group.name);
        this.#healthLog.forget(names.prefix);
        this.#options.log.info('deleted load balancer', { service: `${service.namespace}/${service.name}`, uid: service.uid });
      });
    });
  }

  /** Every registration of the Service with its health; `draining` when its weight is 0. */
  async getBackendHealth(
    _clusterName: string,
    service: ServiceSpecView,
    signal: AbortSignal,
  ): Promise<readonly BackendStatus[]> {
    signal.throwIfAborted();
    const lb = await this.#read(service);
    if (lb === undefined) return [];
    const statuses = inPortOrder(lb, service.ports).flatMap(([portName]) => lb.groups.get(portName)?.targets.map((t) => backendStatus(portName, t)) ?? []);
    this.#healthLog.observed(new EngineNames(service).prefix, service, statuses);
    return statuses;
  }

  /**
   * Where the listener of a Service port accepts connections: the Service port itself, or
   * the ephemeral port the kernel chose for a Service port 0; undefined when there is none.
   */
  async listenerAddress(service: ServiceIdentity, servicePortName: string): Promise<ListenAddress | undefined> {
    const lb = await this.#read(service);
    const bound = lb?.ports.get(servicePortName)?.bound;
    return bound === undefined ? undefined : { address: bound.address, port: bound.port };
  }

  /**
   * Waits for calls in flight, then lets go of the data plane: an embedded engine closes
   * every listener, connection and health check; an engine in its own process is only
   * disconnected from and keeps serving. Later calls that would create or change a load
   * balancer reject.
   */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#calls.settled();
    await this.#source.close();
  }

  /** The Service's load balancer in the engine's state; undefined when no engine runs. */
  async #read(service: ServiceIdentity): Promise<ServiceLoadBalancer | undefined> {
    return this.#guard(async () => {
      const plane = await this.#source.forRead();
      const names = new EngineNames(service);
      return plane === undefined ? undefined : serviceLoadBalancer(await plane.state({ prefix: names.prefix }), names);
    });
  }

  /** Lists exactly the ports whose listener is bound, in the Service's port order. */
  #status(lb: ServiceLoadBalancer, ports: readonly ServicePortView[]): LoadBalancerStatus {
    const listed = inPortOrder(lb, ports).map(([, listener]) => ({ port: listener.port, protocol: 'TCP' as const }));
    return { ingress: [{ ip: this.#options.advertiseAddress, ports: listed }] };
  }

  /**
   * Runs `work` (calls on the data plane) and classifies what it throws: an engine that
   * cannot be reached is a RetryableError (and the connection is dropped, so the next call
   * reconnects, or restarts the engine); a spec the engine refuses is a TerminalError; any
   * other data plane error (a conflicting change) is retryable. Core errors pass through.
   */
  async #guard<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw this.#classify(error);
    }
  }

  #classify(error: unknown): unknown {
    if (isControlApiError(error)) {
      this.#source.lost();
      return new RetryableError(`The local load balancer's data plane at ${this.#source.where} cannot be reached: ${errorMessage(error)}`, {
        cause: error,
        reason: 'DataPlaneUnavailable',
      });
    }
    if (isInvalidSpecError(error)) {
      return new TerminalError(`The local load balancer's data plane refused the configuration: ${errorMessage(error)}`, {
        cause: error,
        field: error.field,
        reason: 'DataPlaneRefused',
      });
    }
    if (isDataPlaneError(error)) {
      return new RetryableError(`The local load balancer's data plane refused a change: ${error.message}`, { cause: error, reason: 'DataPlaneConflict' });
    }
    return error;
  }

  #assertOpen(): void {
    if (this.#closed) {
      throw new TerminalError('The local load balancer provider is closed; create a new one to manage load balancers.', {
        reason: 'ProviderClosed',
      });
    }
  }
}
