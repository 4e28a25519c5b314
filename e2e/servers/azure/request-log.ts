/**
 * Every request the server answered, for tests: method, path, the operation it was routed
 * to (Swagger operationId for ARM, `Entra_*` for identity), and the status sent.
 */

export interface LoggedRequest {
  readonly method: string;
  /** The Host header: `127.0.0.1:<port>`, or `login.microsoftonline.com` for discovery through the proxy. */
  readonly host: string;
  /** Path without the query string. */
  readonly path: string;
  /** e.g. `LoadBalancers_CreateOrUpdate`, `AsyncOperation_Get`, `Entra_Token`; `Unknown` when unrouted. */
  readonly operation: string;
  readonly status: number;
  readonly service: 'arm' | 'entra';
  /** Milliseconds since the epoch (from the server's clock). */
  readonly at: number;
}

export interface RequestLog {
  /** All requests so far, oldest first (a copy). */
  entries(): LoggedRequest[];
  /** How many requests match: an operation name, or a predicate. */
  count(filter?: string | ((r: LoggedRequest) => boolean)): number;
  /** Request counts by operation name. */
  byOperation(): Record<string, number>;
  clear(): void;
}

export class RequestRecorder implements RequestLog {
  readonly #entries: LoggedRequest[] = [];

  record(entry: LoggedRequest): void {
    this.#entries.push(entry);
  }

  entries(): LoggedRequest[] {
    return [...this.#entries];
  }

  count(filter?: string | ((r: LoggedRequest) => boolean)): number {
    if (filter === undefined) return this.#entries.length;
    const f = typeof filter === 'string' ? (r: LoggedRequest) => r.operation === filter : filter;
    return this.#entries.filter(f).length;
  }

  byOperation(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const e of this.#entries) out[e.operation] = (out[e.operation] ?? 0) + 1;
    return out;
  }

  clear(): void {
    this.#entries.length = 0;
  }
}
