/**
 * What happened to the requests from one source address: counts by outcome and the latency of
 * the successful ones. Pure bookkeeping.
 */

/** Latency percentiles in milliseconds (nearest rank), from request start to the response's end. */
export interface LatencySummary {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

/** The outcome of the requests sent from one source. `sent` is the sum of the other four counts. */
export interface SourceResult {
  readonly sent: number;
  /** HTTP 200 with a body (the answering pod's name). */
  readonly succeeded: number;
  /** Connection refused, or reset (or closed) before a complete response: ECONNREFUSED, ECONNRESET, EPIPE. */
  readonly refused: number;
  /** No complete response within `requestTimeoutMs` (or ETIMEDOUT from the kernel). */
  readonly timedOut: number;
  /** Anything else: another HTTP status, an empty body, EHOSTUNREACH, EADDRNOTAVAIL... */
  readonly otherErrors: number;
  /** Of the successful requests; undefined when none succeeded. */
  readonly latencyMs: LatencySummary | undefined;
}

/** How a failure cause (an error code, `TIMEOUT`, `HTTP 503`...) is counted. */
export type FailureKind = 'refused' | 'timedOut' | 'otherErrors';

const REFUSED = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE']);
const TIMED_OUT = new Set(['TIMEOUT', 'ETIMEDOUT']);

export function failureKind(cause: string): FailureKind {
  if (REFUSED.has(cause)) return 'refused';
  if (TIMED_OUT.has(cause)) return 'timedOut';
  return 'otherErrors';
}

/** Nearest-rank percentiles of `samples` (any order), to the microsecond; undefined when empty. */
export function summariseLatency(samples: readonly number[]): LatencySummary | undefined {
  if (samples.length === 0) return undefined;
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => Math.round(sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)]! * 1000) / 1000;
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: at(1) };
}

/** Counts for one source while a load runs. */
export class SourceTally {
  sent = 0;
  succeeded = 0;
  readonly #failures: Record<FailureKind, number> = { refused: 0, timedOut: 0, otherErrors: 0 };
  readonly #latencies: number[] = [];

  succeed(latencyMs: number): void {
    this.succeeded += 1;
    this.#latencies.push(latencyMs);
  }

  fail(cause: string): void {
    this.#failures[failureKind(cause)] += 1;
  }

  result(): SourceResult {
    return { sent: this.sent, succeeded: this.succeeded, ...this.#failures, latencyMs: summariseLatency(this.#latencies) };
  }
}
