/**
 * The single door to Azure Resource Manager: every SDK operation goes through
 * {@link AzureApi.call} or, for long-running operations, {@link AzureApi.lro}. Each passes
 * the caller's AbortSignal to the SDK, logs the operation at debug as `azure call` with its
 * `operation` (the e2e job counts calls by these lines), and classifies any failure.
 *
 * Long-running operations (PUTs and DELETEs, the rule health query) are awaited with the
 * SDK's poller, which follows `Azure-AsyncOperation` / `Location` and honours Retry-After;
 * {@link AzureApi.settle} does the same without reading the written resource back. The
 * caller's signal bounds the whole wait, polling delays included.
 */
import { AuthorizationManagementClient } from '@azure/arm-authorization';
import { NetworkManagementClient } from '@azure/arm-network';
import { createDefaultHttpClient, type HttpClient } from '@azure/core-rest-pipeline';
import { DefaultAzureCredential, type TokenCredential } from '@azure/identity';
import type { Logger } from '@sluice/core';
import { type Clock, isLoopbackUrl, providerClock } from '@sluice/core/provider-kit';
import { classifyAzureError, httpStatus } from './errors.ts';
import { type ObservedResponse, type SubmittedOperation, settleOperation } from './lro-settle.ts';
import type { ResourceScope } from './names.ts';
import { DEFAULT_ENDPOINT, type ResolvedAzureProviderOptions } from './options.ts';

type Pipeline = NetworkManagementClient['pipeline'];
type PipelinePolicy = Parameters<Pipeline['addPolicy']>[0];

/** What an SDK operation gets from the door: the signal, and the poll interval for LROs. */
export interface CallOptions {
  readonly abortSignal: AbortSignal;
  readonly updateIntervalInMs?: number;
}

/** The poller an SDK long-running operation returns (core-lro's PollerLike, structurally). */
export interface PollerLike<T> {
  pollUntilDone(options?: { abortSignal?: AbortSignal }): Promise<T>;
}

/** The token scope for an endpoint: its origin, except loopback test servers stand in for ARM. */
export function tokenScope(endpoint: string): string {
  const url = new URL(endpoint);
  return `${isLoopbackUrl(url) ? DEFAULT_ENDPOINT : url.origin}/.default`;
}

/** DefaultAzureCredential, pointed at `AZURE_AUTHORITY_HOST` (a sovereign cloud or a test identity server) when set. */
export function defaultCredential(authorityHost: string | undefined): TokenCredential {
  return authorityHost === undefined ? new DefaultAzureCredential() : new DefaultAzureCredential({ authorityHost, disableInstanceDiscovery: true });
}

/**
 * Replaces the SDK's bearer policy, which refuses any http URL, for an http loopback
 * endpoint only (a test server): the token is still fetched from the credential and sent.
 */
function loopbackBearerPolicy(credential: TokenCredential, scope: string): PipelinePolicy {
  return {
    name: 'sluiceLoopbackBearerPolicy',
    async sendRequest(request, next) {
      if (!isLoopbackUrl(new URL(request.url))) throw new Error(`Refusing to send an Azure token over http to ${new URL(request.url).host}: only loopback test servers may use http.`);
      const token = await credential.getToken(scope, { abortSignal: request.abortSignal });
      if (token) request.headers.set('authorization', `Bearer ${token.token}`);
      return next(request);
    },
  };
}

/** What both clients share: the token scope, and whether the endpoint is an http loopback test server. */
function connection(options: ResolvedAzureProviderOptions): { scope: string; insecure: boolean } {
  return { scope: tokenScope(options.endpoint), insecure: new URL(options.endpoint).protocol === 'http:' };
}

/** On an http loopback endpoint, the token goes through {@link loopbackBearerPolicy} instead of the SDK's policy. */
function allowLoopbackHttp(pipeline: Pipeline, credential: TokenCredential, { scope, insecure }: { scope: string; insecure: boolean }): void {
  if (!insecure) return;
  pipeline.removePolicy({ name: 'bearerTokenAuthenticationPolicy' });
  pipeline.addPolicy(loopbackBearerPolicy(credential, scope), { phase: 'Sign' });
}

/** Builds the client from resolved options; sends nothing until the first operation. */
export function buildNetworkClient(options: ResolvedAzureProviderOptions, credential: TokenCredential = options.credential ?? defaultCredential(options.authorityHost)): NetworkManagementClient {
  const conn = connection(options);
  const client = new NetworkManagementClient(credential, options.subscriptionId, {
    endpoint: options.endpoint,
    credentials: { scopes: [conn.scope] },
    retryOptions: { maxRetries: options.maxRetries },
    ...(conn.insecure ? { allowInsecureConnection: true } : {}),
  });
  allowLoopbackHttp(client.pipeline, credential, conn);
  return client;
}

/**
 * The Microsoft.Authorization client, for the startup check that lists the identity's
 * permissions (permissions.ts); same endpoint, token and retry policy as the network client.
 * Its operations address `$host`, which must be the endpoint too.
 */
export function buildAuthorizationClient(options: ResolvedAzureProviderOptions, credential: TokenCredential): AuthorizationManagementClient {
  const conn = connection(options);
  const client = new AuthorizationManagementClient(credential, options.subscriptionId, {
    endpoint: options.endpoint,
    $host: options.endpoint,
    credentialScopes: [conn.scope],
    retryOptions: { maxRetries: options.maxRetries },
    ...(conn.insecure ? { allowInsecureConnection: true } : {}),
  });
  allowLoopbackHttp(client.pipeline, credential, conn);
  return client;
}

export class AzureApi {
  readonly client: NetworkManagementClient;
  readonly scope: ResourceScope;
  readonly location: string;
  readonly virtualNetworkId: string;
  readonly #log: Logger;
  readonly #pollIntervalMs: number | undefined;
  readonly #insecure: boolean;
  readonly #clock: Pick<Clock, 'now'>;
  readonly #options: ResolvedAzureProviderOptions;
  #credential: TokenCredential | undefined;
  #authorization: AuthorizationManagementClient | undefined;
  /** The HTTP client settle's polls go through, built once so its connections are reused. */
  #pollClient: HttpClient | undefined;

  constructor(options: ResolvedAzureProviderOptions, clock: Pick<Clock, 'now'> = providerClock) {
    this.#options = options;
    this.client = options.networkClient ?? buildNetworkClient(options, this.#tokenCredential());
    this.scope = { subscriptionId: options.subscriptionId, resourceGroup: options.resourceGroup };
    this.location = options.location;
    this.virtualNetworkId = options.virtualNetworkId;
    this.#log = options.log;
    this.#pollIntervalMs = options.pollIntervalMs;
    this.#insecure = new URL(options.endpoint).protocol === 'http:';
    this.#clock = clock;
  }

  /** The Microsoft.Authorization client, built at first use. */
  get authorization(): AuthorizationManagementClient {
    this.#authorization ??= buildAuthorizationClient(this.#options, this.#tokenCredential());
    return this.#authorization;
  }

  /** One credential for both clients: the option's, else DefaultAzureCredential (built at first use). */
  #tokenCredential(): TokenCredential {
    this.#credential ??= this.#options.credential ?? defaultCredential(this.#options.authorityHost);
    return this.#credential;
  }

  /** The resource group every call addresses. */
  get resourceGroup(): string {
    return this.scope.resourceGroup;
  }

  /**
   * Runs one SDK operation: logs it as `azure call` with `operation`, `resource`, `outcome`
   * and `durationMs`, and rethrows failures classified (an abort as the signal's reason).
   */
  async call<T>(operation: string, resource: string, signal: AbortSignal, fn: (options: CallOptions) => Promise<T>): Promise<T> {
    signal.throwIfAborted();
    const started = this.#clock.now();
    const options: CallOptions = { abortSignal: signal, ...(this.#pollIntervalMs !== undefined ? { updateIntervalInMs: this.#pollIntervalMs } : {}) };
    try {
      const out = await fn(options);
      this.#log.debug('azure call', { operation, resource, outcome: 'ok', durationMs: Math.round(this.#clock.now() - started) });
      return out;
    } catch (error) {
      const status = httpStatus(error);
      const code = (error as { code?: string } | undefined)?.code;
      this.#log.debug('azure call', {
        operation,
        resource,
        outcome: signal.aborted ? 'aborted' : (code ?? (status !== undefined ? `HTTP${status}` : 'error')),
        ...(status !== undefined ? { status } : {}),
        durationMs: Math.round(this.#clock.now() - started),
      });
      throw classifyAzureError(operation, error, signal, this.#clock);
    }
  }

  /** Runs a long-running operation and waits for its end, bounded by `signal`. */
  lro<T>(operation: string, resource: string, signal: AbortSignal, start: (options: CallOptions) => PollerLike<T>): Promise<T> {
    return this.call(operation, resource, signal, (options) => start(options).pollUntilDone({ abortSignal: signal }));
  }

  /**
   * Runs a long-running write and waits for its end without the SDK's final GET of the
   * resource (lro-settle.ts): for writes whose answer the caller does not keep.
   */
  settle(operation: string, resource: string, signal: AbortSignal, start: (options: CallOptions & { onResponse: (response: ObservedResponse) => void }) => SubmittedOperation): Promise<void> {
    return this.call(operation, resource, signal, (options) =>
      settleOperation(
        { pipeline: this.client.pipeline, signal, intervalInMs: options.updateIntervalInMs, allowInsecureConnection: this.#insecure, httpClient: (this.#pollClient ??= createDefaultHttpClient()) },
        (onResponse) => start({ ...options, onResponse }),
      ),
    );
  }
}
