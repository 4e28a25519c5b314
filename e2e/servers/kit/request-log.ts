/**
 * Every request a test server answered (or refused to answer), for tests: method, path, the
 * vendor's operation name, the status sent, and the fault or throttle that shaped it. Vendors
 * extend the entry with their own fields (ARM's host and service, AWS's access key).
 */

/** What the kit did to a request instead of (or before) answering it normally. */
export type FaultKind = 'rate-limited' | 'throttle' | 'error' | 'latency' | 'timeout' | 'drop';

export interface LoggedRequest {
  readonly method: string;
  /** Path without the query string. */
  readonly path: string;
  /** The vendor's name for the call (operationId, REST method, action); `Unknown`/`unknown` when unrouted. */
  readonly operation: string;
  /** The status sent; 0 when no answer was sent (a held or dropped request). */
  readonly status: number;
  /** Milliseconds, from the server's clock. */
  readonly at: number;
  /** Set when a rate limit or an injected fault decided the outcome. */
  readonly fault?: FaultKind;
}

export type RequestFilter<E> = string | ((r: E) => boolean);

export interface RequestLog<E extends LoggedRequest = LoggedRequest> {
  /** All requests so far, oldest first (a copy). */
  entries(): E[];
  /** How many requests match: an operation name, or a predicate (all when omitted). */
  count(filter?: RequestFilter<E>): number;
  /** Request counts by operation name. */
  byOperation(): Record<string, number>;
  /**
   * Calls `listener` with every later entry as it is recorded (synchronously, right after the
   * answer was sent); returns the unsubscribe function.
   */
  subscribe(listener: (entry: E) => void): () => void;
  clear(): void;
}

export class RequestRecorder<E extends LoggedRequest = LoggedRequest> implements RequestLog<E> {
  readonly #entries: E[] = [];
  readonly #listeners = new Set<(entry: E) => void>();

  record(entry: E): void {
    this.#entries.push(entry);
    for (const l of [...this.#listeners]) l(entry);
  }

  entries(): E[] {
    return [...this.#entries];
  }

  count(filter?: RequestFilter<E>): number {
    if (filter === undefined) return this.#entries.length;
    const f = typeof filter === 'string' ? (r: E) => r.operation === filter : filter;
    return this.#entries.filter(f).length;
  }

  byOperation(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const e of this.#entries) out[e.operation] = (out[e.operation] ?? 0) + 1;
    return out;
  }

  subscribe(listener: (entry: E) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  clear(): void {
    this.#entries.length = 0;
  }
}
