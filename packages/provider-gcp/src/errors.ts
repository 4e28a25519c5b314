/**
 * Classifies what the Compute SDK throws into Sluice's two kinds of error, keeping the SDK
 * error as `cause`:
 * - retryable: 429 and `rateLimitExceeded` / `userRateLimitExceeded` (throttling), 5xx,
 *   network failures and timeouts, 408, 409 (a conflicting operation), 412 (a stale
 *   fingerprint; callers re-read and retry in place first), 404 (a part vanished: the next
 *   ensure re-creates it), and an operation that did not finish within its deadline;
 * - terminal: every other 4xx, as `Google rejected <method>: <reason>: <message>`, with a
 *   hint at IAM for 401/403.
 * An abort is not an error of Google's: the caller's signal reason is rethrown as is.
 *
 * What Compute answered is classified by the provider kit (`classifyHttpFailure`) with
 * Compute's reasons; a failure before any answer is the network's.
 */
import { errorMessage, RetryableError, SluiceError, TerminalError } from '@sluice/core';
import { type Clock, classifyHttpFailure, networkErrorCode, passThrough, providerClock, type VendorProfile } from '@sluice/core/provider-kit';

/** Where google-gax keeps the undecoded body of an HTTP error (Compute's `errors[].reason` lives there). */
const RAW_PAYLOAD = Symbol.for('google-gax.rawHttpResponsePayload');

/** How Compute names its answers, for the provider kit's classification. */
export const GCP_PROFILE: VendorProfile = {
  vendor: 'Google',
  reasonPrefix: 'Gcp',
  throttlingCodes: new Set(['rateLimitExceeded', 'userRateLimitExceeded']),
  versionToken: 'fingerprint',
  forbiddenHint: 'The credentials need the Compute permissions the README of @sluice/provider-gcp lists (e.g. roles/compute.loadBalancerAdmin and roles/compute.networkUser).',
};

interface GaxErrorShape {
  name?: string;
  message?: string;
  code?: number | string;
  httpStatusCode?: number;
  cause?: unknown;
}

function shape(error: unknown): GaxErrorShape {
  return (typeof error === 'object' && error !== null ? error : {}) as GaxErrorShape;
}

/** The HTTP status Google answered with (also through a classified error's cause). */
export function httpStatus(error: unknown): number | undefined {
  const e = error instanceof SluiceError ? shape(error.cause) : shape(error);
  return typeof e.httpStatusCode === 'number' ? e.httpStatusCode : undefined;
}

/** Compute's error reason (`notFound`, `alreadyExists`, `rateLimitExceeded`, ...) from the raw body. */
export function errorReason(error: unknown): string | undefined {
  const target = error instanceof SluiceError ? error.cause : error;
  if (typeof target !== 'object' || target === null) return undefined;
  const raw = (target as Record<symbol, unknown>)[RAW_PAYLOAD];
  if (typeof raw !== 'string') return undefined;
  try {
    const body = JSON.parse(raw) as { error?: { errors?: { reason?: string }[]; status?: string } };
    return body.error?.errors?.[0]?.reason ?? body.error?.status;
  } catch {
    return undefined;
  }
}

export function isNotFound(error: unknown): boolean {
  return httpStatus(error) === 404;
}

export function isAlreadyExists(error: unknown): boolean {
  return httpStatus(error) === 409 && errorReason(error) !== 'resourceNotReady';
}

export function isPreconditionFailed(error: unknown): boolean {
  return httpStatus(error) === 412;
}

/** Turns anything an SDK call threw into a RetryableError or TerminalError. */
export function classifyGcpError(operation: string, error: unknown, signal?: AbortSignal, clock: Pick<Clock, 'now'> = providerClock): unknown {
  const settled = passThrough(error, signal);
  if (settled !== undefined) return settled;
  const e = shape(error);
  const message = (e.message ?? errorMessage(error)).trim();
  const status = e.httpStatusCode;
  if (status !== undefined) {
    return classifyHttpFailure(GCP_PROFILE, { operation, status, code: errorReason(error) ?? `HTTP${status}`, message, cause: error }, clock);
  }
  const code = typeof e.code === 'string' ? e.code : (shape(e.cause).code as string | undefined);
  return new RetryableError(`Google ${operation} could not reach the Compute Engine API: ${code ?? 'network error'}: ${message}`, {
    cause: error,
    reason: networkErrorCode(error) !== undefined ? 'GcpUnreachable' : 'GcpRetryable',
  });
}

/** What a finished operation reports when it failed. */
export interface OperationErrorShape {
  readonly httpErrorStatusCode?: number | null;
  readonly httpErrorMessage?: string | null;
  readonly error?: { readonly errors?: readonly { readonly code?: string | null; readonly message?: string | null }[] | null } | null;
}

/** The error of an operation that ended DONE with an error: terminal for a 4xx (not 408/409/429), else retryable. */
export function operationError(operation: string, op: OperationErrorShape): SluiceError {
  const first = op.error?.errors?.[0];
  const reason = first?.code ?? op.httpErrorMessage ?? 'OPERATION_FAILED';
  const message = first?.message ?? op.httpErrorMessage ?? 'the operation failed';
  const status = op.httpErrorStatusCode ?? 500;
  const cause = { operation: op };
  if (status >= 400 && status < 500 && status !== 408 && status !== 409 && status !== 429) {
    return new TerminalError(`Google rejected ${operation}: ${reason}: ${message}`, { cause, reason: 'GcpRejected' });
  }
  return new RetryableError(`Google ${operation} failed while running, will retry: ${reason}: ${message}`, { cause, reason: 'GcpOperationFailed' });
}
