/**
 * Classifies what the AWS SDK throws into Sluice's two kinds of error, keeping the SDK
 * error as `cause`:
 * - retryable: throttling, 5xx, network failures and timeouts, and a resource still in use
 *   (a target group a just-deleted listener released a moment ago);
 * - retryable too: a resource that vanished under a call (LoadBalancerNotFound,
 *   TargetGroupNotFound, ListenerNotFound): nothing is wrong with the input, and the next
 *   reconcile looks again;
 * - terminal: everything AWS rejected as a client error (validation, access, quotas,
 *   missing certificate...), with the AWS code and message, and missing credentials or
 *   region.
 * An abort is not an error of AWS: the caller's signal reason is rethrown as is.
 */
import { errorMessage, RetryableError, SluiceError, TerminalError } from '@sluice/core';

const THROTTLING = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'TooManyRequestsException',
  'SlowDown',
  'PriorRequestNotComplete',
  'EC2ThrottledException',
  'BandwidthLimitExceeded',
]);

const TRANSIENT = new Set([
  'ResourceInUse',
  'ResourceInUseException',
  'InternalFailure',
  'InternalError',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'RequestTimeout',
  'RequestTimeoutException',
  'RequestExpired',
  'IDPCommunicationError',
  'TimeoutError',
]);

const VANISHED = new Set(['LoadBalancerNotFound', 'TargetGroupNotFound', 'ListenerNotFound', 'RuleNotFound']);

const NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED', 'UND_ERR_SOCKET']);

interface SdkErrorShape {
  name?: string;
  Code?: string;
  code?: string;
  message?: string;
  $fault?: 'client' | 'server';
  $metadata?: { httpStatusCode?: number; requestId?: string; attempts?: number };
  $response?: { headers?: Record<string, string> };
  $retryable?: { throttling?: boolean };
}

/** The AWS error code as it came over the wire (`LoadBalancerNotFound`), else the SDK name. */
export function awsErrorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const e = error as SdkErrorShape;
  return e.Code ?? e.name;
}

/**
 * True when the error (or, for a classified error, its cause) is AWS answering with one of
 * `codes`, e.g. `LoadBalancerNotFound` (the SDK's class name adds `Exception`).
 */
export function isNotFound(error: unknown, ...codes: readonly string[]): boolean {
  const sdk = error instanceof SluiceError ? error.cause : error;
  if (typeof sdk !== 'object' || sdk === null) return false;
  const code = awsErrorCode(sdk);
  const name = (sdk as SdkErrorShape).name;
  return codes.some((c) => c === code || `${c}Exception` === code || c === name || `${c}Exception` === name);
}

/** Turns anything a `client.send` threw into a RetryableError or TerminalError. */
export function classifyAwsError(operation: string, error: unknown, signal?: AbortSignal): unknown {
  if (signal?.aborted) return signal.reason;
  if (error instanceof SluiceError) return error;
  const e = (typeof error === 'object' && error !== null ? error : {}) as SdkErrorShape;
  const code = awsErrorCode(error) ?? 'Error';
  const message = e.message ?? errorMessage(error);
  const status = e.$metadata?.httpStatusCode;
  const isServiceError = e.$fault !== undefined || status !== undefined;

  if (isServiceError) {
    const retryAfterMs = retryAfter(e.$response?.headers);
    const retryOptions = { cause: error, reason: 'AwsRetryable', ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
    if (THROTTLING.has(code) || e.$retryable?.throttling === true || status === 429) {
      return new RetryableError(`AWS throttled ${operation}: ${code}: ${message}`, { ...retryOptions, reason: 'AwsThrottled' });
    }
    if (VANISHED.has(code.replace(/Exception$/, ''))) {
      return new RetryableError(`AWS ${operation} found the resource gone, will look again: ${code}: ${message}`, { ...retryOptions, reason: 'AwsNotFound' });
    }
    if (TRANSIENT.has(code) || e.$fault === 'server' || (status !== undefined && status >= 500)) {
      return new RetryableError(`AWS ${operation} failed, will retry: ${code}: ${message}`, retryOptions);
    }
    return new TerminalError(`AWS rejected ${operation}: ${code}: ${message}`, { cause: error, reason: 'AwsRejected' });
  }
  const sysCode = e.code ?? (error as { cause?: { code?: string } })?.cause?.code;
  if (e.name === 'AbortError') {
    // Aborted without the caller's signal: a socket or request timeout inside the SDK.
    return new RetryableError(`AWS ${operation} timed out: ${message}`, { cause: error, reason: 'AwsUnreachable' });
  }
  if ((sysCode !== undefined && NETWORK.has(sysCode)) || TRANSIENT.has(e.name ?? '')) {
    return new RetryableError(`AWS ${operation} could not reach AWS: ${sysCode ?? e.name}: ${message}`, { cause: error, reason: 'AwsUnreachable' });
  }
  if (e.name === 'CredentialsProviderError') {
    return new TerminalError(`AWS ${operation} has no credentials: ${message} Provide them through the SDK default chain (environment, shared config, web identity, container or instance role).`, {
      cause: error,
      reason: 'AwsCredentials',
    });
  }
  if (/region is missing/i.test(message)) {
    return new TerminalError(`AWS ${operation} has no region: set AWS_REGION or the provider's region option.`, { cause: error, reason: 'AwsRegion' });
  }
  return new RetryableError(`AWS ${operation} failed: ${message}`, { cause: error, reason: 'AwsRetryable' });
}

/** Milliseconds from a Retry-After header (seconds or an HTTP date), when one was sent. */
function retryAfter(headers: Record<string, string> | undefined): number | undefined {
  if (!headers) return undefined;
  const value = Object.entries(headers).find(([k]) => k.toLowerCase() === 'retry-after')?.[1];
  if (value === undefined) return undefined;
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Math.round(Number(value) * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}
