/**
 * Options of the azure provider and the one place their defaults are filled in. Every
 * option the controller does not pass falls back to an environment variable, so
 * `sluice --provider azure --cluster-name prod` works with the usual Azure variables set.
 * A missing or malformed value is one TerminalError sentence naming the option and the
 * variable.
 */
import type { NetworkManagementClient } from '@azure/arm-network';
import type { TokenCredential } from '@azure/identity';
import { type Logger, TerminalError } from '@sluice/core';
import { isLoopbackUrl, silentLogger } from '@sluice/core/provider-kit';
import { AZURE_NAME, DEFAULT_PROBE_INTERVAL, DEFAULT_PROBE_THRESHOLD } from './annotations.ts';
import { resolveNsgOptions } from './nsg-options.ts';
import type { PriorityRange } from './nsg-spec.ts';

export interface AzureProviderOptions {
  /**
   * Names the cluster. Resource names hash it with the Service UID, and every resource is
   * tagged `sluice-cluster=<clusterName>`, so two clusters in one resource group never
   * touch each other's load balancers.
   */
  readonly clusterName: string;
  /**
   * The subscription that holds the resource group.
   * @default the `AZURE_SUBSCRIPTION_ID` environment variable
   */
  readonly subscriptionId?: string;
  /**
   * The resource group load balancers and public IPs are created in.
   * @default the `AZURE_RESOURCE_GROUP` environment variable
   */
  readonly resourceGroup?: string;
  /**
   * The Azure region of the load balancers and public IPs, e.g. `westeurope`; it must be
   * the region of the virtual network.
   * @default the `AZURE_LOCATION` environment variable
   */
  readonly location?: string;
  /**
   * Full resource ID of the virtual network the pod IPs live in
   * (`/subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.Network/virtualNetworks/<name>`);
   * every backend address names it.
   * @default the `AZURE_VNET_ID` environment variable
   */
  readonly virtualNetworkId?: string;
  /**
   * The Azure Resource Manager endpoint. Must be https, except http on a loopback address
   * (127.0.0.1, ::1, localhost), which is accepted for test servers only.
   * @default the `AZURE_ARM_ENDPOINT` environment variable, else `https://management.azure.com`
   */
  readonly endpoint?: string;
  /**
   * Where tokens come from. The token scope is `<endpoint origin>/.default`.
   * @default `new DefaultAzureCredential({ authorityHost: AZURE_AUTHORITY_HOST, disableInstanceDiscovery: true })`
   * when `AZURE_AUTHORITY_HOST` is set, else `new DefaultAzureCredential()`
   */
  readonly credential?: TokenCredential;
  /**
   * How often long-running operations are polled, in milliseconds. A `Retry-After` sent
   * by Azure while polling takes precedence.
   * @default the `AZURE_POLL_INTERVAL_MS` environment variable, else the SDK's default
   * (2000 ms, honouring Retry-After)
   */
  readonly pollIntervalMs?: number;
  /**
   * The probe interval, in seconds (5-300), of every Service that does not set
   * `sluice.dev/azure-probe-interval`. It is also the provider's `healthCheckIntervalMs`: while
   * a readiness gate waits, backend health is read no more often than this (unless the
   * controller's `--health-poll-ms` says otherwise), since it cannot change faster than the
   * load balancer probes.
   * @default the `SLUICE_AZURE_PROBE_INTERVAL` environment variable, else 5 (Azure's own default)
   */
  readonly probeIntervalSeconds?: number;
  /**
   * The probe threshold (1-10: consecutive probe results that mark an address up or down) of
   * every Service that does not set `sluice.dev/azure-probe-threshold`.
   * @default the `SLUICE_AZURE_PROBE_THRESHOLD` environment variable, else 2
   */
  readonly probeThreshold?: number;
  /**
   * The load balancers a Service may name with `sluice.dev/azure-load-balancer-name` to share
   * them (compared case-insensitively). The annotation makes Sluice write into a load balancer
   * other Services use, maybe another team's, so only these names are accepted; any other is
   * refused by `validate` before anything is written.
   * @default none: every Service gets a load balancer of its own
   */
  readonly sharedLoadBalancers?: readonly string[];
  /**
   * The network security group of the pods' subnet (or NICs), by name in the resource group
   * or by full resource ID. A Standard load balancer's client flows are dropped unless a
   * group allows them (its probes pass regardless), so Sluice writes one Allow rule per
   * Service port into it: source the Service's `loadBalancerSourceRanges` (else `Internet`),
   * destination the pods' virtual network, port the pods' port. With it, Services may set
   * `loadBalancerSourceRanges`; without it they may not (Sluice could not enforce them).
   * @default the `SLUICE_AZURE_NSG` environment variable, else none: Sluice writes no rule
   */
  readonly networkSecurityGroup?: string;
  /**
   * The priorities Sluice gives its rules, `min-max` within 100-4096; rules of others keep theirs.
   * @default the `SLUICE_AZURE_NSG_PRIORITIES` environment variable, else 3000-3999
   */
  readonly nsgPriorities?: string;
  /**
   * Retries per HTTP request made by the SDK's retry policy on throttling (429, honouring
   * Retry-After), 5xx and network errors.
   * @default 5
   */
  readonly maxRetries?: number;
  /**
   * Where the provider logs; every ARM operation is logged at debug as `azure call` with
   * its `operation` (e.g. `backendAddressPools.createOrUpdate`).
   * @default a logger that discards everything
   */
  readonly log?: Logger;
  /**
   * The client to use instead of one built from `subscriptionId`, `endpoint`, `credential`
   * and `maxRetries` (tests inject one). Its subscription must be `subscriptionId`.
   * @default a new NetworkManagementClient
   */
  readonly networkClient?: NetworkManagementClient;
}

export interface ResolvedAzureProviderOptions {
  readonly clusterName: string;
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly location: string;
  readonly virtualNetworkId: string;
  readonly endpoint: string;
  /** Undefined means: build the default DefaultAzureCredential when the client is built. */
  readonly credential: TokenCredential | undefined;
  /** `AZURE_AUTHORITY_HOST` as read, for the default credential. */
  readonly authorityHost: string | undefined;
  readonly pollIntervalMs: number | undefined;
  readonly probeIntervalSeconds: number;
  readonly probeThreshold: number;
  readonly sharedLoadBalancers: readonly string[];
  /** The group Sluice writes its rules into (option networkSecurityGroup); undefined when none is configured. */
  readonly securityGroup: { readonly resourceGroup: string; readonly name: string } | undefined;
  readonly securityRulePriorities: PriorityRange;
  readonly maxRetries: number;
  readonly log: Logger;
  readonly networkClient: NetworkManagementClient | undefined;
}

export const DEFAULT_ENDPOINT = 'https://management.azure.com';
export const DEFAULT_MAX_RETRIES = 5;

/** The controller's flag for each option (apps/controller), named in error messages. */
export const FLAG = {
  subscriptionId: '--azure-subscription-id',
  resourceGroup: '--azure-resource-group',
  location: '--azure-location',
  virtualNetworkId: '--azure-vnet-id',
  endpoint: '--azure-endpoint',
  sharedLoadBalancers: '--azure-shared-load-balancers',
  networkSecurityGroup: '--azure-nsg',
  nsgPriorities: '--azure-nsg-priorities',
} as const;

export const ENV = {
  subscriptionId: 'AZURE_SUBSCRIPTION_ID',
  resourceGroup: 'AZURE_RESOURCE_GROUP',
  location: 'AZURE_LOCATION',
  virtualNetworkId: 'AZURE_VNET_ID',
  endpoint: 'AZURE_ARM_ENDPOINT',
  pollIntervalMs: 'AZURE_POLL_INTERVAL_MS',
  authorityHost: 'AZURE_AUTHORITY_HOST',
  probeIntervalSeconds: 'SLUICE_AZURE_PROBE_INTERVAL',
  probeThreshold: 'SLUICE_AZURE_PROBE_THRESHOLD',
  networkSecurityGroup: 'SLUICE_AZURE_NSG',
  nsgPriorities: 'SLUICE_AZURE_NSG_PRIORITIES',
} as const;



const VNET_ID = /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.Network\/virtualNetworks\/[^/]+$/i;
/** Azure resource group names: 1-90 letters, digits, underscores, periods, hyphens, parentheses; not ending in a period. */
const RESOURCE_GROUP = /^[-\w.()]{0,89}[-\w()]$/u;
const LOCATION = /^[a-z0-9]+$/i;
/** Fills in the defaults from `env`; rejects values that cannot work, naming the option and its variable. */
export function resolveOptions(options: AzureProviderOptions, env: Readonly<Record<string, string | undefined>> = process.env): ResolvedAzureProviderOptions {
  const clusterName = options?.clusterName;
  if (typeof clusterName !== 'string' || clusterName.trim() === '' || clusterName.length > 200) {
    throw new TerminalError(`Azure provider option clusterName is ${JSON.stringify(clusterName)}, but it must be a non-empty string of at most 200 characters.`, {
      field: 'clusterName',
    });
  }
  const required = (name: keyof typeof FLAG & keyof typeof ENV, check: RegExp, allowed: string): string => {
    const given = options[name] as string | undefined;
    const value = (given ?? env[ENV[name]])?.trim();
    if (value === undefined || value === '') {
      throw new TerminalError(`Azure provider option ${name} is not set: pass ${FLAG[name]} (option ${name}) or set the ${ENV[name]} environment variable.`, {
        field: FLAG[name],
      });
    }
    if (!check.test(value)) {
      const source = given !== undefined ? `${FLAG[name]} (option ${name})` : `${ENV[name]} (option ${name})`;
      throw new TerminalError(`Azure provider ${source} is "${value}", but it must be ${allowed}.`, { field: FLAG[name] });
    }
    return value;
  };

  const subscriptionId = required('subscriptionId', /^[A-Za-z0-9-]{1,64}$/, 'a subscription ID such as 00000000-0000-0000-0000-000000000000');
  const resourceGroup = required('resourceGroup', RESOURCE_GROUP, 'a resource group name of 1 to 90 letters, digits, underscores, periods, hyphens and parentheses');
  const location = required('location', LOCATION, 'an Azure region name such as westeurope');
  const virtualNetworkId = required(
    'virtualNetworkId',
    VNET_ID,
    'a virtual network resource ID (/subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.Network/virtualNetworks/<name>)',
  );

  const rawEndpoint = (options.endpoint ?? env[ENV.endpoint])?.trim() || DEFAULT_ENDPOINT;
  const url = URL.parse(rawEndpoint);
  const endpointOk = url !== null && (url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackUrl(url))) && url.pathname.replace(/\/+$/, '') === '';
  if (!endpointOk) {
    const source = options.endpoint !== undefined ? `${FLAG.endpoint} (option endpoint)` : `${ENV.endpoint} (option endpoint)`;
    throw new TerminalError(
      `Azure provider ${source} is "${rawEndpoint}", but it must be an https URL without a path such as ${DEFAULT_ENDPOINT} (http only on a loopback address, for test servers).`,
      { field: FLAG.endpoint },
    );
  }
  const endpoint = url.origin;

  const maxRetries = options.maxRetries ?? DEFAULT_MAX_RETRIES;
  if (!Number.isSafeInteger(maxRetries) || maxRetries < 0) {
    throw new TerminalError(`Azure provider option maxRetries is ${maxRetries}, but it must be a whole number of at least 0.`, { field: 'maxRetries' });
  }
  const rawPoll = env[ENV.pollIntervalMs]?.trim() || undefined;
  const pollIntervalMs = options.pollIntervalMs ?? (rawPoll !== undefined && /^\d+$/.test(rawPoll) ? Number(rawPoll) : rawPoll === undefined ? undefined : Number.NaN);
  if (pollIntervalMs !== undefined && (!Number.isFinite(pollIntervalMs) || pollIntervalMs < 0)) {
    const source = options.pollIntervalMs !== undefined ? `option pollIntervalMs is ${pollIntervalMs}` : `${ENV.pollIntervalMs} (option pollIntervalMs) is "${rawPoll}"`;
    throw new TerminalError(`Azure provider ${source}, but it must be a whole number of milliseconds of at least 0.`, { field: 'pollIntervalMs' });
  }
  const authorityHost = env[ENV.authorityHost]?.trim() || undefined;
  const rawProbe = env[ENV.probeIntervalSeconds]?.trim() || undefined;
  const probeIntervalSeconds = options.probeIntervalSeconds ?? (rawProbe === undefined ? DEFAULT_PROBE_INTERVAL : /^\d+$/.test(rawProbe) ? Number(rawProbe) : Number.NaN);
  if (!Number.isSafeInteger(probeIntervalSeconds) || probeIntervalSeconds < 5 || probeIntervalSeconds > 300) {
    const source =
      options.probeIntervalSeconds !== undefined
        ? `option probeIntervalSeconds is ${options.probeIntervalSeconds}`
        : `${ENV.probeIntervalSeconds} (option probeIntervalSeconds) is "${rawProbe}"`;
    throw new TerminalError(`Azure provider ${source}, but it must be a whole number of seconds from 5 to 300.`, { field: 'probeIntervalSeconds' });
  }

  const rawThreshold = env[ENV.probeThreshold]?.trim() || undefined;
  const probeThreshold = options.probeThreshold ?? (rawThreshold === undefined ? DEFAULT_PROBE_THRESHOLD : /^\d+$/.test(rawThreshold) ? Number(rawThreshold) : Number.NaN);
  if (!Number.isSafeInteger(probeThreshold) || probeThreshold < 1 || probeThreshold > 10) {
    const source =
      options.probeThreshold !== undefined ? `option probeThreshold is ${options.probeThreshold}` : `${ENV.probeThreshold} (option probeThreshold) is "${rawThreshold}"`;
    throw new TerminalError(`Azure provider ${source}, but it must be a whole number from 1 to 10.`, { field: 'probeThreshold' });
  }

  const sharedLoadBalancers = options.sharedLoadBalancers ?? [];
  const badShared = Array.isArray(sharedLoadBalancers) ? sharedLoadBalancers.find((n) => typeof n !== 'string' || !AZURE_NAME.test(n)) : sharedLoadBalancers;
  if (badShared !== undefined) {
    throw new TerminalError(
      `Azure provider ${FLAG.sharedLoadBalancers} (option sharedLoadBalancers) has ${JSON.stringify(badShared)}, but each must be a load balancer name of 1 to 80 letters, digits, underscores, periods and hyphens, starting with a letter or digit and ending with a letter, digit or underscore.`,
      { field: FLAG.sharedLoadBalancers },
    );
  }

  const { securityGroup, nsgPriorities } = resolveNsgOptions(options, env, resourceGroup);

  return {
    clusterName,
    subscriptionId,
    resourceGroup,
    location: location.toLowerCase(),
    virtualNetworkId,
    endpoint,
    credential: options.credential,
    authorityHost,
    pollIntervalMs,
    probeIntervalSeconds,
    probeThreshold,
    sharedLoadBalancers: [...sharedLoadBalancers],
    securityGroup,
    securityRulePriorities: nsgPriorities,
    maxRetries,
    log: options.log ?? silentLogger,
    networkClient: options.networkClient,
  };
}
