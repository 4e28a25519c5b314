/**
 * One classification of what a cloud answered, for every provider: an HTTP status, the
 * vendor's error code and the response headers become a {@link RetryableError} or a
 * {@link TerminalError} with the vendor's answer as `cause`, one sentence naming the vendor,
 * the operation, the code and the vendor's message.
 *
 * The kinds, in the order they are decided (the first that matches wins):
 * 1. `throttled`: 429, a throttling code of the vendor, or the SDK says so. Retryable, reason
 *    `<Prefix>Throttled` (the core counts those apart), with the server's Retry-After;
 * 2. `vanished`: a code that says the resource vanished under the call (AWS answers 400
 *    `LoadBalancerNotFound`). Retryable: nothing is wrong with the input, the next reconcile
 *    looks again;
 * 3. `unavailable`: 5xx, a server fault, or a transient code of the vendor. Retryable;
 * 4. `conflict`: 408 or 409, another operation in progress. Retryable;
 * 5. `precondition`: 412, someone else wrote since the ETag / fingerprint was read. Retryable,
 *    reason `<Prefix>Conflict` (callers usually re-read and retry in place first);
 * 6. `vanished` again: 404, unless its code names configuration (a missing resource group);
 * 7. `forbidden`: 401 or 403, with the vendor's hint at the role needed. Terminal;
 * 8. `rejected`: every other answer (4xx). Terminal.
 *
 * What happened before any answer (no credentials, no network, an SDK timeout) is the
 * provider's to classify; {@link passThrough} and {@link isNetworkFailure} help with that.
 */
import { isRetryableError, isSluiceError, RetryableError, TerminalError } from '../errors.ts';
import type { Clock } from '../queue/clock.ts';
import { type HeaderSource, retryAfterMs } from './retry-after.ts';
import { providerClock } from './sleep.ts';

/** How one vendor names things in its errors; built once per provider. */
export interface VendorProfile {
  /** The vendor as messages name it: `AWS`, `Azure`, `Google`. */
  readonly vendor: string;
  /** The prefix of every reason: `Aws` gives `AwsThrottled`, `AwsRetryable`, `AwsRejected`... */
  readonly reasonPrefix: string;
  /** Vendor codes that mean throttling, whatever the status. @default none */
  readonly throttlingCodes?: ReadonlySet<string>;
  /** Vendor codes of a failure that passes, whatever the status. @default none */
  readonly transientCodes?: ReadonlySet<string>;
  /** Vendor codes that mean the resource vanished under the call, whatever the status. @default none */
  readonly vanishedCodes?: ReadonlySet<string>;
  /** Codes of a 404 that names configuration, not a resource (Azure `ResourceGroupNotFound`): terminal. @default none */
  readonly configurationCodes?: ReadonlySet<string>;
  /** What a 412 message calls the optimistic-lock token. @default 'ETag' */
  readonly versionToken?: string;
  /** A sentence added to 401 and 403 messages: the role or permissions needed. @default none */
  readonly forbiddenHint?: string;
}

/** What the vendor answered to one call. */
export interface HttpFailure {
  /** The operation, as logs name it: `RegisterTargets`, `loadBalancers.get`. */
  readonly operation: string;
  /** The HTTP status, when there was an answer. */
  readonly status?: number;
  /** The vendor's error code. @default `HTTP<status>` */
  readonly code?: string;
  /** The vendor's message. */
  readonly message: string;
  /** The response headers (Retry-After is read from them). */
  readonly headers?: HeaderSource;
  /** The SDK error, kept as `cause`. */
  readonly cause: unknown;
  /** The SDK marked the answer as throttling (AWS `$retryable.throttling`). @default false */
  readonly throttling?: boolean;
  /** The SDK blamed the server (AWS `$fault: 'server'`). @default false */
  readonly serverFault?: boolean;
}

export type HttpFailureKind = 'throttled' | 'vanished' | 'unavailable' | 'conflict' | 'precondition' | 'forbidden' | 'rejected';

/** Pure: which kind of failure the answer is (see the module comment for the order). */
export function httpFailureKind(profile: VendorProfile, failure: Pick<HttpFailure, 'status' | 'code' | 'throttling' | 'serverFault'>): HttpFailureKind {
  const { status, code = '' } = failure;
  if (status === 429 || failure.throttling === true || profile.throttlingCodes?.has(code)) return 'throttled';
  if (profile.vanishedCodes?.has(code)) return 'vanished';
  if (failure.serverFault === true || (status !== undefined && status >= 500) || profile.transientCodes?.has(code)) return 'unavailable';
  if (status === 408 || status === 409) return 'conflict';
  if (status === 412) return 'precondition';
  if (status === 404 && !profile.configurationCodes?.has(code)) return 'vanished';
  if (status === 401 || status === 403) return 'forbidden';
  return 'rejected';
}

/**
 * The typed error for a vendor's answer. Retryable kinds carry the server's Retry-After as
 * `retryAfterMs`, an HTTP date counted from `clock.now()`.
 */
export function classifyHttpFailure(profile: VendorProfile, failure: HttpFailure, clock: Pick<Clock, 'now'> = providerClock): RetryableError | TerminalError {
  const { vendor, reasonPrefix: p } = profile;
  const { operation: op, cause } = failure;
  const answer = `${failure.code ?? `HTTP${failure.status ?? '?'}`}: ${failure.message}`;
  const after = retryAfterMs(failure.headers, clock);
  const retry = (message: string, reason: string) => new RetryableError(message, { cause, reason, ...(after !== undefined ? { retryAfterMs: after } : {}) });
  switch (httpFailureKind(profile, failure)) {
    case 'throttled':
      return retry(`${vendor} throttled ${op}: ${answer}`, `${p}Throttled`);
    case 'vanished':
      return retry(`${vendor} ${op} found the resource gone, will look again: ${answer}`, `${p}NotFound`);
    case 'unavailable':
      return retry(`${vendor} ${op} failed, will retry: ${answer}`, `${p}Retryable`);
    case 'conflict':
      return retry(`${vendor} ${op} conflicted with another operation, will retry: ${answer}`, `${p}Retryable`);
    case 'precondition':
      return retry(`${vendor} ${op} lost a race with another writer (${profile.versionToken ?? 'ETag'} changed), will retry: ${answer}`, `${p}Conflict`);
    case 'forbidden':
      return new TerminalError(`${vendor} rejected ${op}: ${answer}${profile.forbiddenHint ? ` ${profile.forbiddenHint}` : ''}`, { cause, reason: `${p}Forbidden` });
    case 'rejected':
      return new TerminalError(`${vendor} rejected ${op}: ${answer}`, { cause, reason: `${p}Rejected` });
  }
}

/**
 * What a provider rethrows as is, before classifying: the caller's abort reason once its
 * signal has aborted (an abort is not the vendor's failure), or an error that is already a
 * Sluice error. Undefined when `error` still needs classifying.
 */
export function passThrough(error: unknown, signal?: AbortSignal): unknown {
  if (signal?.aborted) return signal.reason;
  if (isSluiceError(error)) return error;
  return undefined;
}

/** System error codes of a connection that failed or broke: worth retrying. */
export const NETWORK_ERROR_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNABORTED',
  'UND_ERR_SOCKET',
]);

/** The network error code of `error` or of its `cause` (fetch wraps them), when it has one. */
export function networkErrorCode(error: unknown): string | undefined {
  for (const e of [error, (error as { cause?: unknown } | null | undefined)?.cause]) {
    const code = (e as { code?: unknown } | null | undefined)?.code;
    if (typeof code === 'string' && NETWORK_ERROR_CODES.has(code)) return code;
  }
  return undefined;
}

/** True when `error` (or its cause) is a connection that failed or broke. */
export function isNetworkFailure(error: unknown): boolean {
  return networkErrorCode(error) !== undefined;
}

/** True for a retryable error that is the vendor throttling (its reason ends in `Throttled`). */
export function isThrottledError(error: unknown): error is RetryableError {
  return isRetryableError(error) && error.reason.endsWith('Throttled');
}
