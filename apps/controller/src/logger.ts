/**
 * The controller's logger: pino underneath, one record per line, as JSON (for shipping) or as
 * text (for a person at a terminal). Both formats come from the same pino record, so both go
 * through the same redaction:
 *
 * 1. fields whose key names a secret (token, password, clientSecret, client-key-data, ...) at
 *    any depth become "[redacted]" (pino `redact` for the usual paths, a walk for deeper ones);
 * 2. every string, the message included, is scrubbed of secret-shaped values: `Bearer x`,
 *    `Authorization: x`, JWTs, `aws_secret_access_key=x`, `client_secret=x`, `sig=x` and
 *    `X-Amz-Signature=x` URL parameters, `<SecretAccessKey>` XML elements, URL passwords and
 *    PEM private keys.
 *
 * A credential must never reach a log line, whatever a caller passes: an error message that
 * quotes a request, a kubeconfig user object, a signed URL.
 */
import type { Logger } from '@sluice/core';
import { pino } from 'pino';
import type { LogFormat, LogLevel } from './flags.ts';

export const REDACTED = '[redacted]';

export interface LoggerOptions {
  /** The least severe level written. @default 'info' */
  readonly level?: LogLevel;
  /** `json`: one JSON object per line; `text`: `<time> <LEVEL> <message> key=value ...`. @default 'json' */
  readonly format?: LogFormat;
  /** Receives each line, newline included. @default writes to process.stdout */
  readonly write?: (line: string) => void;
  /** @default () => new Date() */
  readonly now?: () => Date;
  /** Colour the level in text format. @default true only when writing to process.stdout and it is a TTY */
  readonly color?: boolean;
}

/** The core logger with `child`, which adds fields to every line it writes. */
export interface AppLogger extends Logger {
  child(bindings: Record<string, unknown>): AppLogger;
}

/** Field names (lower-cased, without `-` and `_`) whose values are secrets. */
const SECRET_KEYS = new Set([
  'authorization',
  'proxyauthorization',
  'cookie',
  'setcookie',
  'password',
  'passwd',
  'passphrase',
  'secret',
  'apikey',
  'xapikey',
  'privatekey',
  'keydata',
  'clientkey',
  'clientkeydata',
  'clientcertificate',
  'clientcertificatedata',
  'certificatedata',
  'credential',
  'credentials',
  'connectionstring',
  'accountkey',
  'sharedkey',
  'sig',
  'signature',
  'xamzsignature',
  'xamzsecuritytoken',
]);
/** Any field name ending in one of these is a secret too (accessToken, clientSecret, secretAccessKey ...). */
const SECRET_SUFFIXES = ['token', 'secret', 'password', 'accesskey', 'privatekey', 'apikey', 'keydata', 'certificatedata', 'signature', 'credentials'];

/** The usual places, for pino's own redaction (top level and one below); the walk covers the rest. */
const REDACT_PATHS = ['token', 'accessToken', 'bearerToken', 'authorization', 'password', 'secret', 'clientSecret', 'secretAccessKey', 'sessionToken', 'apiKey', 'privateKey'].flatMap(
  (k) => [k, `*.${k}`],
);

export function isSecretKey(key: string): boolean {
  const k = key.toLowerCase().replace(/[-_.\s]/g, '');
  return SECRET_KEYS.has(k) || SECRET_SUFFIXES.some((s) => k.endsWith(s));
}

/** Names that introduce a secret in `name=value` or `name: value` text (query strings, headers, config dumps). */
const SECRET_PARAM =
  /\b(aws_secret_access_key|aws_session_token|secret_?access_?key|session_?token|security_?token|x-amz-security-token|x-amz-signature|client[_-]?secret|access_token|id_token|refresh_token|api_?key|password|passwd|token|sig|signature|accountkey|sharedaccesskey|sharedaccesssignature)(["']?\s*[=:]\s*["']?)(?:(?:bearer|basic)\s+)?[^\s"'&,;<>]+/gi;
const SCRUBBERS: readonly [RegExp, string][] = [
  [/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|$)/g, `-----BEGIN PRIVATE KEY----- ${REDACTED}`],
  // A header value runs to the end of the header: schemes like `SharedKey acct:sig` have spaces.
  [/\b((?:proxy-)?authorization)(["']?\s*[=:]\s*["']?)[^"'\r\n,;}]+/gi, `$1$2${REDACTED}`],
  [/\b(bearer|basic)\s+[A-Za-z0-9\-._~+/]+=*/gi, `$1 ${REDACTED}`],
  [SECRET_PARAM, `$1$2${REDACTED}`],
  [/(<(?:SecretAccessKey|SessionToken|SecurityToken|Token|Password|ClientSecret)>)[^<]*/gi, `$1${REDACTED}`],
  [/\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g, REDACTED],
  [/\b([a-z][a-z0-9+.-]*:\/\/[^\s/:@]+:)[^\s/@]+@/gi, `$1${REDACTED}@`],
];

/** A string with every secret-shaped value in it replaced by "[redacted]". */
export function scrubText(text: string): string {
  let out = text;
  for (const [pattern, replacement] of SCRUBBERS) out = out.replace(pattern, replacement);
  return out;
}

/** A copy of a field value that is safe to log: secret keys censored, strings scrubbed, errors reduced to type and message. */
export function scrubValue(value: unknown, depth = 0, ancestors = new WeakSet<object>()): unknown {
  if (typeof value === 'string') return scrubText(value);
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'function' || typeof value === 'symbol') return String(value);
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return `[${value.byteLength} bytes]`;
  if (ancestors.has(value) || depth > 8) return '[...]';
  ancestors.add(value);
  try {
    const next = (v: unknown) => scrubValue(v, depth + 1, ancestors);
    if (value instanceof Error) {
      const code = (value as { code?: unknown }).code;
      return { type: value.name, message: scrubText(value.message), ...(code === undefined ? {} : { code: next(code) }) };
    }
    if (Array.isArray(value) || value instanceof Set) return [...value].map(next);
    const entries = value instanceof Map ? [...value.entries()].map(([k, v]) => [String(k), v] as const) : Object.entries(value);
    const out: Record<string, unknown> = {};
    for (const [k, v] of entries) out[k] = isSecretKey(k) ? REDACTED : next(v);
    return out;
  } finally {
    // Only ancestors mark a cycle: the same object twice side by side is written twice.
    ancestors.delete(value);
  }
}

/** pino's own keys: a field with one of these names is written as `_<name>` so it cannot shadow them. */
const RESERVED = new Set(['level', 'time', 'msg']);

function fieldsFor(bindings: Record<string, unknown>, fields: Record<string, unknown> | undefined): Record<string, unknown> {
  const merged: Record<string, unknown> = {};
  for (const [k, v] of Object.entries({ ...bindings, ...fields })) {
    if (v !== undefined) merged[RESERVED.has(k) ? `_${k}` : k] = v;
  }
  return merged;
}

const COLOURS: Record<string, string> = { debug: '\u001b[90m', info: '\u001b[32m', warn: '\u001b[33m', error: '\u001b[31m' };

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it escapes
const CONTROL = /[\u0000-\u001f\u007f]/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: a value with control characters is quoted
const NEEDS_QUOTES = /[\s"=\\\u0000-\u001f\u007f]/;
const escapeControl = (s: string) => s.replace(CONTROL, (c) => JSON.stringify(c).slice(1, -1));

function textValue(value: unknown): string {
  if (typeof value === 'string') return value === '' || NEEDS_QUOTES.test(value) ? JSON.stringify(value) : value;
  if (value !== null && typeof value === 'object') {
    const json = JSON.stringify(value);
    return /\s/.test(json) ? JSON.stringify(json) : json;
  }
  return String(value);
}

/** One pino JSON record as `<time> <LEVEL> <message> key=value ...`. */
export function formatText(record: Record<string, unknown>, color: boolean): string {
  const { time, level, msg, ...fields } = record;
  const label = String(level ?? '').toUpperCase().padEnd(5);
  const shown = color ? `${COLOURS[String(level)] ?? ''}${label}\u001b[0m` : label;
  const pairs = Object.entries(fields).map(([k, v]) => ` ${k}=${textValue(v)}`);
  return `${String(time)} ${shown} ${escapeControl(String(msg ?? ''))}${pairs.join('')}\n`;
}

export function createLogger(options: LoggerOptions = {}): AppLogger {
  const format = options.format ?? 'json';
  const now = options.now ?? (() => new Date());
  const write = options.write ?? ((line: string) => void process.stdout.write(line));
  const color = options.color ?? (options.write === undefined && process.stdout.isTTY === true);
  const sink =
    format === 'json'
      ? write
      : (line: string) => {
          for (const one of line.split('\n')) if (one) write(formatText(JSON.parse(one) as Record<string, unknown>, color));
        };
  const base = pino(
    {
      level: options.level ?? 'info',
      base: undefined,
      messageKey: 'msg',
      timestamp: () => `,"time":"${now().toISOString()}"`,
      formatters: {
        level: (label) => ({ level: label }),
        log: (record) => scrubValue(record) as Record<string, unknown>,
      },
      redact: { paths: REDACT_PATHS, censor: REDACTED },
      // Errors are already reduced to type, message and code by the walk above.
      serializers: { err: (value: unknown) => value },
    },
    { write: sink },
  );

  const bind = (bindings: Record<string, unknown>): AppLogger => {
    const emit = (level: LogLevel) => (message: string, fields?: Record<string, unknown>) => {
      if (!base.isLevelEnabled(level)) return;
      base[level](fieldsFor(bindings, fields), scrubText(String(message)));
    };
    return {
      debug: emit('debug'),
      info: emit('info'),
      warn: emit('warn'),
      error: emit('error'),
      child: (more) => bind({ ...bindings, ...more }),
    };
  };
  return bind({});
}

/**
 * @deprecated Use {@link createLogger}; kept until every caller has moved.
 */
export function createJsonLogger(level: LogLevel, write: (line: string) => void, now: () => Date = () => new Date()): Logger {
  return createLogger({ level, format: 'json', write, now });
}
