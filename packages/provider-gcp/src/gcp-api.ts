/**
 * The single door to the Compute Engine API: every SDK method goes through
 * {@link GcpApi.call}, mutating ones through {@link GcpApi.mutate}, which also waits on the
 * zonal or regional operation until it is DONE or its deadline passes. Each call is logged
 * at debug as `gcp call` with `operation: '<client>.<method>'` (the e2e job counts calls by
 * these lines), honours the caller's AbortSignal, and rethrows failures classified.
 *
 * The SDK's own retries are off: the work queue retries with backoff, so one reconcile
 * never hides minutes of retrying inside one call.
 */
import {
  AddressesClient,
  FirewallsClient,
  ForwardingRulesClient,
  GlobalOperationsClient,
  NetworkEndpointGroupsClient,
  type protos,
  RegionBackendServicesClient,
  RegionHealthChecksClient,
  RegionOperationsClient,
  RegionTargetTcpProxiesClient,
  SubnetworksClient,
  ZoneOperationsClient,
} from '@google-cloud/compute';
import { type Logger, RetryableError } from '@sluice/core';
import { type Clock, providerClock } from '@sluice/core/provider-kit';
import { classifyGcpError, operationError } from './errors.ts';
import { lastSegment } from './names.ts';
import type { ResolvedGcpProviderOptions } from './options.ts';

export type Operation = protos.google.cloud.compute.v1.IOperation;

/** The Compute clients the provider uses. */
export interface GcpClients {
  readonly networkEndpointGroups: NetworkEndpointGroupsClient;
  readonly regionHealthChecks: RegionHealthChecksClient;
  readonly regionBackendServices: RegionBackendServicesClient;
  readonly regionTargetTcpProxies: RegionTargetTcpProxiesClient;
  readonly forwardingRules: ForwardingRulesClient;
  readonly regionOperations: RegionOperationsClient;
  readonly zoneOperations: ZoneOperationsClient;
  readonly globalOperations: GlobalOperationsClient;
  readonly subnetworks: SubnetworksClient;
  readonly firewalls: FirewallsClient;
  readonly addresses: AddressesClient;
}

type ClientOptions = NonNullable<ConstructorParameters<typeof RegionBackendServicesClient>[0]>;

/** What every SDK call is given: no SDK retries, a per-request timeout. */
export interface CallOptions {
  readonly retry: null;
  readonly timeout: number;
  readonly autoPaginate: false;
}

/** Per-request timeout of a single HTTP call (operation waits are bounded separately). */
export const REQUEST_TIMEOUT_MS = 60_000;

/**
 * An auth client for a loopback test endpoint: it adds no token, so Application Default
 * Credentials are never looked up. It implements the two members google-gax's REST
 * transport uses (`getRequestHeaders`, `fetch`).
 */
export function passThroughAuth(): ClientOptions['authClient'] {
  const client = {
    async getRequestHeaders() {
      return new Headers();
    },
    fetch(url: string, init: RequestInit) {
      return fetch(url, { method: init.method ?? 'GET', headers: init.headers, body: init.body, signal: init.signal });
    },
  };
  return client as unknown as ClientOptions['authClient'];
}

/**
 * SDK client options for an endpoint: none for the default; for a URL, `apiEndpoint` (its
 * host) and `port`; for http (loopback test servers only, checked by resolveOptions)
 * also `protocol: 'http'` and {@link passThroughAuth}.
 */
export function clientOptions(endpoint: URL | undefined): ClientOptions {
  if (endpoint === undefined) return {};
  const https = endpoint.protocol === 'https:';
  const port = endpoint.port !== '' ? Number(endpoint.port) : https ? 443 : 80;
  const apiEndpoint = endpoint.hostname.replace(/^\[|\]$/g, '');
  return https ? { apiEndpoint, port } : { apiEndpoint, port, protocol: 'http', authClient: passThroughAuth() };
}

/** Builds the clients not injected; sends nothing until the first call. */
export function buildClients(options: ResolvedGcpProviderOptions): { clients: GcpClients; built: { close(): Promise<void> }[] } {
  const o = clientOptions(options.apiEndpoint);
  const given = options.clients;
  const built: { close(): Promise<void> }[] = [];
  const make = <C extends { close(): Promise<void> }>(injected: C | undefined, create: () => C): C => {
    if (injected) return injected;
    const c = create();
    built.push(c);
    return c;
  };
  const clients: GcpClients = {
    networkEndpointGroups: make(given.networkEndpointGroups, () => new NetworkEndpointGroupsClient({ ...o })),
    regionHealthChecks: make(given.regionHealthChecks, () => new RegionHealthChecksClient({ ...o })),
    regionBackendServices: make(given.regionBackendServices, () => new RegionBackendServicesClient({ ...o })),
    regionTargetTcpProxies: make(given.regionTargetTcpProxies, () => new RegionTargetTcpProxiesClient({ ...o })),
    forwardingRules: make(given.forwardingRules, () => new ForwardingRulesClient({ ...o })),
    regionOperations: make(given.regionOperations, () => new RegionOperationsClient({ ...o })),
    zoneOperations: make(given.zoneOperations, () => new ZoneOperationsClient({ ...o })),
    globalOperations: make(given.globalOperations, () => new GlobalOperationsClient({ ...o })),
    subnetworks: make(given.subnetworks, () => new SubnetworksClient({ ...o })),
    firewalls: make(given.firewalls, () => new FirewallsClient({ ...o })),
    addresses: make(given.addresses, () => new AddressesClient({ ...o })),
  };
  return { clients, built };
}

/** Rejects with the signal's reason as soon as it aborts; the SDK promise is left to settle unobserved. */
function abortable<T>(pending: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    pending.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/** Where a mutating call's operation lives. */
export type OperationScope = { readonly zone: string } | { readonly region: string } | { readonly global: true };

export class GcpApi {
  readonly clients: GcpClients;
  readonly project: string;
  readonly region: string;
  readonly #log: Logger;
  readonly #operationTimeoutMs: number;
  readonly #clock: Pick<Clock, 'now'>;
  readonly #built: { close(): Promise<void> }[];

  constructor(options: ResolvedGcpProviderOptions, clock: Pick<Clock, 'now'> = providerClock) {
    const { clients, built } = buildClients(options);
    this.clients = clients;
    this.#built = built;
    this.project = options.project;
    this.region = options.region;
    this.#log = options.log;
    this.#operationTimeoutMs = options.operationTimeoutMs;
    this.#clock = clock;
  }

  /** Runs one SDK method, logged as `gcp call` with `operation`; failures come back classified. */
  async call<T>(operation: string, signal: AbortSignal, fn: (options: CallOptions) => Promise<T>): Promise<T> {
    signal.throwIfAborted();
    this.#log.debug('gcp call', { operation });
    try {
      return await abortable(fn({ retry: null, timeout: REQUEST_TIMEOUT_MS, autoPaginate: false }), signal);
    } catch (error) {
      throw classifyGcpError(operation, error, signal, this.#clock);
    }
  }

  /**
   * Runs a mutating SDK method and waits until its operation is DONE (operations `wait`,
   * repeated until the deadline). An operation that ends with an error throws it classified.
   */
  async mutate(operation: string, scope: OperationScope, signal: AbortSignal, fn: (options: CallOptions) => Promise<unknown>): Promise<void> {
    const started = this.#clock.now();
    const result = (await this.call(operation, signal, fn)) as [{ latestResponse?: Operation } | undefined, ...unknown[]];
    let op: Operation | undefined = result?.[0]?.latestResponse;
    while (op && op.status !== 'DONE') {
      const remaining = this.#operationTimeoutMs - (this.#clock.now() - started);
      const name = op.name ?? '';
      if (remaining <= 0) {
        throw new RetryableError(`Google ${operation} did not finish within ${this.#operationTimeoutMs} ms (operation ${name} is ${op.status ?? 'pending'}); will look again.`, {
          reason: 'GcpOperationTimeout',
        });
      }
      const timeout = Math.max(1, Math.min(remaining, REQUEST_TIMEOUT_MS));
      if ('global' in scope) {
        [op] = await this.call('globalOperations.wait', signal, (o) => this.clients.globalOperations.wait({ project: this.project, operation: name }, { ...o, timeout }));
      } else if ('zone' in scope) {
        const zone = lastSegment(op.zone) || scope.zone;
        [op] = await this.call('zoneOperations.wait', signal, (o) => this.clients.zoneOperations.wait({ project: this.project, zone, operation: name }, { ...o, timeout }));
      } else {
        const region = lastSegment(op.region) || scope.region;
        [op] = await this.call('regionOperations.wait', signal, (o) =>
          this.clients.regionOperations.wait({ project: this.project, region, operation: name }, { ...o, timeout }),
        );
      }
    }
    if (op?.error?.errors && op.error.errors.length > 0) throw operationError(operation, op);
  }

  /** Closes the clients this object built (never injected ones). */
  async close(): Promise<void> {
    await Promise.all(this.#built.map((c) => c.close().catch(() => undefined)));
  }
}
