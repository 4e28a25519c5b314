/**
 * Fault injection for the cloud test servers, two ways:
 * - armed: the next N matching requests (or operations) get a fault, oldest armed first;
 * - at a rate: every matching request draws from a seeded random source, so the same seed
 *   faults the same requests on every run.
 * Request faults are a throttle (the vendor's throttling answer), a 5xx error, latency (a
 * delay before the normal answer), a timeout (the request is held, unanswered, until the
 * client gives up) and a drop (the socket is destroyed). Armed faults win over rates.
 * Operation faults make the next matching long-running operations end failed, with a
 * vendor-shaped error `O`. Servers carry out the transport part with fault-transport.ts and
 * render throttles and errors in their own wire shape.
 */
import { seededRandom } from './seeded-random.ts';

/**
 * Which requests a fault applies to: an operation name (case-insensitive) or pattern, or
 * both an operation and an HTTP method. Omitted: every request.
 */
export type FaultMatch = string | RegExp | { readonly operation?: string | RegExp; readonly method?: string };

export type RequestFault =
  | { readonly kind: 'throttle'; readonly retryAfterSeconds: number }
  | { readonly kind: 'error'; readonly status: number }
  | { readonly kind: 'latency'; readonly ms: number }
  /** Held unanswered until the client closes, the server stops, or `holdMs` passes (then the socket is destroyed). */
  | { readonly kind: 'timeout'; readonly holdMs: number }
  | { readonly kind: 'drop' };

/** What happens to one request: a delay first (0: none), then a fault, or the normal answer. */
export interface FaultDecision {
  readonly delayMs: number;
  readonly fault: Exclude<RequestFault, { kind: 'latency' }> | undefined;
}

/** Faults drawn per request; outcome probabilities (throttle, error, timeout, drop) add up to at most 1. */
export interface FaultRates {
  /** @default 1 */
  readonly seed?: number;
  /** @default every request */
  readonly match?: FaultMatch;
  /** Drawn on its own: a delayed request may still get one of the other faults. */
  readonly latency?: { readonly probability: number; readonly ms: number };
  /** @default retryAfterSeconds 1 */
  readonly throttle?: { readonly probability: number; readonly retryAfterSeconds?: number };
  /** @default status: the server's default error status */
  readonly error?: { readonly probability: number; readonly status?: number };
  /** @default holdMs Infinity (until the client gives up) */
  readonly timeout?: { readonly probability: number; readonly holdMs?: number };
  readonly drop?: { readonly probability: number };
}

/** The fault controls a test server hands to tests. */
export interface Faults<O> {
  /** The next `count` matching requests get the vendor's throttling answer (`Retry-After: retryAfterSeconds` where it sends one; default 1). */
  throttleNext(count: number, retryAfterSeconds?: number, match?: FaultMatch): void;
  /** The next `count` matching requests answer `status` (a 5xx; the default is the server's). */
  failNext(count: number, status?: number, match?: FaultMatch): void;
  /** The next `count` matching requests are answered `ms` late. */
  delayNext(count: number, ms: number, match?: FaultMatch): void;
  /** The next `count` matching requests are held unanswered until the client gives up (or `holdMs`, then dropped). */
  timeoutNext(count: number, match?: FaultMatch, holdMs?: number): void;
  /** The next `count` matching requests have their connection destroyed unanswered. */
  dropNext(count: number, match?: FaultMatch): void;
  /** The next `count` matching long-running operations end failed with `value` (the server's default error when omitted). */
  failOperation(count?: number, value?: O, match?: FaultMatch): void;
  /** Faults at a rate from now on (restarting the seeded sequence); undefined stops them. */
  setRates(rates: FaultRates | undefined): void;
  /** Disarms everything and stops rates. */
  clear(): void;
  /** How many armed faults are left (requests + operations). */
  pending(): number;
}

export interface FaultBoxOptions<O> {
  /** Status of `failNext` without one, and of rate errors. @default 500 */
  readonly defaultErrorStatus?: number;
  /** What `failOperation` arms without a value. */
  readonly defaultOperationFault: O;
}

interface Armed<T> {
  remaining: number;
  readonly match: FaultMatch | undefined;
  readonly value: T;
}

function matches(match: FaultMatch | undefined, method: string, operation: string): boolean {
  if (match === undefined) return true;
  const m = typeof match === 'string' || match instanceof RegExp ? { operation: match } : match;
  if (m.method !== undefined && m.method.toUpperCase() !== method.toUpperCase()) return false;
  if (m.operation === undefined) return true;
  return typeof m.operation === 'string' ? m.operation.toLowerCase() === operation.toLowerCase() : m.operation.test(operation);
}

function take<T>(list: Armed<T>[], method: string, operation: string): T | undefined {
  const i = list.findIndex((a) => a.remaining > 0 && matches(a.match, method, operation));
  if (i < 0) return undefined;
  const armed = list[i]!;
  armed.remaining -= 1;
  if (armed.remaining <= 0) list.splice(i, 1);
  return armed.value;
}

function checkProbability(name: string, p: number | undefined): number {
  if (p === undefined) return 0;
  if (!(p >= 0 && p <= 1)) throw new RangeError(`fault rate ${name}.probability must be between 0 and 1, got ${p}`);
  return p;
}

export class FaultBox<O> implements Faults<O> {
  readonly #requests: Armed<RequestFault>[] = [];
  readonly #operations: Armed<O>[] = [];
  readonly #defaultStatus: number;
  readonly #defaultOperation: O;
  #rates: { readonly rates: FaultRates; readonly random: () => number } | undefined;

  constructor(options: FaultBoxOptions<O>) {
    this.#defaultStatus = options.defaultErrorStatus ?? 500;
    this.#defaultOperation = options.defaultOperationFault;
  }

  throttleNext(count: number, retryAfterSeconds = 1, match?: FaultMatch): void {
    this.#arm(count, { kind: 'throttle', retryAfterSeconds }, match);
  }

  failNext(count: number, status = this.#defaultStatus, match?: FaultMatch): void {
    if (status < 500 || status > 599) throw new RangeError(`failNext takes a 5xx status, not ${status}`);
    this.#arm(count, { kind: 'error', status }, match);
  }

  delayNext(count: number, ms: number, match?: FaultMatch): void {
    if (!(ms >= 0)) throw new RangeError(`delayNext takes a delay >= 0 ms, not ${ms}`);
    this.#arm(count, { kind: 'latency', ms }, match);
  }

  timeoutNext(count: number, match?: FaultMatch, holdMs = Number.POSITIVE_INFINITY): void {
    this.#arm(count, { kind: 'timeout', holdMs }, match);
  }

  dropNext(count: number, match?: FaultMatch): void {
    this.#arm(count, { kind: 'drop' }, match);
  }

  failOperation(count = 1, value: O = this.#defaultOperation, match?: FaultMatch): void {
    if (count > 0) this.#operations.push({ remaining: count, match, value });
  }

  setRates(rates: FaultRates | undefined): void {
    if (rates === undefined) {
      this.#rates = undefined;
      return;
    }
    checkProbability('latency', rates.latency?.probability);
    const outcomes = (['throttle', 'error', 'timeout', 'drop'] as const).reduce((sum, k) => sum + checkProbability(k, rates[k]?.probability), 0);
    if (outcomes > 1 + 1e-9) throw new RangeError(`fault rates throttle + error + timeout + drop must add up to at most 1, got ${outcomes}`);
    if (rates.error?.status !== undefined && (rates.error.status < 500 || rates.error.status > 599)) throw new RangeError(`fault rate error.status must be a 5xx, got ${rates.error.status}`);
    this.#rates = { rates, random: seededRandom(rates.seed ?? 1) };
  }

  clear(): void {
    this.#requests.length = 0;
    this.#operations.length = 0;
    this.#rates = undefined;
  }

  pending(): number {
    return [...this.#requests, ...this.#operations].reduce((n, a) => n + a.remaining, 0);
  }

  /** Consumes what happens to this request: an armed fault if one matches, else a draw from the rates. */
  decide(method: string, operation: string): FaultDecision | undefined {
    const armed = take(this.#requests, method, operation);
    if (armed !== undefined) return armed.kind === 'latency' ? { delayMs: armed.ms, fault: undefined } : { delayMs: 0, fault: armed };
    const r = this.#rates;
    if (r === undefined || !matches(r.rates.match, method, operation)) return undefined;
    // Two draws per request whatever the outcome, so one request's fault never shifts another's.
    const latencyDraw = r.random();
    const outcomeDraw = r.random();
    const delayMs = r.rates.latency !== undefined && latencyDraw < r.rates.latency.probability ? r.rates.latency.ms : 0;
    const fault = this.#outcome(r.rates, outcomeDraw);
    return delayMs === 0 && fault === undefined ? undefined : { delayMs, fault };
  }

  /** Consumes the operation fault for an operation this request starts, if one is armed. */
  takeOperationFault(method: string, operation: string): O | undefined {
    return take(this.#operations, method, operation);
  }

  #outcome(rates: FaultRates, draw: number): FaultDecision['fault'] {
    let edge = 0;
    if (rates.throttle && draw < (edge += rates.throttle.probability)) return { kind: 'throttle', retryAfterSeconds: rates.throttle.retryAfterSeconds ?? 1 };
    if (rates.error && draw < (edge += rates.error.probability)) return { kind: 'error', status: rates.error.status ?? this.#defaultStatus };
    if (rates.timeout && draw < (edge += rates.timeout.probability)) return { kind: 'timeout', holdMs: rates.timeout.holdMs ?? Number.POSITIVE_INFINITY };
    if (rates.drop && draw < (edge += rates.drop.probability)) return { kind: 'drop' };
    return undefined;
  }

  #arm(count: number, value: RequestFault, match: FaultMatch | undefined): void {
    if (count > 0) this.#requests.push({ remaining: count, match, value });
  }
}
