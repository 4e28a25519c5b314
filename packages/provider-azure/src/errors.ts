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
 */
import { errorMessage, RetryableError, SluiceError, TerminalError } from '@sluice/core';

interface RestErrorShape {
  name?: string;
  code?: string;
  message?: string;
  statusCode?: number;
  response?: { headers?: { get?(name: string): string | undefined } | Record<string, string> };
}

const NETWORK = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNABORTED',
  'REQUEST_SEND_ERROR',
  'UND_ERR_SOCKET',
]);
const CONFIG_NOT_FOUND = new Set(['ResourceGroupNotFound', 'SubscriptionNotFound', 'InvalidSubscriptionId']);
const LRO_FAILED = /^The long-running operation has failed(?:\. ([^.\s]+)\. ([\s\S]*))?$/;

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

/** Milliseconds from a Retry-After header (seconds or an HTTP date), when one was sent. */
export function retryAfterMs(error: unknown, now: () => number = Date.now): number | undefined {
  const headers = shape(error).response?.headers;
  if (!headers) return undefined;
  const value =
    typeof (headers as { get?: unknown }).get === 'function'
      ? (headers as { get(name: string): string | undefined }).get('retry-after')
      : Object.entries(headers as Record<string, string>).find(([k]) => k.toLowerCase() === 'retry-after')?.[1];
  if (value === undefined) return undefined;
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Math.round(Number(value) * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now());
}

/** Turns anything an SDK call threw into a RetryableError or TerminalError. */
export function classifyAzureError(operation: string, error: unknown, signal?: AbortSignal): unknown {
  if (signal?.aborted) return signal.reason;
  if (error instanceof SluiceError) return error;
  const e = shape(error);
  const message = e.message ?? errorMessage(error);
  const status = e.statusCode;

  if (e.name === 'RestError' && status !== undefined) {
    const code = e.code ?? `HTTP${status}`;
    const after = retryAfterMs(error);
    const retry = { cause: error, reason: 'AzureRetryable', ...(after !== undefined ? { retryAfterMs: after } : {}) };
    if (status === 429) return new RetryableError(`Azure throttled ${operation}: ${code}: ${message}`, { ...retry, reason: 'AzureThrottled' });
    if (status >= 500) return new RetryableError(`Azure ${operation} failed, will retry: ${code}: ${message}`, retry);
    if (status === 408 || status === 409) return new RetryableError(`Azure ${operation} conflicted with another operation, will retry: ${code}: ${message}`, retry);
    if (status === 412) {
      return new RetryableError(`Azure ${operation} lost a race with another writer (ETag changed), will retry: ${code}: ${message}`, { ...retry, reason: 'AzureConflict' });
    }
    if (status === 404 && !CONFIG_NOT_FOUND.has(code)) {
      return new RetryableError(`Azure ${operation} found the resource gone, will look again: ${code}: ${message}`, { ...retry, reason: 'AzureNotFound' });
    }
    if (status === 401 || status === 403) {
      return new TerminalError(
        `Azure rejected ${operation}: ${code}: ${message} The identity needs the Network Contributor role (or the permissions the README lists) on the resource group.`,
        { cause: error, reason: 'AzureForbidden' },
      );
    }
    return new TerminalError(`Azure rejected ${operation}: ${code}: ${message}`, { cause: error, reason: 'AzureRejected' });
  }
  if (e.name === 'AbortError') {
    // Aborted without the caller's signal: a socket or request timeout inside the SDK.
    return new RetryableError(`Azure ${operation} timed out: ${message}`, { cause: error, reason: 'AzureUnreachable' });
  }
  if (e.name === 'RestError' || NETWORK.has(e.code ?? '')) {
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
