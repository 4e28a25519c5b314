/**
 * Classifies what the Azure SDK throws into Sluice's two kinds of error, keeping the SDK
 * error as `cause`:
 * - retryable: throttling (429, with `retryAfterMs` from Retry-After), 5xx, network
 *   failures, 409 conflicts (another operation in progress), 412 (someone else wrote
 *   first; callers retry in place before it reaches here), a long-running operation that
 *   ended Failed or Canceled, a resource that vanished under a call, and credential
 *   failures (identity endpoints have outages too; the event says what is wrong);
 * - terminal: every other 4xx, with Azure's error code and message
 *   (`Azure rejected <operation>: <code>: <message>`), including 401/403 with a hint at
 *   the role the identity needs, and a missing resource group or subscription.
 * An abort is not an error of Azure: the caller's signal reason is rethrown as is.
 *
 * What ARM answered is classified by the provider kit (`classifyHttpFailure`); only what
 * happens before or after an answer (network, SDK timeout, tokens, long-running operations)
 * is Azure-specific here.
 */
import { errorMessage, RetryableError, SluiceError } from '@sluice/core';
import { type Clock, classifyHttpFailure, type HeaderSource, isNetworkFailure, passThrough, providerClock, type VendorProfile } from '@sluice/core/provider-kit';

interface RestErrorShape {
  name?: string;
  code?: string;
  message?: string;
  statusCode?: number;
  response?: { headers?: HeaderSource };
}

/** A request the SDK could not send (its RestError code for any network failure). */
const REQUEST_SEND_ERROR = 'REQUEST_SEND_ERROR';
const CONFIG_NOT_FOUND = new Set(['ResourceGroupNotFound', 'SubscriptionNotFound', 'InvalidSubscriptionId']);
const LRO_FAILED = /^The long-running operation has failed(?:\. ([^.\s]+)\. ([\s\S]*))?$/;

/** How Azure names its answers, for the provider kit's classification. */
export const AZURE_PROFILE: VendorProfile = {
  vendor: 'Azure',
  reasonPrefix: 'Azure',
  configurationCodes: CONFIG_NOT_FOUND,
  versionToken: 'ETag',
  forbiddenHint: 'The identity needs the Network Contributor role (or the permissions the README lists) on the resource group.',
};

function shape(error: unknown): RestErrorShape {
  return (typeof error === 'object' && error !== null ? error : {}) as RestErrorShape;
}

/** The HTTP status of a RestError (or of a classified error's cause), when there is one. */
export function httpStatus(error: unknown): number | undefined {
  const e = error instanceof SluiceError ? shape(error.cause) : shape(error);
  return typeof e.statusCode === 'number' ? e.statusCode : undefined;
}

/** Azure's error code of a RestError (or of a classified error's cause). */
export function azureErrorCode(error: unknown): string | undefined {
  const e = error instanceof SluiceError ? shape(error.cause) : shape(error);
  return e.code;
}

/** True when Azure answered 404 (the resource, or its parent, does not exist). */
export function isNotFound(error: unknown): boolean {
  return httpStatus(error) === 404 && !CONFIG_NOT_FOUND.has(azureErrorCode(error) ?? '');
}

/**
 * Turns anything an SDK call threw into a RetryableError or TerminalError. A Retry-After
 * date counts from `clock`.
 */
export function classifyAzureError(operation: string, error: unknown, signal?: AbortSignal, clock: Pick<Clock, 'now'> = providerClock): unknown {
  const settled = passThrough(error, signal);
  if (settled !== undefined) return settled;
  const e = shape(error);
  const message = e.message ?? errorMessage(error);
  const status = e.statusCode;

  if (e.name === 'RestError' && status !== undefined) {
    return classifyHttpFailure(
      AZURE_PROFILE,
      { operation, status, code: e.code ?? `HTTP${status}`, message, ...(e.response?.headers ? { headers: e.response.headers } : {}), cause: error },
      clock,
    );
  }
  if (e.name === 'AbortError') {
    // Aborted without the caller's signal: a socket or request timeout inside the SDK.
    return new RetryableError(`Azure ${operation} timed out: ${message}`, { cause: error, reason: 'AzureUnreachable' });
  }
  if (e.name === 'RestError' || e.code === REQUEST_SEND_ERROR || isNetworkFailure(error)) {
    return new RetryableError(`Azure ${operation} could not reach Azure Resource Manager: ${e.code ?? 'network error'}: ${message}`, {
      cause: error,
      reason: 'AzureUnreachable',
    });
  }
  if (e.name === 'CredentialUnavailableError' || e.name === 'AuthenticationError' || e.name === 'AggregateAuthenticationError') {
    return new RetryableError(
      `Azure ${operation} could not get a token: ${message} Provide credentials the DefaultAzureCredential way (environment, workload identity or managed identity).`,
      { cause: error, reason: 'AzureCredentials' },
    );
  }
  const failed = LRO_FAILED.exec(message);
  if (failed) {
    const detail = failed[1] !== undefined ? `${failed[1]}: ${failed[2]}` : 'no error details';
    return new RetryableError(`Azure ${operation} failed while running: ${detail}`, { cause: error, reason: 'AzureOperationFailed' });
  }
  if (message === 'Operation was canceled') {
    return new RetryableError(`Azure ${operation} was canceled while running.`, { cause: error, reason: 'AzureOperationFailed' });
  }
  return new RetryableError(`Azure ${operation} failed: ${message}`, { cause: error, reason: 'AzureRetryable' });
}
