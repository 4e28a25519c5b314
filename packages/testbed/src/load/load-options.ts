/** The options of a load and their defaults, filled in and checked in one place. */
import { type LoadSource, normaliseSources } from './sources.ts';

export interface LoadOptions {
  readonly host: string;
  readonly port: number;
  /** Workers opening a new connection per request. @default 3 */
  readonly freshWorkers?: number;
  /** Workers on persistent connections. @default 3 */
  readonly keepAliveWorkers?: number;
  /** Retire a persistent connection after this long. @default 1000 */
  readonly maxConnectionAgeMs?: number;
  /** Pause between a worker's requests (when `ratePerSecond` is not set). @default 5 */
  readonly pauseMs?: number;
  /**
   * Paced instead of closed-loop: request starts per second across all workers, shared evenly
   * (so `freshWorkers : keepAliveWorkers` is also the mix of requests). Each worker keeps a
   * fixed schedule of slots instead of pausing `pauseMs`: a worker behind schedule (a slow
   * response, a late timer) starts its next requests at once until it has caught up, but
   * forgives a lag above `maxLagMs` (a request timeout, say) rather than bursting to repay it.
   * So the rate reached can still fall short of the one offered: compare `requests / durationMs`.
   * @default undefined (closed loop with `pauseMs`)
   */
  readonly ratePerSecond?: number;
  /** With `ratePerSecond`: the most a worker catches up on after falling behind schedule. @default 1000 */
  readonly maxLagMs?: number;
  /** A request with no complete response by then is a failure. @default 5000 */
  readonly requestTimeoutMs?: number;
  /** Hard caps. @default 500_000 requests, 600_000 ms */
  readonly maxRequests?: number;
  readonly maxDurationMs?: number;
  /**
   * Local addresses the connections come from (`localAddress`), each new connection taking the
   * next by smooth weighted round robin: every fresh request picks one, every persistent
   * connection one for its lifetime (so weights split connections, not requests, there). Each
   * must be an address of the machine, or of the namespace for a load started with
   * `startLoadInNamespace`, and of the family of `host`. Results are also kept per source.
   * @default [] (the kernel chooses; results under `DEFAULT_SOURCE`)
   */
  readonly sources?: readonly (string | LoadSource)[];
}

/** Every option filled in, the sources normalised. */
export type LoadSettings = Required<Omit<LoadOptions, 'ratePerSecond' | 'sources'>> & {
  readonly ratePerSecond: number | undefined;
  readonly sources: readonly Required<LoadSource>[];
};

/** Fills in the defaults and checks the values; throws a RangeError naming the field, the value and what is allowed. */
export function loadSettings(options: LoadOptions): LoadSettings {
  const o = {
    freshWorkers: 3,
    keepAliveWorkers: 3,
    maxConnectionAgeMs: 1000,
    pauseMs: 5,
    maxLagMs: 1000,
    requestTimeoutMs: 5000,
    maxRequests: 500_000,
    maxDurationMs: 600_000,
    ...options,
    ratePerSecond: options.ratePerSecond,
    sources: normaliseSources(options.sources ?? [], options.host),
  };
  const workerCount = o.freshWorkers + o.keepAliveWorkers;
  if (o.ratePerSecond !== undefined && !(Number.isFinite(o.ratePerSecond) && o.ratePerSecond > 0)) {
    throw new RangeError(`ratePerSecond ${o.ratePerSecond} is invalid: allowed is a finite number above 0.`);
  }
  if (!(Number.isFinite(o.maxLagMs) && o.maxLagMs >= 0)) {
    throw new RangeError(`maxLagMs ${o.maxLagMs} is invalid: allowed is a finite number of 0 or more.`);
  }
  if (o.ratePerSecond !== undefined && workerCount === 0) {
    throw new RangeError('ratePerSecond needs at least one worker: freshWorkers and keepAliveWorkers are both 0.');
  }
  return o;
}
