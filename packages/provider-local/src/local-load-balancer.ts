/**
 * The local provider: an in-process L4 TCP load balancer per Service, implementing the
 * core {@link LoadBalancer} contract.
 *
 * Each Service (keyed by namespace, name and UID, so a re-created Service is a new load
 * balancer) gets one listener per Service port; each listener balances over the backends
 * registered for that port. Calls for one Service run one at a time, in call order, so a
 * slow ensure cannot interleave with the update that follows it.
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
  type ServiceSpecView,
  TerminalError,
} from '@sluice/core';
import { BackendPool } from './backend-pool.ts';
import { HealthChecker } from './health-checker.ts';
import { loadBalancerName } from './load-balancer-name.ts';
import { type LocalProviderOptions, type ResolvedLocalProviderOptions, resolveOptions } from './options.ts';
import { type ListenAddress, PortListener } from './port-listener.ts';
import { validateBackends, validateServicePorts } from './validation.ts';

interface ServiceLoadBalancer {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  /** By Service port name. */
  readonly ports: Map<string, { readonly port: ServicePortView; readonly listener: PortListener }>;
}

export class LocalLoadBalancer implements LoadBalancer {
  readonly providerName = 'local';
  readonly capabilities: ProviderCapabilities = {
    weights: true,
    drainInPlace: true,
    drainMode: 'weight',
    maxBatch: Number.POSITIVE_INFINITY,
    protocols: ['TCP'],
    tracksPodUid: true,
  };

  readonly #options: ResolvedLocalProviderOptions;
  readonly #services = new Map<string, ServiceLoadBalancer>();
  /** The tail of each Service's chain of calls; settled promises only. */
  readonly #queues = new Map<string, Promise<void>>();
  #closed = false;

  /** Validates and stores the options; opens nothing until {@link ensureLoadBalancer}. */
  constructor(options: LocalProviderOptions = {}) {
    this.#options = resolveOptions(options);
  }

  getLoadBalancerName(_clusterName: string, service: ServiceSpecView): string {
    return loadBalancerName(service);
  }

  async getLoadBalancer(_clusterName: string, service: ServiceSpecView, signal: AbortSignal): Promise<LoadBalancerLookup> {
    signal.throwIfAborted();
    const lb = this.#services.get(serviceKey(service));
    return lb === undefined ? { exists: false } : { exists: true, status: this.#status(lb) };
  }

  /**
   * Opens a listener for every Service port that has none, closes those of ports the
   * Service no longer has (or whose port number changed), then converges the backends as
   * {@link updateLoadBalancer} does. Existing listeners keep their port. A non-TCP port
   * rejects the whole call before anything changes.
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
    const key = serviceKey(service);
    return this.#serialize(key, async () => {
      signal.throwIfAborted();
      let lb = this.#services.get(key);
      if (lb === undefined) {
        lb = { namespace: service.namespace, name: service.name, uid: service.uid, ports: new Map() };
        this.#services.set(key, lb);
      }
      const wanted = new Map(service.ports.map((port) => [port.name, port]));
      for (const [name, current] of lb.ports) {
        if (wanted.get(name)?.port === current.port.port) continue;
        lb.ports.delete(name);
        await current.listener.close();
        this.#options.log.info('closed load balancer listener', { service: `${lb.namespace}/${lb.name}`, listener: label(lb, name), ...current.listener.address });
      }
      for (const port of service.ports) {
        const current = lb.ports.get(port.name);
        if (current !== undefined) {
          lb.ports.set(port.name, { port, listener: current.listener });
          continue;
        }
        signal.throwIfAborted();
        const listener = await this.#openListener(lb, port);
        lb.ports.set(port.name, { port, listener });
      }
      this.#assignBackends(lb, backends);
      return this.#status(lb);
    });
  }

  /**
   * Converges the backends of every Service port to `backends`: new registrations start at
   * `initial` and are checked at once, weight changes apply in place (weight 0 drains:
   * no new connections, open ones continue), missing ones stop receiving connections.
   * Rejects with a RetryableError when the load balancer has not been ensured yet.
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
    const key = serviceKey(service);
    await this.#serialize(key, async () => {
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
    await this.#serialize(key, async () => {
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
   * Where the listener of a Service port actually accepts connections (its port may
   * differ from the Service port). Without `uid`, the most recently created load balancer
   * of that namespace and name is used.
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
    await Promise.all(this.#queues.values());
    const all = [...this.#services.values()];
    this.#services.clear();
    await Promise.all(all.map(closeAll));
  }

  async #openListener(lb: ServiceLoadBalancer, port: ServicePortView): Promise<PortListener> {
    const { log, timers } = this.#options;
    const listenerLabel = label(lb, port.name);
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
              listener: listenerLabel,
              backend: `${backend.ip}:${backend.port}`,
              podUid: backend.podUid,
              from,
              to,
              ...(reason === undefined ? {} : { reason }),
            }),
        }),
    );
    let listener: PortListener;
    try {
      listener = await PortListener.open({
        host: this.#options.address,
        preferredPort: port.port,
        pool,
        connectRetries: this.#options.connectRetries,
        connectTimeoutMs: this.#options.connectTimeoutMs,
        timers,
        log,
        label: listenerLabel,
      });
    } catch (error) {
      throw listenError(listenerLabel, this.#options.address, error);
    }
    const { address, port: actualPort } = listener.address;
    log.info(`load balancer ${listenerLabel} listening on ${address}:${actualPort}`, {
      service: `${lb.namespace}/${lb.name}`,
      listener: listenerLabel,
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

  /** Runs `task` after every earlier task of the same Service has settled. */
  #serialize<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.#queues.get(key) ?? Promise.resolve();
    const result = previous.then(task);
    const tail = result.then(
      () => {},
      () => {},
    );
    this.#queues.set(key, tail);
    void tail.then(() => {
      if (this.#queues.get(key) === tail) this.#queues.delete(key);
    });
    return result;
  }
}

/** A bad listen address will not fix itself; anything else (EMFILE, ...) may. */
function listenError(listenerLabel: string, address: string, error: unknown): Error {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EADDRNOTAVAIL' || code === 'EINVAL' || code === 'ENOTFOUND') {
    return new TerminalError(
      `The local provider cannot listen for ${listenerLabel} on address ${address} (${code}); set the address option to an address of this host.`,
      { cause: error, field: 'address', reason: 'InvalidListenAddress' },
    );
  }
  return new RetryableError(`The local provider could not open a listener for ${listenerLabel}: ${errorMessage(error)}.`, {
    cause: error,
    reason: 'ListenFailed',
  });
}

function serviceKey(service: { readonly namespace: string; readonly name: string; readonly uid: string }): string {
  return `${service.namespace}/${service.name}/${service.uid}`;
}

function label(lb: ServiceLoadBalancer, portName: string): string {
  return `${lb.namespace}/${lb.name}:${portName}`;
}

async function closeAll(lb: ServiceLoadBalancer): Promise<void> {
  const listeners = [...lb.ports.values()].map(({ listener }) => listener);
  lb.ports.clear();
  await Promise.all(listeners.map((listener) => listener.close()));
}
