/**
 * The one list of Sluice's flags. Usage text, argv parsing, the RunConfig and the options
 * passed to each provider factory are all derived from {@link FLAGS}; a flag is added,
 * renamed or documented here and nowhere else (the `--<provider>-*` flags in provider-flags.ts).
 */
import { type DefaultContext, type FlagSpec, type FlagValue, LOG_FORMATS, LOG_LEVELS, matching, PROVIDERS, type ProviderName } from './flag-spec.ts';
import { PROVIDER_FLAGS } from './provider-flags.ts';

const QUALIFIED_NAME = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_NAME = /^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

const webhookDnsNames = (ctx: DefaultContext): string => {
  const ns = String(ctx.value('leader-election-namespace'));
  return `sluice-webhook.${ns}.svc,sluice-webhook.${ns}.svc.cluster.local`;
};

/**
 * Every flag, in --help order. Provider flags (`--<provider>-*`) name their provider and the
 * factory option they fill; the others name the RunConfig field. Leader-election timings
 * that are left out may be scaled from the given ones (see lease-timings.ts).
 */
export const FLAGS = [
  {
    name: 'provider',
    kind: 'choice',
    arg: '<name>',
    choices: PROVIDERS,
    required: true,
    help: 'load balancer provider',
    check: (v) => ((PROVIDERS as readonly string[]).includes(v) ? undefined : `unknown provider "${v}": allowed are ${PROVIDERS.join(', ')}.`),
    field: 'provider',
  },
  {
    name: 'cluster-name',
    kind: 'text',
    arg: '<name>',
    default: 'kubernetes',
    help: 'names this cluster in LB names and ownership tags',
    check: matching(DNS_LABEL, "allowed are 1-63 lowercase letters, digits and '-', starting and ending with a letter or digit", 63),
    field: 'clusterName',
  },
  {
    name: 'kubeconfig',
    kind: 'text',
    arg: '<path>',
    defaultHelp: '$KUBECONFIG, in-cluster, ~/.kube/config',
    help: 'kubeconfig file',
    field: 'kubeconfig',
  },
  {
    name: 'load-balancer-class',
    kind: 'text',
    arg: '<class>',
    default: 'sluice.dev/load-balancer',
    help: "Sluice's spec.loadBalancerClass: Services with it are handled",
    check: matching(QUALIFIED_NAME, 'allowed is a qualified name like example.com/sluice'),
    field: 'loadBalancerClass',
  },
  {
    name: 'handle-unclassed',
    kind: 'switch',
    help: "also handle Services with no loadBalancerClass (only where no cloud controller does: on EKS, AKS or GKE the cloud's own controller takes them)",
    field: 'handleUnclassed',
  },
  {
    name: 'readiness-gate-type',
    kind: 'text',
    arg: '<type>',
    default: 'sluice.dev/load-balancer-ready',
    help: 'pod readiness gate condition type',
    check: matching(QUALIFIED_NAME, 'allowed is a qualified name like example.com/load-balancer-ready', 316),
    field: 'readinessGateType',
  },
  { name: 'log-level', kind: 'choice', arg: '<level>', choices: LOG_LEVELS, default: 'info', help: 'log level', field: 'logLevel' },
  { name: 'log-format', kind: 'choice', arg: '<format>', choices: LOG_FORMATS, default: 'json', help: 'log format', field: 'logFormat' },
  { name: 'metrics-bind-address', kind: 'address', arg: '<addr>', default: ':8080', help: 'host:port of /metrics, or 0 to disable', field: 'metricsAddress' },
  {
    name: 'health-probe-bind-address',
    kind: 'address',
    arg: '<addr>',
    default: ':8081',
    help: 'host:port of /healthz and /readyz, or 0 to disable',
    field: 'healthAddress',
  },
  { name: 'no-leader-elect', kind: 'switch', help: 'run without leader election (only ever one replica!)', field: 'leaderElection.enabled' },
  {
    name: 'leader-election-namespace',
    kind: 'text',
    arg: '<ns>',
    default: ({ env }) => env.POD_NAMESPACE ?? 'default',
    defaultHelp: '$POD_NAMESPACE, then default',
    help: 'namespace of the Lease',
    check: matching(DNS_LABEL, "allowed is a namespace name (1-63 lowercase letters, digits and '-')", 63),
    field: 'leaderElection.namespace',
  },
  {
    name: 'leader-election-name',
    kind: 'text',
    arg: '<name>',
    default: 'sluice',
    help: 'name of the Lease',
    check: matching(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, "allowed is a DNS subdomain name (lowercase letters, digits, '-' and '.')", 253),
    field: 'leaderElection.name',
  },
  {
    name: 'leader-election-identity',
    kind: 'text',
    arg: '<id>',
    defaultHelp: '$POD_NAME or the host name, plus a random suffix',
    help: 'holder identity',
    field: 'leaderElection.identity',
  },
  {
    name: 'leader-election-lease-duration',
    kind: 'integer',
    arg: '<seconds>',
    min: 1,
    max: 300,
    scale: 1000,
    default: '15',
    help: 'a standby takes over this long after the last renewal it saw',
    field: 'leaderElection.leaseDurationMs',
  },
  {
    name: 'leader-election-renew-deadline',
    kind: 'integer',
    arg: '<seconds>',
    min: 1,
    max: 300,
    scale: 1000,
    default: '10',
    help: 'the leader stops writing after failing to renew for this long',
    field: 'leaderElection.renewDeadlineMs',
  },
  {
    name: 'leader-election-retry-period',
    kind: 'integer',
    arg: '<seconds>',
    min: 1,
    max: 300,
    scale: 1000,
    default: '2',
    help: 'time between renewals and acquire attempts',
    field: 'leaderElection.retryPeriodMs',
  },
  {
    name: 'shutdown-timeout',
    kind: 'integer',
    arg: '<seconds>',
    min: 0,
    max: 3600,
    scale: 1000,
    default: '30',
    help: 'after SIGTERM, time for in-flight reconciles',
    field: 'shutdownTimeoutMs',
  },
  {
    name: 'webhook-bind-address',
    kind: 'address',
    arg: '<addr>',
    default: '0',
    defaultHelp: 'off',
    help: 'HTTPS host:port of the readiness-gate injection webhook',
    field: 'webhook.address',
  },
  {
    name: 'webhook-cert-file',
    kind: 'text',
    arg: '<path>',
    defaultHelp: 'generated',
    help: 'PEM certificate of the webhook',
    needs: 'webhook-bind-address',
    field: 'webhook.certFile',
  },
  {
    name: 'webhook-key-file',
    kind: 'text',
    arg: '<path>',
    help: 'PEM private key of the webhook (with --webhook-cert-file)',
    needs: 'webhook-bind-address',
    field: 'webhook.keyFile',
  },
  {
    name: 'webhook-configuration-name',
    kind: 'text',
    arg: '<name>',
    help: 'MutatingWebhookConfiguration whose caBundle gets the generated CA',
    needs: 'webhook-bind-address',
    field: 'webhook.configurationName',
  },
  {
    name: 'webhook-dns-names',
    kind: 'list',
    arg: '<a,b>',
    default: webhookDnsNames,
    defaultHelp: 'sluice-webhook.<ns>.svc and .svc.cluster.local',
    help: 'DNS names of the generated certificate',
    item: { pattern: DNS_NAME, what: 'a DNS name' },
    needs: 'webhook-bind-address',
    field: 'webhook.dnsNames',
  },
  { name: 'output', kind: 'choice', arg: '<format>', choices: ['text', 'json'], default: 'text', only: 'plan', help: 'format of the plan' },
  { name: 'resync-period', kind: 'integer', arg: '<seconds>', min: 10, max: 86_400, default: '300', help: 'full resync period', field: 'resyncSeconds' },
  {
    name: 'health-poll-ms',
    kind: 'integer',
    arg: '<ms>',
    min: 50,
    max: 60_000,
    defaultHelp: "the provider's health-check interval",
    help: 'how often LB health is read while a gate waits (health cannot change faster than the LB checks it)',
    field: 'healthPollMs',
  },
  { name: 'workers', kind: 'integer', arg: '<n>', min: 1, max: 64, default: '4', help: 'concurrent Service reconciles', field: 'workers' },
  { name: 'no-readiness-gate', kind: 'switch', help: 'pass gates as soon as containers are ready (unsafe; for comparison)', field: 'gate' },
  { name: 'no-drain', kind: 'switch', help: 'keep terminating pods at full weight until they exit (unsafe; for comparison)', field: 'drain' },
  ...PROVIDER_FLAGS,
  { name: 'help', kind: 'switch', help: 'show this help' },
  { name: 'version', kind: 'switch', help: 'print the version' },
] as const satisfies readonly FlagSpec[];

type TableFlag = (typeof FLAGS)[number];
type ProviderFlag<P extends ProviderName> = Extract<TableFlag, { readonly provider: P }>;

/** The value a flag gives its option: one of its choices for a choice flag, else the value of its kind. */
type OptionValue<F extends TableFlag> = F extends { readonly kind: 'choice'; readonly choices: readonly (infer C)[] } ? C : FlagValue<F['kind']>;

/** The options the flags of provider P pass to its factory, derived from {@link FLAGS}. */
export type ProviderFlagOptions<P extends ProviderName> = {
  readonly [F in ProviderFlag<P> as F['option']]?: OptionValue<F>;
};
export type ProviderOptions = { readonly [P in ProviderName]: ProviderFlagOptions<P> };
