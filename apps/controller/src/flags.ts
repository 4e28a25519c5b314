/**
 * Command-line flags, parsed by a pure function: argv in, a run configuration or one
 * sentence of error out. main.ts turns an error into exit code 2. Every flag, its help,
 * default, check and destination is in flag-table.ts; this file only walks that table.
 */
import { type FlagSpec, LOG_FORMATS, LOG_LEVELS, type LogFormat, type LogLevel, PROVIDERS, type ProviderName, type ValueFlag } from './flag-spec.ts';
import { suggestFlag } from './flag-suggest.ts';
import { FLAGS, type ProviderOptions } from './flag-table.ts';
import { type LeaseTiming, resolveLeaseTimings } from './lease-timings.ts';

export { LOG_FORMATS, LOG_LEVELS, type LogFormat, type LogLevel, PROVIDERS, type ProviderName, type ProviderOptions };

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
  /** @default 15_000, or scaled to the given renew deadline / retry period (lease-timings.ts) */
  readonly leaseDurationMs: number;
  /** @default 10_000, or scaled to the given lease duration / retry period */
  readonly renewDeadlineMs: number;
  /** @default 2_000, or scaled to the given renew deadline / lease duration */
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
  /** Sluice's class. @default 'sluice.dev/load-balancer' */
  readonly loadBalancerClass: string;
  /** Also handle unclassed Services. @default false */
  readonly handleUnclassed: boolean;
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
  /** @default the provider's health-check interval */
  readonly healthPollMs: number | undefined;
  /** @default 4 */
  readonly workers: number;
  /**
   * Per provider, the factory options its `--<provider>-*` flags set (given, or with a
   * default in the table); an option left out takes the provider's own default.
   */
  readonly providerOptions: ProviderOptions;
}

export type ParseResult =
  | { readonly kind: 'run'; readonly config: RunConfig }
  | { readonly kind: 'plan'; readonly config: RunConfig; readonly output: 'text' | 'json' }
  | { readonly kind: 'help' }
  | { readonly kind: 'version' }
  | { readonly kind: 'error'; readonly message: string };

const TABLE: readonly FlagSpec[] = FLAGS;
const BY_NAME = new Map(TABLE.map((f) => [f.name, f]));
const NAMES = TABLE.map((f) => f.name);
const LEASE_FLAGS = ['leader-election-lease-duration', 'leader-election-renew-deadline', 'leader-election-retry-period'] as const;

const orList = (items: readonly string[]): string => (items.length < 2 ? items.join('') : `${items.slice(0, -1).join(', ')} or ${items.at(-1)}`);

/** The help of a flag, then what the spec adds: choices, range, and in parentheses where it applies and its default. */
function describe(spec: FlagSpec): string {
  let text = spec.help;
  if (spec.kind === 'choice') text += `: ${orList(spec.choices)}`;
  if (spec.kind === 'integer') text += `, ${spec.min}-${spec.max}`;
  const notes: string[] = [];
  if (spec.only) notes.push(`sluice ${spec.only} only`);
  if (spec.kind !== 'switch') {
    const def = spec.defaultHelp ?? (typeof spec.default === 'string' ? spec.default : undefined);
    if (spec.required) notes.push('required');
    else if (def !== undefined) notes.push(`default ${def}`);
  }
  return notes.length === 0 ? text : `${text} (${notes.join('; ')})`;
}

function usageLine(spec: FlagSpec): string {
  const left = spec.kind === 'switch' ? `--${spec.name}` : `--${spec.name} ${spec.arg}`;
  return left.length <= 30 ? `  ${left.padEnd(30)}  ${describe(spec)}` : `  ${left}\n  ${' '.repeat(32)}${describe(spec)}`;
}

/** The --help text, generated from the flag table. */
export function usage(): string {
  const provider = `--provider <${PROVIDERS.join('|')}>`;
  const output = BY_NAME.get('output');
  const outputs = output?.kind === 'choice' ? output.choices.join('|') : '';
  const section = (title: string, flags: readonly FlagSpec[]) => [title, ...flags.map(usageLine)].join('\n');
  return [
    `Usage: sluice ${provider} [flags]`,
    `       sluice plan ${provider} [--output ${outputs}] [flags]`,
    '',
    'Gives type: LoadBalancer Services a load balancer whose backends are the pods themselves,',
    'with a readiness gate and a graceful drain so rolling updates lose no request.',
    '',
    section('Flags:', TABLE.filter((f) => !f.provider)),
    ...PROVIDERS.map((p) => `\n${section(`Provider ${p} (--provider ${p}):`, TABLE.filter((f) => f.provider === p))}`),
    '',
    'The leader-election timings keep retry period < renew deadline < lease duration. Those',
    'left out keep their defaults, or when the defaults do not fit around the given ones,',
    'are scaled from them by the ratio of the defaults (a lease duration of 6 alone: 4 and 0.8).',
  ].join('\n');
}

export const USAGE = usage();

/** Parses `host:port`, `:port` (all interfaces) or `[v6]:port`; `0` means disabled. */
function listenAddress(flag: string, raw: string): { value: ListenAddress | undefined } | { error: string } {
  if (raw === '0') return { value: undefined };
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s]*)):(\d{1,5})$/.exec(raw);
  const port = m ? Number(m[3]) : Number.NaN;
  if (!m || port > 65_535) {
    return { error: `--${flag} "${raw}" is invalid: allowed is host:port (like 127.0.0.1:8080 or :8080, port 0-65535, 0 picks a free one) or 0 to disable.` };
  }
  return { value: { host: m[1] ?? (m[2] || '0.0.0.0'), port } };
}

/** One value, read and checked as its spec says. */
function parseValue(spec: ValueFlag, raw: string): { value: unknown } | { error: string } {
  const flag = spec.name;
  const checked = (error: string | undefined, value: unknown) => (error === undefined ? { value } : { error });
  switch (spec.kind) {
    case 'text':
      return checked(spec.check?.(raw, flag), raw);
    case 'choice':
      if (spec.check) return checked(spec.check(raw, flag), raw);
      return checked(spec.choices.includes(raw) ? undefined : `--${flag} "${raw}" is invalid: allowed are ${spec.choices.join(', ')}.`, raw);
    case 'integer': {
      if (!/^\d+$/.test(raw)) return { error: `--${flag} "${raw}" is invalid: allowed is a whole number from ${spec.min} to ${spec.max}.` };
      const n = Number(raw);
      if (n < spec.min || n > spec.max) return { error: `--${flag} ${raw} is out of range: allowed is ${spec.min} to ${spec.max}.` };
      return { value: n * (spec.scale ?? 1) };
    }
    case 'list': {
      const items = raw.split(',').map((s) => s.trim());
      const item = spec.item;
      const bad = item ? items.find((i) => !item.pattern.test(i)) : undefined;
      return checked(bad === undefined ? undefined : `--${flag} "${raw}" is invalid: "${bad}" is not ${item?.what}.`, items);
    }
    case 'address':
      return listenAddress(flag, raw);
  }
}

/** Sets a dotted path (`'leaderElection.name'`) on a plain object, creating the objects on the way. */
function setField(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let node = target;
  for (const key of keys.slice(0, -1)) node = (node[key] ??= {}) as Record<string, unknown>;
  node[keys.at(-1)!] = value;
}

const unknownFlag = (name: string): string => {
  const guess = suggestFlag(name, NAMES);
  return `unknown flag --${name}; ${guess === undefined ? 'see --help.' : `did you mean --${guess}?`}`;
};

export function parseFlags(argv: readonly string[], env: Readonly<Record<string, string | undefined>> = {}): ParseResult {
  const error = (message: string): ParseResult => ({ kind: 'error', message });
  let command: 'run' | 'plan' = 'run';
  if (argv[0] === 'plan') {
    command = 'plan';
    argv = argv.slice(1);
  }

  // 1. Tokens: which flags were given, and with what text.
  const given = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) {
      const guess = arg.startsWith('-') ? suggestFlag(arg, NAMES) : undefined;
      return error(`unexpected argument "${arg}": flags start with --; ${guess === undefined ? 'see --help.' : `did you mean --${guess}?`}`);
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    const spec = BY_NAME.get(name);
    if (spec === undefined) return error(unknownFlag(name));
    if (spec.kind === 'switch') {
      if (eq !== -1) return error(`--${name} takes no value; see --help.`);
      given.set(name, true);
      continue;
    }
    const value = eq === -1 ? argv[++i] : arg.slice(eq + 1);
    if (value === undefined || (eq === -1 && value.startsWith('--'))) return error(`--${name} needs a value; see --help.`);
    given.set(name, value);
  }
  if (given.has('help')) return { kind: 'help' };
  if (given.has('version')) return { kind: 'version' };

  // 2. Values, in table order, so a computed default can read the flags listed before it.
  const values = new Map<string, unknown>();
  const ctx = { env, value: (name: string) => values.get(name) };
  for (const spec of TABLE) {
    const text = given.get(spec.name);
    if (spec.kind === 'switch') {
      values.set(spec.name, text !== undefined);
      continue;
    }
    if (text !== undefined && spec.only !== undefined && spec.only !== command) return error(`--${spec.name} is only for sluice ${spec.only}.`);
    if (text === undefined && spec.required) {
      return error(`--${spec.name} is required${spec.kind === 'choice' ? `: allowed are ${spec.choices.join(', ')}` : ''}.`);
    }
    const raw = typeof text === 'string' ? text : typeof spec.default === 'function' ? spec.default(ctx) : spec.default;
    if (raw === undefined) {
      values.set(spec.name, undefined);
      continue;
    }
    const parsed = parseValue(spec, raw);
    if ('error' in parsed) return error(parsed.error);
    values.set(spec.name, parsed.value);
  }

  // 3. Rules between flags.
  if (given.has('webhook-cert-file') !== given.has('webhook-key-file')) {
    return error('--webhook-cert-file and --webhook-key-file go together: give both, or neither for a generated certificate.');
  }
  for (const spec of TABLE) {
    if (spec.kind !== 'switch' && spec.needs && given.has(spec.name) && !values.get(spec.needs)) return error(`--${spec.name} needs --${spec.needs}.`);
  }
  const timing = (name: string): LeaseTiming => {
    const spec = BY_NAME.get(name);
    const byDefault = spec?.kind === 'integer' && typeof spec.default === 'string' ? parseValue(spec, spec.default) : undefined;
    return { flag: name, ms: values.get(name) as number, defaultMs: byDefault && 'value' in byDefault ? (byDefault.value as number) : Number.NaN, given: given.has(name) };
  };
  const timings = resolveLeaseTimings(timing(LEASE_FLAGS[0]), timing(LEASE_FLAGS[1]), timing(LEASE_FLAGS[2]));
  if (typeof timings === 'string') return error(timings);

  // 4. The config: each flag fills its field or its provider's option.
  const out: Record<string, unknown> = { providerOptions: Object.fromEntries(PROVIDERS.map((p) => [p, {}])) };
  for (const spec of TABLE) {
    const value = values.get(spec.name);
    if (spec.provider !== undefined && spec.option !== undefined) {
      // A provider switch sets its option only when given (else the provider's environment
      // variable and default apply): a `--<provider>-no-*` switch to false, any other to true.
      if (spec.kind === 'switch') {
        if (given.has(spec.name)) setField(out, `providerOptions.${spec.provider}.${spec.option}`, !/^[a-z]+-no-/.test(spec.name));
      } else if (value !== undefined) setField(out, `providerOptions.${spec.provider}.${spec.option}`, value);
    } else if (spec.field !== undefined) {
      // A `--no-*` switch turns its field off; any other switch turns it on.
      setField(out, spec.field, spec.kind === 'switch' && spec.name.startsWith('no-') ? !value : value);
    }
  }
  // The webhook fields are all filled; without an address there is no webhook.
  const config = out as unknown as RunConfig & { readonly webhook: Omit<WebhookConfig, 'address'> & { readonly address: ListenAddress | undefined } };
  const finished: RunConfig = {
    ...config,
    leaderElection: { ...config.leaderElection, ...timings },
    webhook: config.webhook.address ? { ...config.webhook, address: config.webhook.address } : undefined,
  };
  return command === 'plan' ? { kind: 'plan', config: finished, output: values.get('output') as 'text' | 'json' } : { kind: 'run', config: finished };
}
