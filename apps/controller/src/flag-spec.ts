/**
 * What a flag is: the shape of an entry of the flag table (flag-table.ts), and the value
 * lists the table and the RunConfig share.
 */
import type { ListenAddress, RunConfig } from './flags.ts';

export const PROVIDERS = ['local', 'aws', 'azure', 'gcp'] as const;
export type ProviderName = (typeof PROVIDERS)[number];
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const LOG_FORMATS = ['json', 'text'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

type Leaf = string | number | boolean | readonly unknown[] | ListenAddress;
/** Dotted paths to the leaves of a config object: `'workers'`, `'leaderElection.leaseDurationMs'`. */
export type FieldPath<T> = {
  [K in keyof T & string]-?: NonNullable<T[K]> extends Leaf ? K : `${K}.${FieldPath<NonNullable<T[K]>>}`;
}[keyof T & string];
/** A RunConfig field a flag fills (provider flags fill provider options instead). */
export type ConfigField = FieldPath<Omit<RunConfig, 'providerOptions'>>;

/** What a computed default may read. */
export interface DefaultContext {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The parsed value of a flag listed earlier in the table. */
  value(name: string): unknown;
}

interface FlagBase {
  /** Without the leading `--`. */
  readonly name: string;
  /** One line for --help; the range, the choices and the default are appended from the spec. */
  readonly help: string;
  /** The RunConfig field the value fills. */
  readonly field?: ConfigField;
  /** A provider flag fills the option {@link option} of this provider's factory instead of a field. */
  readonly provider?: ProviderName;
  readonly option?: string;
  /** Accepted only by this subcommand. */
  readonly only?: 'plan';
}

/** Takes no value. A `--no-*` switch fills its field with false when given, true otherwise. */
export interface SwitchFlag extends FlagBase {
  readonly kind: 'switch';
}

interface ValueFlagBase extends FlagBase {
  /** The placeholder in --help, like `<seconds>`. */
  readonly arg: string;
  /** Used when the flag is not given, parsed and checked like a given value. @default none: the field is undefined */
  readonly default?: string | ((ctx: DefaultContext) => string | undefined);
  /** How --help words the default when it is computed or means something special. */
  readonly defaultHelp?: string;
  readonly required?: boolean;
  /** Given alone it means nothing: this other flag must be given too. */
  readonly needs?: string;
}

export interface TextFlag extends ValueFlagBase {
  readonly kind: 'text';
  /** The error sentence for a value that is not allowed, or undefined when it is. */
  readonly check?: (value: string, flag: string) => string | undefined;
}

export interface ChoiceFlag extends ValueFlagBase {
  readonly kind: 'choice';
  readonly choices: readonly string[];
  /** Replaces the standard "is invalid: allowed are ..." sentence. */
  readonly check?: (value: string, flag: string) => string | undefined;
}

/** A whole number from min to max; the field gets it times {@link scale}. */
export interface IntegerFlag extends ValueFlagBase {
  readonly kind: 'integer';
  readonly min: number;
  readonly max: number;
  /** @default 1 */
  readonly scale?: number;
}

/** Comma-separated, each item trimmed. */
export interface ListFlag extends ValueFlagBase {
  readonly kind: 'list';
  /** Each item must match; `what` completes "... is not <what>". @default any item */
  readonly item?: { readonly pattern: RegExp; readonly what: string };
}

/** `host:port`, `:port` or `[v6]:port`; `0` means off (undefined). */
export interface AddressFlag extends ValueFlagBase {
  readonly kind: 'address';
}

export type ValueFlag = TextFlag | ChoiceFlag | IntegerFlag | ListFlag | AddressFlag;
export type FlagSpec = SwitchFlag | ValueFlag;

/** The parsed value of a flag of a kind. */
export type FlagValue<K extends FlagSpec['kind']> = K extends 'switch'
  ? boolean
  : K extends 'integer'
    ? number
    : K extends 'list'
      ? string[]
      : K extends 'address'
        ? ListenAddress | undefined
        : string;

/** A check: the value must match `pattern` (and be at most `maxLength` long); `allowed` completes the sentence. */
export function matching(pattern: RegExp, allowed: string, maxLength = Number.POSITIVE_INFINITY) {
  return (value: string, flag: string): string | undefined =>
    pattern.test(value) && value.length <= maxLength ? undefined : `--${flag} "${value}" is invalid: ${allowed}.`;
}
