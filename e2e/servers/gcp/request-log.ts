/** Every request the server answered: method, path, REST method name and status. */

export interface LoggedRequest {
  readonly method: string;
  /** Path without the query string. */
  readonly path: string;
  /** REST method name, e.g. `compute.networkEndpointGroups.attachNetworkEndpoints`; `unknown` when unrouted. */
  readonly restMethod: string;
  readonly status: number;
  /** Milliseconds since the epoch, from the server's clock. */
  readonly at: number;
}

export interface RequestLog {
  /** All requests so far, oldest first (a copy). */
  entries(): LoggedRequest[];
  /** How many requests match a REST method name or a predicate (all when omitted). */
  count(filter?: string | ((r: LoggedRequest) => boolean)): number;
  /** Counts by REST method name. */
  byMethod(): Record<string, number>;
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
    const f = typeof filter === 'string' ? (r: LoggedRequest) => r.restMethod === filter : filter;
    return this.#entries.filter(f).length;
  }

  byMethod(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const e of this.#entries) out[e.restMethod] = (out[e.restMethod] ?? 0) + 1;
    return out;
  }

  clear(): void {
    this.#entries.length = 0;
  }
}
