/**
 * Typed errors for Sluice. Every error a provider or the core raises on purpose is a
 * {@link SluiceError}: either {@link RetryableError} (throttling, 5xx, timeouts, conflicts:
 * the work queue retries with backoff) or {@link TerminalError} (invalid configuration:
 * reported as an event, not retried until the input changes). The original error is kept
 * as `cause`.
 *
 * Guards check `name` as well as `instanceof`, so they work when two copies of this
 * package are loaded (a provider installed with its own copy of the core).
 */

/** Options shared by every Sluice error. */
export interface SluiceErrorOptions {
  /** The underlying error, kept for logs and events. */
  cause?: unknown;
  /** The field, flag or annotation at fault, when there is one. */
  field?: string;
  /** A machine-readable reason, used as the event reason. @default the class name */
  reason?: string;
}

/** Base class of every error Sluice raises on purpose. */
export class SluiceError extends Error {
  override name = 'SluiceError';
  readonly field: string | undefined;
  readonly reason: string;

  constructor(message: string, options: SluiceErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.field = options.field;
    this.reason = options.reason ?? 'SluiceError';
  }
}

/** A failure that may succeed later: throttling, 5xx, timeouts, optimistic-lock conflicts. */
export class RetryableError extends SluiceError {
  override name = 'RetryableError';
  /** A server-suggested delay (Retry-After), in milliseconds. */
  readonly retryAfterMs: number | undefined;

  constructor(message: string, options: SluiceErrorOptions & { retryAfterMs?: number } = {}) {
    super(message, { ...options, reason: options.reason ?? 'Retryable' });
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** A failure that will not go away by retrying: invalid configuration, forbidden, not supported. */
export class TerminalError extends SluiceError {
  override name = 'TerminalError';

  constructor(message: string, options: SluiceErrorOptions = {}) {
    super(message, { ...options, reason: options.reason ?? 'InvalidConfiguration' });
  }
}

function hasName(error: unknown, name: string): boolean {
  return typeof error === 'object' && error !== null && (error as { name?: unknown }).name === name;
}

/** True for a {@link SluiceError} from any copy of this package. */
export function isSluiceError(error: unknown): error is SluiceError {
  return error instanceof SluiceError || hasName(error, 'SluiceError') || isRetryableError(error) || isTerminalError(error);
}

/** True for a {@link RetryableError} from any copy of this package. */
export function isRetryableError(error: unknown): error is RetryableError {
  return error instanceof RetryableError || hasName(error, 'RetryableError');
}

/** True for a {@link TerminalError} from any copy of this package. */
export function isTerminalError(error: unknown): error is TerminalError {
  return error instanceof TerminalError || hasName(error, 'TerminalError') || hasName(error, 'BackendRejectedError');
}

/** The message of any thrown value, for logs and events. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

/** One backend a provider refused, and why, in one sentence. */
export interface RejectedBackend {
  /** The backend's identity: {@link backendKey} (Service port, IP, port, pod UID). */
  readonly key: string;
  readonly message: string;
}

/**
 * The provider refused some backends of an update (an address it will not take, a quota) and
 * changed nothing. The core takes those backends out of the set, reports each on its own pod,
 * and sends the rest again, so one bad backend never holds back the others.
 */
export class BackendRejectedError extends TerminalError {
  override name = 'BackendRejectedError';
  readonly rejected: readonly RejectedBackend[];

  constructor(message: string, rejected: readonly RejectedBackend[], options: SluiceErrorOptions = {}) {
    super(message, { ...options, reason: options.reason ?? 'BackendRejected' });
    this.rejected = rejected;
  }
}

/** True for a {@link BackendRejectedError} from any copy of this package. */
export function isBackendRejectedError(error: unknown): error is BackendRejectedError {
  return error instanceof BackendRejectedError || (hasName(error, 'BackendRejectedError') && Array.isArray((error as { rejected?: unknown }).rejected));
}
