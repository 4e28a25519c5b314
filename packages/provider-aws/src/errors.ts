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
 *
 * What AWS answered is classified by the provider kit (`classifyHttpFailure`) with AWS's
 * codes; only what happens before an answer (network, SDK timeout, credentials, region) is
 * AWS-specific here.
 */
import { errorMessage, RetryableError, SluiceError, TerminalError } from '@sluice/core';
import { type Clock, classifyHttpFailure, networkErrorCode, passThrough, providerClock, type VendorProfile } from '@sluice/core/provider-kit';

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

/** Codes of a resource gone under a call; the SDK's class names add `Exception`. */
const VANISHED = new Set(['LoadBalancerNotFound', 'TargetGroupNotFound', 'ListenerNotFound', 'RuleNotFound'].flatMap((c) => [c, `${c}Exception`]));

/** How AWS names its answers, for the provider kit's classification. */
export const AWS_PROFILE: VendorProfile = { vendor: 'AWS', reasonPrefix: 'Aws', throttlingCodes: THROTTLING, transientCodes: TRANSIENT, vanishedCodes: VANISHED };

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

/**
 * Turns anything a `client.send` threw into a RetryableError or TerminalError. A Retry-After
 * date counts from `clock`.
 */
export function classifyAwsError(operation: string, error: unknown, signal?: AbortSignal, clock: Pick<Clock, 'now'> = providerClock): unknown {
  const settled = passThrough(error, signal);
  if (settled !== undefined) return settled;
  const e = (typeof error === 'object' && error !== null ? error : {}) as SdkErrorShape;
  const code = awsErrorCode(error) ?? 'Error';
  const message = e.message ?? errorMessage(error);
  const status = e.$metadata?.httpStatusCode;

  if (e.$fault !== undefined || status !== undefined) {
    return classifyHttpFailure(
      AWS_PROFILE,
      {
        operation,
        ...(status !== undefined ? { status } : {}),
        code,
        message,
        ...(e.$response?.headers ? { headers: e.$response.headers } : {}),
        cause: error,
        throttling: e.$retryable?.throttling === true,
        serverFault: e.$fault === 'server',
      },
      clock,
    );
  }
  if (e.name === 'AbortError') {
    // Aborted without the caller's signal: a socket or request timeout inside the SDK.
    return new RetryableError(`AWS ${operation} timed out: ${message}`, { cause: error, reason: 'AwsUnreachable' });
  }
  const unreachable = networkErrorCode(error) ?? (TRANSIENT.has(e.name ?? '') ? e.name : undefined);
  if (unreachable !== undefined) {
    return new RetryableError(`AWS ${operation} could not reach AWS: ${unreachable}: ${message}`, { cause: error, reason: 'AwsUnreachable' });
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
