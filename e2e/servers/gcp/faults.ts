/**
 * Fault injection, armed by a test and consumed by the next requests (or operations), oldest first:
 * - {@link Faults.rateLimitNext}: 429 `rateLimitExceeded`;
 * - {@link Faults.failNext}: a 5xx `backendError`;
 * - {@link Faults.failOperation}: the next operations end `DONE` with an `error` and change nothing.
 * A `method` filter (REST method name, e.g. `compute.regionBackendServices.patch`, or a RegExp) narrows a fault.
 */
import type { OperationError } from './operations.ts';

export type MethodMatch = string | RegExp | undefined;

export type RequestFault = { readonly kind: 'rateLimit' } | { readonly kind: 'fail'; readonly status: number };

interface Armed<T> {
  remaining: number;
  readonly match: MethodMatch;
  readonly value: T;
}

export interface Faults {
  /** The next `count` matching requests answer 429 `rateLimitExceeded`. */
  rateLimitNext(count: number, method?: MethodMatch): void;
  /** The next `count` matching requests answer `status` (a 5xx; default 503). */
  failNext(count: number, status?: number, method?: MethodMatch): void;
  /** The next `count` matching operations end DONE with `error`. */
  failOperation(count?: number, error?: OperationError, method?: MethodMatch): void;
  clear(): void;
  pending(): number;
}

function matches(match: MethodMatch, method: string): boolean {
  if (match === undefined) return true;
  return typeof match === 'string' ? match === method : match.test(method);
}

function take<T>(list: Armed<T>[], method: string): T | undefined {
  const i = list.findIndex((a) => matches(a.match, method));
  if (i < 0) return undefined;
  const armed = list[i]!;
  armed.remaining -= 1;
  if (armed.remaining <= 0) list.splice(i, 1);
  return armed.value;
}

export class FaultBox implements Faults {
  readonly #requests: Armed<RequestFault>[] = [];
  readonly #operations: Armed<OperationError>[] = [];

  rateLimitNext(count: number, method?: MethodMatch): void {
    if (count > 0) this.#requests.push({ remaining: count, match: method, value: { kind: 'rateLimit' } });
  }

  failNext(count: number, status = 503, method?: MethodMatch): void {
    if (status < 500 || status > 599) throw new RangeError(`failNext status must be a 5xx, got ${status}`);
    if (count > 0) this.#requests.push({ remaining: count, match: method, value: { kind: 'fail', status } });
  }

  failOperation(count = 1, error: OperationError = {}, method?: MethodMatch): void {
    if (count > 0) this.#operations.push({ remaining: count, match: method, value: error });
  }

  clear(): void {
    this.#requests.length = 0;
    this.#operations.length = 0;
  }

  pending(): number {
    return [...this.#requests, ...this.#operations].reduce((n, a) => n + a.remaining, 0);
  }

  takeRequest(method: string): RequestFault | undefined {
    return take(this.#requests, method);
  }

  takeOperation(method: string): OperationError | undefined {
    return take(this.#operations, method);
  }
}
