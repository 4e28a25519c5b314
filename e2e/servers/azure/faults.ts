/**
 * Fault injection for ARM requests. Faults are armed by a test and consumed by the next
 * matching requests (or operations), oldest first:
 * - {@link Faults.throttleNext}: 429 TooManyRequests with Retry-After (the SDK's retry policy waits and retries);
 * - {@link Faults.failNext}: a 5xx InternalServerError / ServiceUnavailable…;
 * - {@link Faults.failOperation}: the next asynchronous operations end `Failed` with an error.
 * Identity (token) requests are never faulted.
 */
import type { ArmErrorDetail } from './arm-errors.ts';

/** Which requests a fault applies to; every given field must match. */
export interface FaultMatch {
  /** Operation name (the Swagger operationId, e.g. `LoadBalancerBackendAddressPools_CreateOrUpdate`), or a pattern. */
  readonly operation?: string | RegExp;
  /** HTTP method, e.g. `PUT`. */
  readonly method?: string;
}

export interface OperationFault {
  /**
   * The error the operation ends with.
   * @default { code: 'InternalServerError', message: 'An error occurred.' }
   */
  readonly error?: ArmErrorDetail;
}

interface Armed<T> {
  remaining: number;
  readonly match: FaultMatch;
  readonly value: T;
}

export type RequestFault = { readonly kind: 'throttle'; readonly retryAfterSeconds: number } | { readonly kind: 'fail'; readonly status: number };

export interface Faults {
  /** The next `count` matching requests get 429 with `Retry-After: retryAfterSeconds` (default 1). */
  throttleNext(count: number, retryAfterSeconds?: number, match?: FaultMatch): void;
  /** The next `count` matching requests get `status` (a 5xx, default 500). */
  failNext(count: number, status?: number, match?: FaultMatch): void;
  /** The next `count` matching asynchronous operations end Failed. */
  failOperation(count?: number, fault?: OperationFault, match?: FaultMatch): void;
  /** Disarms everything. */
  clear(): void;
  /** How many faults are still armed (requests + operations). */
  pending(): number;
}

function matches(match: FaultMatch, method: string, operation: string): boolean {
  if (match.method !== undefined && match.method.toUpperCase() !== method.toUpperCase()) return false;
  if (match.operation === undefined) return true;
  return typeof match.operation === 'string' ? match.operation.toLowerCase() === operation.toLowerCase() : match.operation.test(operation);
}

function take<T>(list: Armed<T>[], method: string, operation: string): T | undefined {
  const i = list.findIndex((a) => a.remaining > 0 && matches(a.match, method, operation));
  if (i < 0) return undefined;
  const armed = list[i]!;
  armed.remaining--;
  if (armed.remaining === 0) list.splice(i, 1);
  return armed.value;
}

/** The fault registry; the server consumes it through the two `take` methods. */
export class FaultRegistry implements Faults {
  readonly #requests: Armed<RequestFault>[] = [];
  readonly #operations: Armed<ArmErrorDetail>[] = [];

  throttleNext(count: number, retryAfterSeconds = 1, match: FaultMatch = {}): void {
    if (count > 0) this.#requests.push({ remaining: count, match, value: { kind: 'throttle', retryAfterSeconds } });
  }

  failNext(count: number, status = 500, match: FaultMatch = {}): void {
    if (status < 500 || status > 599) throw new Error(`failNext takes a 5xx status, not ${status}`);
    if (count > 0) this.#requests.push({ remaining: count, match, value: { kind: 'fail', status } });
  }

  failOperation(count = 1, fault: OperationFault = {}, match: FaultMatch = {}): void {
    const error = fault.error ?? { code: 'InternalServerError', message: 'An error occurred.' };
    if (count > 0) this.#operations.push({ remaining: count, match, value: error });
  }

  clear(): void {
    this.#requests.length = 0;
    this.#operations.length = 0;
  }

  pending(): number {
    return [...this.#requests, ...this.#operations].reduce((n, a) => n + a.remaining, 0);
  }

  /** Consumes the request fault for this request, if one is armed. */
  takeRequestFault(method: string, operation: string): RequestFault | undefined {
    return take(this.#requests, method, operation);
  }

  /** Consumes the operation fault for an operation started by this request, if one is armed. */
  takeOperationFault(method: string, operation: string): ArmErrorDetail | undefined {
    return take(this.#operations, method, operation);
  }
}
