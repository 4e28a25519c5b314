/**
 * The local provider: an in-process L4 TCP load balancer per Service, implementing the
 * core {@link LoadBalancer} contract.
 *
 * Each Service (keyed by namespace, name and UID, so a re-created Service is a new load
 * balancer) gets one listener per Service port, bound to exactly that port number (0: an
 * ephemeral port); each listener balances over the backends registered for that port.
 * The status lists a port only once its listener holds that port, so a client sent to the
 * advertised address always reaches this Service. A client outside the Service's source
 * ranges is reset at accept. Calls for one Service run one at a time, in call order, so a
 * slow ensure cannot interleave with the update that follows it.
 */
import {
  type Backend,
  type BackendStatus,
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
import { hostPort } from './address-range.ts';
import { BackendPool } from './backend-pool.ts';
import { CallChains } from './call-chains.ts';
import { HealthChecker } from './health-checker.ts';
import { listenError } from './listen-error.ts';
import { loadBalancerName } from './load-balancer-name.ts';
import { type LocalProviderOptions, type ResolvedLocalProviderOptions, resolveOptions } from './options.ts';
import { type ListenAddress, PortListener } from './port-listener.ts';
import { closeAll, keptListeners, label, type ServiceLoadBalancer, serviceKey } from './service-listeners.ts';
import { ADMIT_ALL, type SourceFilter, sourceFilter } from './source-ranges.ts';
import { rejectBackendAddresses, validateBackends, validateService, validateServicePorts } from './validation.ts';

export class LocalLoadBalancer implements LoadBalancer {
  readonly providerName = 'local';
  readonly capabilities: ProviderCapabilities;

  readonly #options: ResolvedLocalProviderOptions;
  readonly #services = new Map<string, ServiceLoadBalancer>();
  /** Calls for one Service run one at a time, in call order. */
  readonly #calls = new CallChains();
  #closed = false;

  /** Validates and stores the options; opens nothing until {@link ensureLoadBalancer}. */
  constructor(options: LocalProviderOptions = {}) {
    this.#options = resolveOptions(options);
    this.capabilities = {
      weights: true,
      drainInPlace: true,
      drainMode: 'weight',
      maxBatch: Number.POSITIVE_INFINITY,
      protocols: ['TCP'],
      tracksPodUid: true,
      honours: { sourceRanges: true, loadBalancerIP: false, sessionAffinity: false, ipFamilies: ['IPv4', 'IPv6'] },
      // The embedded LB ends the client's connection and opens its own to the pod.
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

  async getLoadBalancer(_clusterName: string, service: ServiceSpecView, signal: AbortSignal): Promise<LoadBalancerLookup> {
    signal.throwIfAborted();
    const lb = this.#services.get(serviceKey(service));
    return lb === undefined ? { exists: false } : { exists: true, status: this.#status(lb) };
  }

  /**
   * Converges the listeners to the Service's ports, then the backends as
   * {@link updateLoadBalancer} does. All or nothing:
   *
   * 1. Input the provider cannot carry (a non-TCP or duplicate port, a malformed backend,
   *    a source range that is not a CIDR) rejects with a TerminalError, and a backend
   *    address it will not proxy to with a BackendRejectedError, before anything is touched.
   * 2. Listeners that already hold a wanted port number are kept: same name first, then a
   *    listener of a port being dropped or renamed hands its number over (re-binding it
   *    would collide with itself while it is still open).
   * 3. The missing listeners are opened, each on exactly its Service port. If one cannot
   *    be bound, those opened in this call are closed and the call rejects: the previous
   *    listeners, backends and status stay as they were, and a new Service leaves no load
   *    balancer behind.
   * 4. Only then is the new set of listeners committed, the listeners of dropped ports
   *    closed (with their connections) and the backends assigned.
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
    const filter = sourceFilter(service);
    rejectBackendAddresses(service, backends, this.#options.backendRanges);
    const key = serviceKey(service);
    return this.#calls.run(key, async () => {
      signal.throwIfAborted();
      const existing = this.#services.get(key);
      const lb: ServiceLoadBalancer = existing ?? {
        namespace: service.namespace,
        name: service.name,
        uid: service.uid,
        ports: new Map(),
        sourceFilter: ADMIT_ALL,
      };
      const kept = keptListeners(lb, service.ports);
      const opened: PortListener[] = [];
      try {
        for (const [index, port] of service.ports.entries()) {
          if (kept.has(port.name)) continue;
          signal.throwIfAborted();
          const listener = await this.#openListener(lb, port, index, filter);
          opened.push(listener);
          kept.set(port.name, { port, listener });
        }
      } catch (error) {
        await Promise.all(opened.map((listener) => listener.close()));
        throw error;
      }

      // Commit: from here on nothing can fail, and the status lists only bound listeners.
      const next = new Map(service.ports.map((port) => [port.name, kept.get(port.name)!]));
      const stillUsed = new Set([...next.values()].map(({ listener }) => listener));
      const dropped = [...lb.ports].filter(([, entry]) => !stillUsed.has(entry.listener));
      for (const [name, { listener }] of next) {
        const wanted = label(lb, name);
        if (listener.label === wanted) continue;
        this.#options.log.info('load balancer listener now serves a renamed Service port', {
          service: `${lb.namespace}/${lb.name}`,
          from: listener.label,
          listener: wanted,
          ...listener.address,
        });
        listener.label = wanted;
      }
      lb.ports.clear();
      for (const [name, entry] of next) lb.ports.set(name, entry);
      for (const { listener } of next.values()) listener.sourceFilter = filter;
      if (lb.sourceFilter.text !== filter.text) {
        this.#options.log.info('load balancer source ranges changed', {
          service: `${lb.namespace}/${lb.name}`,
          from: lb.sourceFilter.text,
          to: filter.text,
        });
      }
      lb.sourceFilter = filter;
      this.#services.set(key, lb);
      for (const [name, { listener }] of dropped) {
        await listener.close();
        this.#options.log.info('closed load balancer listener', { service: `${lb.namespace}/${lb.name}`, listener: label(lb, name), ...listener.address });
      }
      this.#assignBackends(lb, backends);
      return this.#status(lb);
    });
  }

  /**
   * Converges the backends of every Service port to `backends`: new registrations start at
   * `initial` and are checked at once, weight changes apply in place (weight 0 drains:
   * no new connections, open ones continue), missing ones stop receiving connections.
   * Rejects with a RetryableError when the load balancer has not been ensured yet, and
   * with a BackendRejectedError, changing nothing, when a backend's address is one it
   * does not proxy to (see the `backendCidrs` option).
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
    const key = serviceKey(service);
    await this.#calls.run(key, async () => {
      signal.throwIfAborted();
      const lb = this.#services.get(key);
      if (lb === undefined) {
        throw new RetryableError(
          `The local load balancer of Service ${service.namespace}/${service.name} does not exist yet; ensureLoadBalancer creates it.`,
          { reason: 'LoadBalancerNotFound' },
        );
      }
      this.#assignBackends(lb, backends);
    });
  }

  /** Closes the Service's listeners and their open connections; an absent one is success. */
  async ensureLoadBalancerDeleted(_clusterName: string, service: ServiceSpecView, signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    const key = serviceKey(service);
    await this.#calls.run(key, async () => {
      signal.throwIfAborted();
      const lb = this.#services.get(key);
      if (lb === undefined) return;
      this.#services.delete(key);
      await closeAll(lb);
      this.#options.log.info('deleted load balancer', { service: `${lb.namespace}/${lb.name}`, uid: lb.uid });
    });
  }

  /** Every registration of the Service with its health; `draining` when its weight is 0. */
  async getBackendHealth(
    _clusterName: string,
    service: ServiceSpecView,
    signal: AbortSignal,
  ): Promise<readonly BackendStatus[]> {
    signal.throwIfAborted();
    const lb = this.#services.get(serviceKey(service));
    if (lb === undefined) return [];
    return [...lb.ports].flatMap(([name, { listener }]) => listener.pool.statuses(name));
  }

  /**
   * Where the listener of a Service port accepts connections: the Service port itself, or
   * the ephemeral port the kernel chose for a Service port 0. Without `uid`, the most
   * recently created load balancer of that namespace and name is used.
   */
  listenerAddress(
    service: { readonly namespace: string; readonly name: string; readonly uid?: string },
    servicePortName: string,
  ): ListenAddress | undefined {
    let found: ServiceLoadBalancer | undefined;
    for (const lb of this.#services.values()) {
      if (lb.namespace !== service.namespace || lb.name !== service.name) continue;
      if (service.uid !== undefined && lb.uid !== service.uid) continue;
      found = lb;
    }
    return found?.ports.get(servicePortName)?.listener.address;
  }

  /**
   * Waits for calls in flight, then closes every listener, connection and health check.
   * Later calls that would create or change a load balancer reject.
   */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#calls.settled();
    const all = [...this.#services.values()];
    this.#services.clear();
    await Promise.all(all.map(closeAll));
  }

  /** Opens a listener on exactly `port.port`; rejects with a classified error, having opened nothing. */
  async #openListener(lb: ServiceLoadBalancer, port: ServicePortView, index: number, filter: SourceFilter): Promise<PortListener> {
    const { log, timers } = this.#options;
    let listener: PortListener | undefined;
    // Read at each transition: the listener may since serve a renamed Service port.
    const listenerLabel = (): string => listener?.label ?? label(lb, port.name);
    const pool = new BackendPool(
      (backend) =>
        new HealthChecker({
          host: backend.ip,
          port: backend.port,
          intervalMs: this.#options.intervalMs,
          timeoutMs: this.#options.timeoutMs,
          healthyThreshold: this.#options.healthyThreshold,
          unhealthyThreshold: this.#options.unhealthyThreshold,
          timers,
          onTransition: (from, to, reason) =>
            log.info('backend health changed', {
              service: `${lb.namespace}/${lb.name}`,
              listener: listenerLabel(),
              backend: hostPort(backend.ip, backend.port),
              podUid: backend.podUid,
              from,
              to,
              ...(reason === undefined ? {} : { reason }),
            }),
        }),
    );
    const { address: host } = this.#options;
    try {
      listener = await PortListener.open({
        host,
        port: port.port,
        pool,
        connectRetries: this.#options.connectRetries,
        connectTimeoutMs: this.#options.connectTimeoutMs,
        timers,
        log,
        label: listenerLabel(),
        sourceFilter: filter,
      });
    } catch (error) {
      throw listenError({ service: `${lb.namespace}/${lb.name}`, portName: port.name, port: port.port, index, address: host }, error);
    }
    const { address, port: actualPort } = listener.address;
    log.info(`load balancer ${listener.label} listening on ${hostPort(address, actualPort)}`, {
      service: `${lb.namespace}/${lb.name}`,
      listener: listener.label,
      address,
      port: actualPort,
      servicePort: port.port,
    });
    return listener;
  }

  #assignBackends(lb: ServiceLoadBalancer, backends: readonly Backend[]): void {
    const byPort = new Map<string, Backend[]>();
    for (const backend of backends) {
      const list = byPort.get(backend.servicePort);
      if (list === undefined) byPort.set(backend.servicePort, [backend]);
      else list.push(backend);
    }
    for (const [name, { listener }] of lb.ports) listener.pool.replace(byPort.get(name) ?? []);
    const unknown = [...byPort.keys()].filter((name) => !lb.ports.has(name));
    if (unknown.length > 0) {
      this.#options.log.warn('ignoring backends for ports the Service does not have', {
        service: `${lb.namespace}/${lb.name}`,
        servicePorts: unknown,
      });
    }
  }

  /** Lists exactly the ports whose listener is bound: `lb.ports` holds no other. */
  #status(lb: ServiceLoadBalancer): LoadBalancerStatus {
    const ports = [...lb.ports.values()].map(({ port }) => ({ port: port.port, protocol: port.protocol }));
    return { ingress: [{ ip: this.#options.advertiseAddress, ports }] };
  }

  #assertOpen(): void {
    if (this.#closed) {
      throw new TerminalError('The local load balancer provider is closed; create a new one to manage load balancers.', {
        reason: 'ProviderClosed',
      });
    }
  }
}

