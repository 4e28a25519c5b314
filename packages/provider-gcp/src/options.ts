/**
 * Options of the gcp provider and the one place their defaults are filled in. Every option
 * the controller does not pass falls back to an environment variable, so
 * `sluice --provider gcp --cluster-name prod` works with the usual Google variables set. A
 * missing or malformed value is one TerminalError sentence naming the flag and the variable.
 */
import type { Logger } from '@sluice/core';
import { TerminalError } from '@sluice/core';
import { isLoopbackUrl, silentLogger } from '@sluice/core/provider-kit';
import { DEFAULT_DRAINING_TIMEOUT, DEFAULT_HEALTHCHECK_INTERVAL } from './annotations.ts';
import type { GcpClients } from './gcp-api.ts';

export interface GcpProviderOptions {
  /**
   * Names the cluster. Resource names hash it with the Service UID, and every resource's
   * description records it, so two clusters in one project never touch each other's parts.
   */
  readonly clusterName: string;
  /**
   * The Google Cloud project that holds the load balancers and the VPC.
   * @default the `GOOGLE_CLOUD_PROJECT` environment variable
   */
  readonly project?: string;
  /**
   * The region of the load balancers, e.g. `europe-west1`; NEGs live in its zones.
   * @default the `GCP_REGION` environment variable
   */
  readonly region?: string;
  /**
   * The VPC network of the pods: a name (`default`) or a URL
   * (`projects/<p>/global/networks/<name>`, with or without `https://www.googleapis.com/compute/v1/`).
   * @default the `GCP_NETWORK` environment variable
   */
  readonly network?: string;
  /**
   * The subnetwork of the pods, a name or a URL; required for internal load balancers
   * (`sluice.dev/gcp-internal: "true"`), whose forwarding rules take their IP from it.
   * @default the `GCP_SUBNETWORK` environment variable, else none
   */
  readonly subnetwork?: string;
  /**
   * The Compute Engine API endpoint, as a URL. `http://` is accepted on a loopback address
   * only (127.0.0.1, ::1, localhost), for test servers; requests to it carry no token.
   * @default the `GCP_COMPUTE_ENDPOINT` environment variable, else `https://compute.googleapis.com`
   */
  readonly apiEndpoint?: string;
  /**
   * How long one mutating call may wait for its zonal or regional operation to finish.
   * @default 120000
   */
  readonly operationTimeoutMs?: number;
  /**
   * The health-check interval, in seconds (1-300), of every Service that does not set
   * `sluice.dev/gcp-healthcheck-interval`. It is also the provider's `healthCheckIntervalMs`:
   * while a readiness gate waits, endpoint health is read no more often than this (unless the
   * controller's `--health-poll-ms` says otherwise), since it cannot change faster than the
   * load balancer checks it.
   * @default the `SLUICE_GCP_HEALTHCHECK_INTERVAL` environment variable, else 5 (Compute's own default)
   */
  readonly healthCheckIntervalSeconds?: number;
  /**
   * The backend services' `connectionDraining.drainingTimeoutSec` (0-3600) for every Service
   * that does not set `sluice.dev/gcp-draining-timeout`: how long a detached endpoint's open
   * connections may continue.
   * @default the `SLUICE_GCP_DRAINING_TIMEOUT` environment variable, else 300
   */
  readonly drainingTimeoutSeconds?: number;
  /**
   * Before it creates a load balancer, check what a regional proxy Network Load Balancer
   * needs from the project: an active proxy-only subnet in the region and network, and VPC
   * firewall rules that let Google's health checks and the proxy-only subnet reach the pods
   * (prerequisites.ts). Turn it off only where the provider cannot read them (e.g. a Shared
   * VPC host project's firewall).
   * @default the `SLUICE_GCP_CHECK_PREREQUISITES` environment variable (`true`/`false`), else true
   */
  readonly checkPrerequisites?: boolean;
  /**
   * When a firewall rule the load balancer needs is missing, create it (owned by the Service,
   * deleted with it) instead of refusing the Service with a Warning.
   * @default the `SLUICE_GCP_CREATE_FIREWALL_RULES` environment variable (`true`/`false`), else false
   */
  readonly createFirewallRules?: boolean;
  /**
   * The network tags of the nodes the pods run on (GKE: the node pools' tags). The firewall
   * rules Sluice creates then target only VMs with one of them, and an operator's rule counts
   * for the prerequisites check only when it targets one of them (or every VM of the network).
   * @default none: Sluice's rules target every VM of the network, and any rule's targets are trusted
   */
  readonly firewallTargetTags?: readonly string[];
  /**
   * Where the provider logs; every Compute call is logged at debug as `gcp call` with its
   * `operation` (e.g. `networkEndpointGroups.attachNetworkEndpoints`).
   * @default a logger that discards everything
   */
  readonly log?: Logger;
  /**
   * Clients to use instead of those built from the options (tests inject them).
   * @default clients built from `apiEndpoint`, authenticating with Application Default Credentials
   */
  readonly clients?: Partial<GcpClients>;
}

export interface ResolvedGcpProviderOptions {
  readonly clusterName: string;
  readonly project: string;
  readonly region: string;
  /** `projects/<p>/global/networks/<name>`. */
  readonly network: string;
  /** `projects/<p>/regions/<r>/subnetworks/<name>`, when given. */
  readonly subnetwork: string | undefined;
  /** Undefined: the SDK's default endpoint. */
  readonly apiEndpoint: URL | undefined;
  readonly operationTimeoutMs: number;
  readonly healthCheckIntervalSeconds: number;
  readonly drainingTimeoutSeconds: number;
  readonly checkPrerequisites: boolean;
  readonly createFirewallRules: boolean;
  readonly firewallTargetTags: readonly string[];
  readonly log: Logger;
  readonly clients: Partial<GcpClients>;
}

export const DEFAULT_API_ENDPOINT = 'https://compute.googleapis.com';
export const DEFAULT_OPERATION_TIMEOUT_MS = 120_000;
/** The environment variable that fills `healthCheckIntervalSeconds` when it is not given. */
export const HEALTHCHECK_INTERVAL_ENV = 'SLUICE_GCP_HEALTHCHECK_INTERVAL';
/** The environment variable that fills `drainingTimeoutSeconds` when it is not given. */
export const DRAINING_TIMEOUT_ENV = 'SLUICE_GCP_DRAINING_TIMEOUT';
export const CHECK_PREREQUISITES_ENV = 'SLUICE_GCP_CHECK_PREREQUISITES';
export const CREATE_FIREWALL_RULES_ENV = 'SLUICE_GCP_CREATE_FIREWALL_RULES';

/** A whole number of seconds from `min` to `max`: the option, else its environment variable, else `fallback`. */
function secondsOption(name: string, given: number | undefined, variable: string, env: Readonly<Record<string, string | undefined>>, fallback: number, min: number, max: number): number {
  const raw = env[variable]?.trim() || undefined;
  const value = given ?? (raw === undefined ? fallback : /^\d+$/.test(raw) ? Number(raw) : Number.NaN);
  if (Number.isSafeInteger(value) && value >= min && value <= max) return value;
  const source = given !== undefined ? `option ${name} is ${given}` : `${variable} (option ${name}) is "${raw}"`;
  throw new TerminalError(`GCP provider ${source}, but it must be a whole number of seconds from ${min} to ${max}.`, { field: name });
}

/** A boolean option, else its environment variable (`true` or `false`), else `fallback`. */
// Compute's network tag names (RFC 1035 labels): "Add network tags", VPC documentation.
const NETWORK_TAG = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;

function networkTags(tags: readonly string[] | undefined): readonly string[] {
  for (const tag of tags ?? []) {
    if (!NETWORK_TAG.test(tag)) {
      throw new TerminalError(`GCP provider option firewallTargetTags has "${tag}", but a network tag is lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen, at most 63 characters.`, { field: 'firewallTargetTags' });
    }
  }
  return [...(tags ?? [])];
}

function booleanOption(name: string, given: boolean | undefined, variable: string, env: Readonly<Record<string, string | undefined>>, fallback: boolean): boolean {
  if (given !== undefined) return given;
  const raw = env[variable]?.trim() || undefined;
  if (raw === undefined) return fallback;
  if (raw === 'true' || raw === 'false') return raw === 'true';
  throw new TerminalError(`GCP provider ${variable} (option ${name}) is "${raw}", but it must be true or false.`, { field: name });
}

/** The controller's flag for each option (apps/controller), named in error messages. */
export const FLAG = {
  project: '--gcp-project',
  region: '--gcp-region',
  network: '--gcp-network',
  subnetwork: '--gcp-subnetwork',
  apiEndpoint: '--gcp-compute-endpoint',
} as const;

export const ENV = {
  project: 'GOOGLE_CLOUD_PROJECT',
  region: 'GCP_REGION',
  network: 'GCP_NETWORK',
  subnetwork: 'GCP_SUBNETWORK',
  apiEndpoint: 'GCP_COMPUTE_ENDPOINT',
} as const;

const PROJECT = /^[a-z][-a-z0-9]{4,28}[a-z0-9]$|^[a-z][-a-z0-9.:]{0,62}[a-z0-9]$/;
const REGION = /^[a-z]+-[a-z]+\d+$/;
const RESOURCE_NAME = /^[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?$/;
const API_PREFIX = /^(?:https:\/\/(?:www|compute)\.googleapis\.com\/compute\/(?:v1|beta)\/)?/;

/** Fills in the defaults from `env`; rejects values that cannot work, naming the flag and its variable. */
export function resolveOptions(options: GcpProviderOptions, env: Readonly<Record<string, string | undefined>> = process.env): ResolvedGcpProviderOptions {
  const clusterName = options?.clusterName;
  if (typeof clusterName !== 'string' || clusterName.trim() === '' || clusterName.length > 200) {
    throw new TerminalError(`GCP provider option clusterName is ${JSON.stringify(clusterName)}, but it must be a non-empty string of at most 200 characters.`, {
      field: 'clusterName',
    });
  }
  const read = (name: keyof typeof ENV): { value: string | undefined; source: string } => {
    const given = options[name] as string | undefined;
    const value = (given ?? env[ENV[name]])?.trim() || undefined;
    return { value, source: given !== undefined ? `${FLAG[name]} (option ${name})` : `${ENV[name]} (option ${name})` };
  };
  const required = (name: 'project' | 'region' | 'network'): { value: string; source: string } => {
    const got = read(name);
    if (got.value === undefined) {
      throw new TerminalError(`GCP provider option ${name} is not set: pass ${FLAG[name]} (option ${name}) or set the ${ENV[name]} environment variable.`, {
        field: FLAG[name],
      });
    }
    return { value: got.value, source: got.source };
  };
  const bad = (name: keyof typeof FLAG, source: string, value: string, allowed: string): never => {
    throw new TerminalError(`GCP provider ${source} is "${value}", but it must be ${allowed}.`, { field: FLAG[name] });
  };

  const project = required('project');
  if (!PROJECT.test(project.value)) bad('project', project.source, project.value, 'a project ID such as my-project-123');
  const region = required('region');
  if (!REGION.test(region.value)) bad('region', region.source, region.value, 'a Compute Engine region such as europe-west1');

  const net = required('network');
  const network = resourcePath(net.value, 'global/networks', `projects/${project.value}/global/networks/`);
  if (network === undefined) {
    bad('network', net.source, net.value, 'a VPC network name such as default or a URL projects/<project>/global/networks/<name>');
  }
  const sub = read('subnetwork');
  let subnetwork: string | undefined;
  if (sub.value !== undefined) {
    subnetwork = resourcePath(sub.value, `regions/${region.value}/subnetworks`, `projects/${project.value}/regions/${region.value}/subnetworks/`);
    if (subnetwork === undefined) {
      bad('subnetwork', sub.source, sub.value, `a subnetwork name or a URL projects/<project>/regions/${region.value}/subnetworks/<name> in region ${region.value}`);
    }
  }

  const ep = read('apiEndpoint');
  let apiEndpoint: URL | undefined;
  if (ep.value !== undefined) {
    const url = URL.parse(ep.value);
    const ok = url !== null && (url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackUrl(url))) && url.pathname.replace(/\/+$/, '') === '';
    if (!ok) bad('apiEndpoint', ep.source, ep.value, `an https URL without a path such as ${DEFAULT_API_ENDPOINT} (http only on a loopback address, for test servers)`);
    apiEndpoint = url ?? undefined;
  }

  const operationTimeoutMs = options.operationTimeoutMs ?? DEFAULT_OPERATION_TIMEOUT_MS;
  if (!Number.isSafeInteger(operationTimeoutMs) || operationTimeoutMs < 1) {
    throw new TerminalError(`GCP provider option operationTimeoutMs is ${operationTimeoutMs}, but it must be a whole number of milliseconds of at least 1.`, {
      field: 'operationTimeoutMs',
    });
  }

  const healthCheckIntervalSeconds = secondsOption('healthCheckIntervalSeconds', options.healthCheckIntervalSeconds, HEALTHCHECK_INTERVAL_ENV, env, DEFAULT_HEALTHCHECK_INTERVAL, 1, 300);
  const drainingTimeoutSeconds = secondsOption('drainingTimeoutSeconds', options.drainingTimeoutSeconds, DRAINING_TIMEOUT_ENV, env, DEFAULT_DRAINING_TIMEOUT, 0, 3600);

  return {
    clusterName,
    project: project.value,
    region: region.value,
    network: network as string,
    subnetwork,
    apiEndpoint,
    operationTimeoutMs,
    healthCheckIntervalSeconds,
    drainingTimeoutSeconds,
    checkPrerequisites: booleanOption('checkPrerequisites', options.checkPrerequisites, CHECK_PREREQUISITES_ENV, env, true),
    createFirewallRules: booleanOption('createFirewallRules', options.createFirewallRules, CREATE_FIREWALL_RULES_ENV, env, false),
    firewallTargetTags: networkTags(options.firewallTargetTags),
    log: options.log ?? silentLogger,
    clients: options.clients ?? {},
  };
}

/** `name` → `<prefix><name>`; a URL or path of the right kind → its `projects/...` path; else undefined. */
function resourcePath(value: string, kind: string, prefix: string): string | undefined {
  if (RESOURCE_NAME.test(value)) return `${prefix}${value}`;
  const path = value.replace(API_PREFIX, '');
  const m = /^projects\/([^/]+)\/(.+)\/([^/]+)$/.exec(path);
  if (!m || m[2] !== kind || !RESOURCE_NAME.test(m[3] ?? '')) return undefined;
  return path;
}
