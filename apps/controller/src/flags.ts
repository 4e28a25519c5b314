/**
 * Command-line flags, parsed by a pure function: argv in, a run configuration or one
 * sentence of error out. main.ts turns an error into exit code 2.
 */

export const PROVIDERS = ['local', 'aws', 'azure', 'gcp'] as const;
export type ProviderName = (typeof PROVIDERS)[number];
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const LOG_FORMATS = ['json', 'text'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** A TCP listen address. */
export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

export interface LeaderElectionConfig {
  /** @default true */
  readonly enabled: boolean;
  /** Namespace of the Lease. @default $POD_NAMESPACE, then 'default' */
  readonly namespace: string;
  /** Name of the Lease. @default 'sluice' */
  readonly name: string;
  /** This replica's holder identity. @default $POD_NAME (then the host name) + '_' + 8 random hex */
  readonly identity: string | undefined;
  /** @default 15_000 */
  readonly leaseDurationMs: number;
  /** @default 10_000 */
  readonly renewDeadlineMs: number;
  /** @default 2_000 */
  readonly retryPeriodMs: number;
}

export interface WebhookConfig {
  /** Where the readiness-gate injection webhook listens (HTTPS). */
  readonly address: ListenAddress;
  /** PEM certificate and key files; unset means a generated self-signed certificate. */
  readonly certFile: string | undefined;
  readonly keyFile: string | undefined;
  /** With a generated certificate: the MutatingWebhookConfiguration whose caBundle Sluice keeps current. */
  readonly configurationName: string | undefined;
  /** With a generated certificate: its DNS names. @default sluice-webhook.<namespace>.svc and .svc.cluster.local */
  readonly dnsNames: readonly string[];
}

export interface RunConfig {
  readonly provider: ProviderName;
  /** @default 'kubernetes' */
  readonly clusterName: string;
  /** Path to a kubeconfig; unset means $KUBECONFIG, then in-cluster, then ~/.kube/config. */
  readonly kubeconfig: string | undefined;
  readonly loadBalancerClass: string | undefined;
  /** @default 'sluice.dev/load-balancer-ready' */
  readonly readinessGateType: string;
  /** @default 'info' */
  readonly logLevel: LogLevel;
  /** @default 'json' */
  readonly logFormat: LogFormat;
  /** /metrics listen address; undefined disables. @default 0.0.0.0:8080 */
  readonly metricsAddress: ListenAddress | undefined;
  /** /healthz and /readyz listen address; undefined disables. @default 0.0.0.0:8081 */
  readonly healthAddress: ListenAddress | undefined;
  readonly leaderElection: LeaderElectionConfig;
  /** After SIGTERM, how long in-flight reconciles may run before they are aborted. @default 30_000 */
  readonly shutdownTimeoutMs: number;
  /** The readiness-gate injection webhook; undefined disables. @default undefined */
  readonly webhook: WebhookConfig | undefined;
  /** Wait for LB health before passing the gate. @default true */
  readonly gate: boolean;
  /** Drain terminating pods at once. @default true */
  readonly drain: boolean;
  /** @default 300 */
  readonly resyncSeconds: number;
  /** @default 1000 */
  readonly healthPollMs: number;
  /** @default 4 */
  readonly workers: number;
  /** Listen address of the embedded load balancer (provider local). @default '127.0.0.1' */
  readonly localAddress: string;
  /** Health-check interval of the embedded load balancer, ms. @default 1000 */
  readonly localHealthIntervalMs: number;
  /** AWS region (provider aws). @default the SDK's chain: AWS_REGION, then the profile */
  readonly awsRegion: string | undefined;
  /** ELBv2/EC2 endpoint (provider aws). @default the SDK's: AWS_ENDPOINT_URL, then AWS */
  readonly awsEndpoint: string | undefined;
  /** Provider azure settings; each falls back to its environment variable in the provider. @default undefined */
  readonly azure: {
    readonly subscriptionId: string | undefined;
    readonly resourceGroup: string | undefined;
    readonly location: string | undefined;
    readonly virtualNetworkId: string | undefined;
    readonly endpoint: string | undefined;
  };
  /** Provider gcp settings; each falls back to its environment variable in the provider. @default undefined */
  readonly gcp: {
    readonly project: string | undefined;
    readonly region: string | undefined;
    readonly network: string | undefined;
    readonly subnetwork: string | undefined;
    readonly computeEndpoint: string | undefined;
  };
}

export type ParseResult =
  | { readonly kind: 'run'; readonly config: RunConfig }
  | { readonly kind: 'plan'; readonly config: RunConfig; readonly output: 'text' | 'json' }
  | { readonly kind: 'help' }
  | { readonly kind: 'version' }
  | { readonly kind: 'error'; readonly message: string };

export const USAGE = `Usage: sluice --provider <local|aws|azure|gcp> [flags]
       sluice plan --provider <local|aws|azure|gcp> [--output text|json] [flags]

Gives type: LoadBalancer Services a load balancer whose backends are the pods themselves,
with a readiness gate and a graceful drain so rolling updates lose no request.

Flags:
  --provider <name>             load balancer provider: local, aws, azure or gcp (required)
  --cluster-name <name>         names this cluster in LB names and ownership tags (default kubernetes)
  --kubeconfig <path>           kubeconfig file (default $KUBECONFIG, in-cluster, ~/.kube/config)
  --load-balancer-class <cls>   also handle Services with this spec.loadBalancerClass
  --readiness-gate-type <type>  pod readiness gate condition type (default sluice.dev/load-balancer-ready)
  --log-level <level>           debug, info, warn or error (default info)
  --log-format <format>         json or text (default json)
  --metrics-bind-address <addr> host:port of /metrics, or 0 to disable (default :8080)
  --health-probe-bind-address <addr>  host:port of /healthz and /readyz, or 0 to disable (default :8081)
  --no-leader-elect             run without leader election (only ever one replica!)
  --leader-election-namespace <ns>  namespace of the Lease (default $POD_NAMESPACE, then default)
  --leader-election-name <name> name of the Lease (default sluice)
  --leader-election-identity <id>  holder identity (default $POD_NAME or the host name, plus a random suffix)
  --leader-election-lease-duration <seconds>  1-300 (default 15)
  --leader-election-renew-deadline <seconds>  below the lease duration (default 10)
  --leader-election-retry-period <seconds>    below the renew deadline (default 2)
  --shutdown-timeout <seconds>  after SIGTERM, time for in-flight reconciles, 0-3600 (default 30)
  --webhook-bind-address <addr> host:port of the readiness-gate injection webhook (HTTPS; default off)
  --webhook-cert-file <path>    PEM certificate of the webhook (default: generated)
  --webhook-key-file <path>     PEM private key of the webhook (with --webhook-cert-file)
  --webhook-configuration-name <name>  MutatingWebhookConfiguration whose caBundle gets the generated CA
  --webhook-dns-names <a,b>     DNS names of the generated certificate (default sluice-webhook.<ns>.svc,...)
  --output <format>             sluice plan only: text or json (default text)
  --resync-period <seconds>     full resync period, 10-86400 (default 300)
  --health-poll-ms <ms>         LB health polling while a gate waits, 50-60000 (default 1000)
  --workers <n>                 concurrent Service reconciles, 1-64 (default 4)
  --no-readiness-gate           pass gates as soon as containers are ready (unsafe; for comparison)
  --no-drain                    keep terminating pods at full weight until they exit (unsafe; for comparison)
  --local-address <ip>          listen address of the embedded load balancer (default 127.0.0.1)
  --local-health-interval-ms <ms>  embedded LB health-check interval, 20-60000 (default 1000)
  --aws-region <region>         AWS region (default: AWS_REGION, then the profile)
  --aws-endpoint <url>          AWS API endpoint (default: AWS_ENDPOINT_URL, then AWS)
  --azure-subscription-id <id>  Azure subscription (default AZURE_SUBSCRIPTION_ID)
  --azure-resource-group <rg>   resource group for Sluice's resources (default AZURE_RESOURCE_GROUP)
  --azure-location <region>     Azure region (default AZURE_LOCATION)
  --azure-vnet-id <id>          resource ID of the virtual network of the pod IPs (default AZURE_VNET_ID)
  --azure-endpoint <url>        ARM endpoint (default AZURE_ARM_ENDPOINT, then https://management.azure.com)
  --gcp-project <id>            Google Cloud project (default GOOGLE_CLOUD_PROJECT)
  --gcp-region <region>         region of the load balancer (default GCP_REGION)
  --gcp-network <name|url>      VPC network of the pod IPs (default GCP_NETWORK)
  --gcp-subnetwork <name|url>   subnetwork for internal load balancers (default GCP_SUBNETWORK)
  --gcp-compute-endpoint <url>  Compute API endpoint (default GCP_COMPUTE_ENDPOINT, then Google's)
  --help                        show this help
  --version                     print the version`;

const VALUE_FLAGS = new Set([
  'provider',
  'cluster-name',
  'kubeconfig',
  'load-balancer-class',
  'readiness-gate-type',
  'log-level',
  'log-format',
  'metrics-bind-address',
  'health-probe-bind-address',
  'leader-election-namespace',
  'leader-election-name',
  'leader-election-identity',
  'leader-election-lease-duration',
  'leader-election-renew-deadline',
  'leader-election-retry-period',
  'shutdown-timeout',
  'webhook-bind-address',
  'webhook-cert-file',
  'webhook-key-file',
  'webhook-configuration-name',
  'webhook-dns-names',
  'output',
  'resync-period',
  'health-poll-ms',
  'workers',
  'local-address',
  'local-health-interval-ms',
  'aws-region',
  'aws-endpoint',
  'azure-subscription-id',
  'azure-resource-group',
  'azure-location',
  'azure-vnet-id',
  'azure-endpoint',
  'gcp-project',
  'gcp-region',
  'gcp-network',
  'gcp-subnetwork',
  'gcp-compute-endpoint',
]);
const BOOLEAN_FLAGS = new Set(['help', 'version', 'no-readiness-gate', 'no-drain', 'no-leader-elect']);

const QUALIFIED_NAME = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const DNS_LABELISH = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function integer(flag: string, raw: string, min: number, max: number): number | string {
  if (!/^\d+$/.test(raw)) return `--${flag} "${raw}" is invalid: allowed is a whole number from ${min} to ${max}.`;
  const n = Number(raw);
  if (n < min || n > max) return `--${flag} ${raw} is out of range: allowed is ${min} to ${max}.`;
  return n;
}

/** Parses `host:port`, `:port` (all interfaces) or `[v6]:port`; `0` means disabled. */
function listenAddress(flag: string, raw: string): ListenAddress | undefined | string {
  if (raw === '0') return undefined;
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s]*)):(\d{1,5})$/.exec(raw);
  const port = m ? Number(m[3]) : Number.NaN;
  if (!m || port > 65_535) {
    return `--${flag} "${raw}" is invalid: allowed is host:port (like 127.0.0.1:8080 or :8080, port 0-65535, 0 picks a free one) or 0 to disable.`;
  }
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port };
}

export function parseFlags(argv: readonly string[], env: Readonly<Record<string, string | undefined>> = {}): ParseResult {
  let command: 'run' | 'plan' = 'run';
  if (argv[0] === 'plan') {
    command = 'plan';
    argv = argv.slice(1);
  }
  const values = new Map<string, string>();
  const booleans = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) return { kind: 'error', message: `unexpected argument "${arg}": flags start with --; see --help.` };
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    if (BOOLEAN_FLAGS.has(name)) {
      if (eq !== -1) return { kind: 'error', message: `--${name} takes no value; see --help.` };
      booleans.add(name);
      continue;
    }
    if (!VALUE_FLAGS.has(name)) {
      return { kind: 'error', message: `unknown flag --${name}: allowed are ${[...VALUE_FLAGS, ...BOOLEAN_FLAGS].map((f) => `--${f}`).join(', ')}.` };
    }
    const value = eq === -1 ? argv[++i] : arg.slice(eq + 1);
    if (value === undefined || (eq === -1 && value.startsWith('--'))) return { kind: 'error', message: `--${name} needs a value; see --help.` };
    values.set(name, value);
  }
  if (booleans.has('help')) return { kind: 'help' };
  if (booleans.has('version')) return { kind: 'version' };

  const provider = values.get('provider');
  if (provider === undefined) return { kind: 'error', message: `--provider is required: allowed are ${PROVIDERS.join(', ')}.` };
  if (!(PROVIDERS as readonly string[]).includes(provider)) {
    return { kind: 'error', message: `unknown provider "${provider}": allowed are ${PROVIDERS.join(', ')}.` };
  }
  const clusterName = values.get('cluster-name') ?? 'kubernetes';
  if (!DNS_LABELISH.test(clusterName) || clusterName.length > 63) {
    return { kind: 'error', message: `--cluster-name "${clusterName}" is invalid: allowed are 1-63 lowercase letters, digits and '-', starting and ending with a letter or digit.` };
  }
  const logLevel = values.get('log-level') ?? 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    return { kind: 'error', message: `--log-level "${logLevel}" is invalid: allowed are ${LOG_LEVELS.join(', ')}.` };
  }
  const readinessGateType = values.get('readiness-gate-type') ?? 'sluice.dev/load-balancer-ready';
  if (!QUALIFIED_NAME.test(readinessGateType) || readinessGateType.length > 316) {
    return { kind: 'error', message: `--readiness-gate-type "${readinessGateType}" is invalid: allowed is a qualified name like example.com/load-balancer-ready.` };
  }
  const lbClass = values.get('load-balancer-class');
  if (lbClass !== undefined && !QUALIFIED_NAME.test(lbClass)) {
    return { kind: 'error', message: `--load-balancer-class "${lbClass}" is invalid: allowed is a qualified name like example.com/sluice.` };
  }
  const localAddress = values.get('local-address') ?? '127.0.0.1';
  if (!/^(\d{1,3}\.){3}\d{1,3}$/.test(localAddress) && !localAddress.includes(':')) {
    return { kind: 'error', message: `--local-address "${localAddress}" is invalid: allowed is an IPv4 or IPv6 address.` };
  }
  const awsRegion = values.get('aws-region');
  if (awsRegion !== undefined && !/^[a-z]{2}(-[a-z]+)+-\d+$/.test(awsRegion)) {
    return { kind: 'error', message: `--aws-region "${awsRegion}" is invalid: allowed is a region name like us-east-1.` };
  }
  const awsEndpoint = values.get('aws-endpoint');
  if (awsEndpoint !== undefined && !/^https?:\/\/[^\s/]+/.test(awsEndpoint)) {
    return { kind: 'error', message: `--aws-endpoint "${awsEndpoint}" is invalid: allowed is an http(s) URL like https://elasticloadbalancing.us-east-1.amazonaws.com.` };
  }
  const azureSubscription = values.get('azure-subscription-id');
  if (azureSubscription !== undefined && !/^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$/.test(azureSubscription)) {
    return { kind: 'error', message: `--azure-subscription-id "${azureSubscription}" is invalid: allowed is a subscription GUID like 00000000-0000-0000-0000-000000000000.` };
  }
  const azureVnet = values.get('azure-vnet-id');
  if (azureVnet !== undefined && !/^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.Network\/virtualNetworks\/[^/]+$/i.test(azureVnet)) {
    return { kind: 'error', message: `--azure-vnet-id "${azureVnet}" is invalid: allowed is a resource ID like /subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Network/virtualNetworks/<name>.` };
  }
  const azureEndpoint = values.get('azure-endpoint');
  if (azureEndpoint !== undefined && !/^https:\/\/[^\s/]+/.test(azureEndpoint)) {
    return { kind: 'error', message: `--azure-endpoint "${azureEndpoint}" is invalid: allowed is an https URL like https://management.azure.com.` };
  }
  const gcpProject = values.get('gcp-project');
  if (gcpProject !== undefined && !/^[a-z][-a-z0-9]{4,28}[a-z0-9]$/.test(gcpProject)) {
    return { kind: 'error', message: `--gcp-project "${gcpProject}" is invalid: allowed is a project ID of 6-30 lowercase letters, digits and '-', starting with a letter.` };
  }
  const gcpEndpoint = values.get('gcp-compute-endpoint');
  if (gcpEndpoint !== undefined && !/^https?:\/\/[^\s/]+/.test(gcpEndpoint)) {
    return { kind: 'error', message: `--gcp-compute-endpoint "${gcpEndpoint}" is invalid: allowed is an http(s) URL like https://compute.googleapis.com.` };
  }
  const logFormat = values.get('log-format') ?? 'json';
  if (!(LOG_FORMATS as readonly string[]).includes(logFormat)) {
    return { kind: 'error', message: `--log-format "${logFormat}" is invalid: allowed are ${LOG_FORMATS.join(', ')}.` };
  }
  const output = values.get('output') ?? 'text';
  if (output !== 'text' && output !== 'json') return { kind: 'error', message: `--output "${output}" is invalid: allowed are text, json.` };
  if (command === 'run' && values.has('output')) return { kind: 'error', message: '--output is only for sluice plan.' };
  const addresses = new Map<string, ListenAddress | undefined>();
  for (const [flag, def] of [['metrics-bind-address', ':8080'], ['health-probe-bind-address', ':8081'], ['webhook-bind-address', '0']] as const) {
    const a = listenAddress(flag, values.get(flag) ?? def);
    if (typeof a === 'string') return { kind: 'error', message: a };
    addresses.set(flag, a);
  }
  const leaseNamespace = values.get('leader-election-namespace') ?? env.POD_NAMESPACE ?? 'default';
  if (!DNS_LABELISH.test(leaseNamespace) || leaseNamespace.length > 63) {
    return { kind: 'error', message: `--leader-election-namespace "${leaseNamespace}" is invalid: allowed is a namespace name (1-63 lowercase letters, digits and '-').` };
  }
  const leaseName = values.get('leader-election-name') ?? 'sluice';
  if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(leaseName) || leaseName.length > 253) {
    return { kind: 'error', message: `--leader-election-name "${leaseName}" is invalid: allowed is a DNS subdomain name (lowercase letters, digits, '-' and '.').` };
  }
  const certFile = values.get('webhook-cert-file');
  const keyFile = values.get('webhook-key-file');
  if ((certFile === undefined) !== (keyFile === undefined)) {
    return { kind: 'error', message: '--webhook-cert-file and --webhook-key-file go together: give both, or neither for a generated certificate.' };
  }
  const dnsNamesRaw = values.get('webhook-dns-names');
  const dnsNames = dnsNamesRaw === undefined ? [`sluice-webhook.${leaseNamespace}.svc`, `sluice-webhook.${leaseNamespace}.svc.cluster.local`] : dnsNamesRaw.split(',').map((n) => n.trim());
  const badName = dnsNames.find((n) => !/^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(n));
  if (badName !== undefined) return { kind: 'error', message: `--webhook-dns-names "${dnsNamesRaw}" is invalid: "${badName}" is not a DNS name.` };
  const webhookAddress = addresses.get('webhook-bind-address');
  for (const flag of ['webhook-cert-file', 'webhook-key-file', 'webhook-configuration-name', 'webhook-dns-names']) {
    if (values.has(flag) && !webhookAddress) return { kind: 'error', message: `--${flag} needs --webhook-bind-address.` };
  }
  const numbers: [string, number, number, number][] = [
    ['leader-election-lease-duration', 15, 1, 300],
    ['leader-election-renew-deadline', 10, 1, 300],
    ['leader-election-retry-period', 2, 1, 300],
    ['shutdown-timeout', 30, 0, 3600],
    ['resync-period', 300, 10, 86_400],
    ['health-poll-ms', 1000, 50, 60_000],
    ['workers', 4, 1, 64],
    ['local-health-interval-ms', 1000, 20, 60_000],
  ];
  const parsed = new Map<string, number>();
  for (const [flag, def, min, max] of numbers) {
    const raw = values.get(flag);
    const n = raw === undefined ? def : integer(flag, raw, min, max);
    if (typeof n === 'string') return { kind: 'error', message: n };
    parsed.set(flag, n);
  }
  const lease = parsed.get('leader-election-lease-duration')!;
  const renew = parsed.get('leader-election-renew-deadline')!;
  const retry = parsed.get('leader-election-retry-period')!;
  if (renew >= lease) return { kind: 'error', message: `--leader-election-renew-deadline ${renew} is invalid: allowed is less than the lease duration (${lease}).` };
  if (retry >= renew) return { kind: 'error', message: `--leader-election-retry-period ${retry} is invalid: allowed is less than the renew deadline (${renew}).` };
  const config: RunConfig = {
      provider: provider as ProviderName,
      clusterName,
      kubeconfig: values.get('kubeconfig'),
      loadBalancerClass: lbClass,
      readinessGateType,
      logLevel: logLevel as LogLevel,
      logFormat: logFormat as LogFormat,
      metricsAddress: addresses.get('metrics-bind-address'),
      healthAddress: addresses.get('health-probe-bind-address'),
      leaderElection: {
        enabled: !booleans.has('no-leader-elect'),
        namespace: leaseNamespace,
        name: leaseName,
        identity: values.get('leader-election-identity'),
        leaseDurationMs: lease * 1000,
        renewDeadlineMs: renew * 1000,
        retryPeriodMs: retry * 1000,
      },
      shutdownTimeoutMs: parsed.get('shutdown-timeout')! * 1000,
      webhook: webhookAddress
        ? { address: webhookAddress, certFile, keyFile, configurationName: values.get('webhook-configuration-name'), dnsNames }
        : undefined,
      gate: !booleans.has('no-readiness-gate'),
      drain: !booleans.has('no-drain'),
      resyncSeconds: parsed.get('resync-period')!,
      healthPollMs: parsed.get('health-poll-ms')!,
      workers: parsed.get('workers')!,
      localAddress,
      localHealthIntervalMs: parsed.get('local-health-interval-ms')!,
      awsRegion,
      awsEndpoint,
      azure: {
        subscriptionId: azureSubscription,
        resourceGroup: values.get('azure-resource-group'),
        location: values.get('azure-location'),
        virtualNetworkId: azureVnet,
        endpoint: azureEndpoint,
      },
      gcp: {
        project: gcpProject,
        region: values.get('gcp-region'),
        network: values.get('gcp-network'),
        subnetwork: values.get('gcp-subnetwork'),
        computeEndpoint: gcpEndpoint,
      },
  };
  return command === 'plan' ? { kind: 'plan', config, output } : { kind: 'run', config };
}
