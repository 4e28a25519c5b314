/**
 * A bounded HTTP load through the load balancer, counting every failed request.
 *
 * Two kinds of client run side by side, as real traffic does:
 * - `fresh`: a new TCP connection per request (Connection: close);
 * - `keepAlive`: persistent connections, each retired after `maxConnectionAgeMs` (as
 *   production clients and proxies do with a max connection lifetime). A drained backend
 *   keeps its open connections, so retiring them is what moves long-lived clients off it.
 *
 * Bounded: it stops at `maxRequests` or `maxDurationMs`, whichever comes first. Traffic goes
 * only to the address given (the test passes a loopback LB address).
 */
import http from 'node:http';

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
}

export interface LoadResult {
  readonly requests: number;
  readonly failed: number;
  /** Failures by cause (error code or HTTP status). */
  readonly failures: Readonly<Record<string, number>>;
  /** Successful responses per answering pod. */
  readonly byPod: Readonly<Record<string, number>>;
  readonly durationMs: number;
}

export interface RunningLoad {
  /** Requests so far (successful or not). */
  readonly requests: number;
  readonly failed: number;
  /** Stops the workers, waits for in-flight requests, and returns the totals. */
  stop(): Promise<LoadResult>;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function startLoad(options: LoadOptions): RunningLoad {
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
  const started = performance.now();
  const failures: Record<string, number> = {};
  const byPod: Record<string, number> = {};
  let requests = 0;
  let failed = 0;
  let stopped = false;
  const running = () => !stopped && requests < o.maxRequests && performance.now() - started < o.maxDurationMs;

  const once = (agent: http.Agent | false) =>
    new Promise<void>((resolve) => {
      requests += 1;
      const fail = (why: string) => {
        failed += 1;
        failures[why] = (failures[why] ?? 0) + 1;
        resolve();
      };
      const req = http.request(
        { host: o.host, port: o.port, path: '/', agent, headers: agent === false ? { connection: 'close' } : {}, timeout: o.requestTimeoutMs },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (body += c));
          res.on('error', (e: NodeJS.ErrnoException) => fail(e.code ?? e.message));
          res.on('end', () => {
            if (res.statusCode !== 200) return fail(`HTTP ${res.statusCode}`);
            const pod = body.trim();
            if (!pod) return fail('empty body');
            byPod[pod] = (byPod[pod] ?? 0) + 1;
            resolve();
          });
        },
      );
      req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
      req.on('error', (e: NodeJS.ErrnoException) => fail(e.code ?? e.message));
      req.end();
    });

  /**
   * When a worker starts and what it does between two requests: at once and `pauseMs`; or,
   * with a rate, its first slot and then its next one. A worker's slots are
   * `workerCount / rate` apart, and workers are staggered by `1 / rate` so that their starts
   * interleave evenly. A slot already past is taken at once; a lag above `maxLagMs` is
   * forgiven down to `maxLagMs`.
   */
  const pacer = (index: number): { start(): Promise<void>; pause(): Promise<void> } => {
    const rate = o.ratePerSecond;
    if (rate === undefined) return { start: async () => {}, pause: () => sleep(o.pauseMs) };
    const interval = (workerCount * 1000) / rate;
    let next = started + (index * 1000) / rate;
    const waitForNext = async () => {
      const now = performance.now();
      if (next > now) await sleep(next - now);
      else next = Math.max(next, now - o.maxLagMs);
    };
    return {
      start: waitForNext,
      pause: () => {
        next += interval;
        return waitForNext();
      },
    };
  };
  const fresh = async (pace: ReturnType<typeof pacer>) => {
    await pace.start();
    while (running()) {
      await once(false);
      await pace.pause();
    }
  };
  const keepAlive = async (pace: ReturnType<typeof pacer>) => {
    await pace.start();
    while (running()) {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      const born = performance.now();
      while (running() && performance.now() - born < o.maxConnectionAgeMs) {
        await once(agent);
        await pace.pause();
      }
      agent.destroy();
    }
  };
  const workers = [
    ...Array.from({ length: o.freshWorkers }, (_, i) => fresh(pacer(i))),
    ...Array.from({ length: o.keepAliveWorkers }, (_, i) => keepAlive(pacer(o.freshWorkers + i))),
  ];

  return {
    get requests() {
      return requests;
    },
    get failed() {
      return failed;
    },
    async stop() {
      stopped = true;
      await Promise.all(workers);
      return { requests, failed, failures, byPod, durationMs: Math.round(performance.now() - started) };
    },
  };
}
