/**
 * Typed errors of the data plane. Every error it raises on purpose is a
 * {@link DataPlaneError}; the subclass says what went wrong and the control API maps it to
 * an HTTP status (and the client maps it back), so in-process and remote callers catch the
 * same classes. `cause` is always kept.
 *
 * Guards check `name` as well as `instanceof`, so they work across two copies of this
 * package (a caller bundling its own copy of the client).
 */

export interface DataPlaneErrorOptions {
  /** The underlying error. */
  readonly cause?: unknown;
  /** The field at fault (`healthCheck.intervalMs`, `targets[2].ip`), when there is one. */
  readonly field?: string;
}

/** Base class of every error the data plane raises on purpose. */
export class DataPlaneError extends Error {
  override name = 'DataPlaneError';
  readonly field: string | undefined;

  constructor(message: string, options: DataPlaneErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.field = options.field;
  }
}

/** A spec or request that can never work as written: fix the input. Control API status 400. */
export class InvalidSpecError extends DataPlaneError {
  override name = 'InvalidSpecError';
}

/** The named listener, target group or rule does not exist. Control API status 404. */
export class NotFoundError extends DataPlaneError {
  override name = 'NotFoundError';
}

/** The request conflicts with what is programmed (a target group still used by a listener). Status 409. */
export class ConflictError extends DataPlaneError {
  override name = 'ConflictError';
}

/**
 * A listener could not bind its address and port. `code` is the socket error code
 * (EADDRINUSE, EACCES, EADDRNOTAVAIL). Status 409: the host's state, not the request, is at fault.
 */
export class ListenError extends DataPlaneError {
  override name = 'ListenError';
  readonly code: string | undefined;

  constructor(message: string, options: DataPlaneErrorOptions & { readonly code?: string } = {}) {
    super(message, options);
    this.code = options.code;
  }
}

/** The control API could not be reached or answered outside the protocol (client side only). */
export class ControlApiError extends DataPlaneError {
  override name = 'ControlApiError';
  /** The HTTP status, when a response arrived. */
  readonly status: number | undefined;

  constructor(message: string, options: DataPlaneErrorOptions & { readonly status?: number } = {}) {
    super(message, options);
    this.status = options.status;
  }
}

const NAMES = ['DataPlaneError', 'InvalidSpecError', 'NotFoundError', 'ConflictError', 'ListenError', 'ControlApiError'];

function hasName(error: unknown, name: string): boolean {
  return typeof error === 'object' && error !== null && (error as { name?: unknown }).name === name;
}

/** True for any {@link DataPlaneError} from any copy of this package. */
export function isDataPlaneError(error: unknown): error is DataPlaneError {
  return error instanceof DataPlaneError || NAMES.some((name) => hasName(error, name));
}

/** True for an {@link InvalidSpecError} from any copy of this package. */
export function isInvalidSpecError(error: unknown): error is InvalidSpecError {
  return error instanceof InvalidSpecError || hasName(error, 'InvalidSpecError');
}

/** True for a {@link NotFoundError} from any copy of this package. */
export function isNotFoundError(error: unknown): error is NotFoundError {
  return error instanceof NotFoundError || hasName(error, 'NotFoundError');
}

/** True for a {@link ConflictError} from any copy of this package. */
export function isConflictError(error: unknown): error is ConflictError {
  return error instanceof ConflictError || hasName(error, 'ConflictError');
}

/** True for a {@link ListenError} from any copy of this package. */
export function isListenError(error: unknown): error is ListenError {
  return error instanceof ListenError || hasName(error, 'ListenError');
}

/** True for a {@link ControlApiError} from any copy of this package. */
export function isControlApiError(error: unknown): error is ControlApiError {
  return error instanceof ControlApiError || hasName(error, 'ControlApiError');
}

/** The message of any thrown value. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
