/**
 * An in-memory provider that records every call, for tests of the core. It behaves like a
 * real provider at the contract level: it holds backends per Service, reports health (set
 * by the test; new registrations start `initial`), and can be told to fail.
 */
import { BackendRejectedError, RetryableError } from '../errors.ts';
import type {
  Backend,
  BackendHealthState,
  BackendStatus,
  LoadBalancer,
  LoadBalancerLookup,
  LoadBalancerStatus,
  ProviderCapabilities,
  ServiceSpecView,
} from '../provider.ts';
import { backendAddressKey, backendKey } from '../provider.ts';

export interface RecordedCall {
  readonly method: 'ensureLoadBalancer' | 'updateLoadBalancer' | 'ensureLoadBalancerDeleted' | 'getLoadBalancer' | 'getBackendHealth';
  readonly service: string;
  readonly backends?: readonly Backend[];
  /** The call threw (told to fail, or a refused backend): it changed nothing. */
  readonly failed?: true;
}

interface Entry {
  backends: Map<string, { backend: Backend; health: BackendHealthState }>;
}

export interface RecordingProviderOptions {
  readonly capabilities?: Partial<ProviderCapabilities>;
  /** Health a new registration starts with. @default 'initial' */
  readonly initialHealth?: BackendHealthState;
  /** Addresses the provider refuses to register (as a cloud refuses an IP outside its network): the call changes nothing and throws BackendRejectedError. */
  readonly rejectIps?: readonly string[];
}

export class RecordingProvider implements LoadBalancer {
  readonly providerName: string = 'recording';
  readonly capabilities: ProviderCapabilities;
  readonly calls: RecordedCall[] = [];
  readonly #lbs = new Map<string, Entry>();
  readonly #initialHealth: BackendHealthState;
  /** Errors to throw, in order, from the next write calls. */
  readonly failNextWrites: Error[] = [];
  /** Errors to throw, in order, from the next read calls (getLoadBalancer, getBackendHealth). */
  readonly failNextReads: Error[] = [];

  constructor(options: RecordingProviderOptions = {}) {
    this.capabilities = {
      weights: true,
      drainInPlace: true,
      drainMode: 'weight',
      maxBatch: Number.POSITIVE_INFINITY,
      protocols: ['TCP', 'UDP'],
      tracksPodUid: true,
      honours: { sourceRanges: true, loadBalancerIP: false, sessionAffinity: false, ipFamilies: ['IPv4', 'IPv6'] },
      ipMode: 'VIP',
      healthCheckIntervalMs: 1000,
      ...options.capabilities,
    };
    this.#initialHealth = options.initialHealth ?? 'initial';
    this.#rejectIps = new Set(options.rejectIps ?? []);
  }

  readonly #rejectIps: Set<string>;

  #refuse(backends: readonly Backend[]): void {
    const refused = backends.filter((b) => this.#rejectIps.has(b.ip));
    if (refused.length === 0) return;
    throw new BackendRejectedError(
      `The load balancer refused ${refused.length} backend${refused.length === 1 ? '' : 's'}.`,
      refused.map((b) => ({ key: backendKey(b), message: `Address ${b.ip}:${b.port} of pod ${b.podName} is outside the networks this load balancer can reach.` })),
    );
  }

  getLoadBalancerName(clusterName: string, service: ServiceSpecView): string {
    return `${clusterName}-${service.namespace}-${service.name}`;
  }

  async getLoadBalancer(_c: string, service: ServiceSpecView, signal: AbortSignal): Promise<LoadBalancerLookup> {
    signal.throwIfAborted();
    this.calls.push({ method: 'getLoadBalancer', service: key(service) });
    this.#maybeFailRead();
    return this.#lbs.has(key(service)) ? { exists: true, status: status() } : { exists: false };
  }

  async ensureLoadBalancer(_c: string, service: ServiceSpecView, backends: readonly Backend[], signal: AbortSignal): Promise<LoadBalancerStatus> {
    signal.throwIfAborted();
    this.#attempt({ method: 'ensureLoadBalancer', service: key(service), backends }, () => {
      this.#maybeFail();
      this.#refuse(backends);
    });
    if (!this.#lbs.has(key(service))) this.#lbs.set(key(service), { backends: new Map() });
    this.#set(key(service), backends);
    return status();
  }

  async updateLoadBalancer(_c: string, service: ServiceSpecView, backends: readonly Backend[], signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    this.#attempt({ method: 'updateLoadBalancer', service: key(service), backends }, () => {
      this.#maybeFail();
      this.#refuse(backends);
      if (!this.#lbs.has(key(service))) throw new RetryableError(`load balancer for ${key(service)} does not exist`);
    });
    this.#set(key(service), backends);
  }

  async ensureLoadBalancerDeleted(_c: string, service: ServiceSpecView, signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    this.#attempt({ method: 'ensureLoadBalancerDeleted', service: key(service) }, () => this.#maybeFail());
    this.#lbs.delete(key(service));
  }

  async getBackendHealth(_c: string, service: ServiceSpecView, signal: AbortSignal): Promise<readonly BackendStatus[]> {
    signal.throwIfAborted();
    this.calls.push({ method: 'getBackendHealth', service: key(service) });
    this.#maybeFailRead();
    const entry = this.#lbs.get(key(service));
    if (!entry) return [];
    return [...entry.backends.values()].map(({ backend, health }) => ({
      servicePort: backend.servicePort,
      ip: backend.ip,
      port: backend.port,
      podUid: backend.podUid,
      weight: backend.weight,
      health: backend.weight === 0 ? 'draining' : health,
    }));
  }

  /** Sets the health of every backend of a pod (or all, with no pod UID). */
  setHealth(serviceKey: string, health: BackendHealthState, podUid?: string): void {
    for (const entry of this.#lbs.get(serviceKey)?.backends.values() ?? []) {
      if (podUid === undefined || entry.backend.podUid === podUid) entry.health = health;
    }
  }

  /** The backends held for a Service, sorted by address key. */
  backends(serviceKey: string): Backend[] {
    return [...(this.#lbs.get(serviceKey)?.backends.values() ?? [])]
      .map((e) => e.backend)
      .sort((a, b) => backendAddressKey(a).localeCompare(backendAddressKey(b)));
  }

  /** Whether the provider holds an LB for the Service. */
  exists(serviceKey: string): boolean {
    return this.#lbs.has(serviceKey);
  }

  /** Write calls recorded (ensure, update, delete). */
  get writes(): RecordedCall[] {
    return this.calls.filter((c) => c.method !== 'getLoadBalancer' && c.method !== 'getBackendHealth');
  }

  #set(serviceKey: string, backends: readonly Backend[]): void {
    const entry = this.#lbs.get(serviceKey)!;
    const next = new Map<string, { backend: Backend; health: BackendHealthState }>();
    for (const b of backends) {
      const k = backendAddressKey(b);
      const previous = entry.backends.get(k);
      const keep = previous && previous.backend.podUid === b.podUid;
      next.set(k, { backend: b, health: keep ? previous.health : this.#initialHealth });
    }
    entry.backends = next;
  }

  #maybeFailRead(): void {
    const error = this.failNextReads.shift();
    if (error) throw error;
  }

  /** Records a write call; when `check` throws, records it as failed (it changed nothing) and rethrows. */
  #attempt(call: RecordedCall, check: () => void): void {
    try {
      check();
      this.calls.push(call);
    } catch (error) {
      this.calls.push({ ...call, failed: true });
      throw error;
    }
  }

  #maybeFail(): void {
    const error = this.failNextWrites.shift();
    if (error) throw error;
  }
}

function key(service: ServiceSpecView): string {
  return `${service.namespace}/${service.name}`;
}

function status(): LoadBalancerStatus {
  return { ingress: [{ ip: '192.0.2.10' }] };
}
