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
 * only to the address given (the test passes a loopback LB address, or one of a namespace the
 * test created). With `sources`, connections come from several local addresses in turn, and
 * the results say what happened per source.
 */
import http from 'node:http';
import { type LoadOptions, loadSettings } from './load-options.ts';
import { type SourceResult, SourceTally } from './source-results.ts';
import { DEFAULT_SOURCE, sourcePicker } from './sources.ts';

export type { LoadOptions } from './load-options.ts';

export interface LoadResult {
  readonly requests: number;
  readonly failed: number;
  /** Failures by cause (error code or HTTP status). */
  readonly failures: Readonly<Record<string, number>>;
  /** Successful responses per answering pod. */
  readonly byPod: Readonly<Record<string, number>>;
  /** Per source address (every one listed, even if never picked), or under `DEFAULT_SOURCE` without sources. */
  readonly bySource: Readonly<Record<string, SourceResult>>;
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

/** Starts the workers at once; throws a RangeError naming the option when one is invalid. */
export function startLoad(options: LoadOptions): RunningLoad {
  const o = loadSettings(options);
  const workerCount = o.freshWorkers + o.keepAliveWorkers;
  const nextSource = sourcePicker(o.sources);
  const tallies = new Map<string, SourceTally>(
    (o.sources.length > 0 ? o.sources.map((s) => s.address) : [DEFAULT_SOURCE]).map((address) => [address, new SourceTally()]),
  );
  const started = performance.now();
  const failures: Record<string, number> = {};
  const byPod: Record<string, number> = {};
  let requests = 0;
  let failed = 0;
  let stopped = false;
  const running = () => !stopped && requests < o.maxRequests && performance.now() - started < o.maxDurationMs;

  /** One request; settles once, whatever mix of request and response errors follows. */
  const once = (agent: http.Agent | false, source: string | undefined) =>
    new Promise<void>((resolve) => {
      requests += 1;
      const tally = tallies.get(source ?? DEFAULT_SOURCE)!;
      tally.sent += 1;
      const began = performance.now();
      let settled = false;
      const fail = (why: string) => {
        if (settled) return;
        settled = true;
        failed += 1;
        failures[why] = (failures[why] ?? 0) + 1;
        tally.fail(why);
        resolve();
      };
      const req = http.request(
        {
          host: o.host,
          port: o.port,
          path: '/',
          agent,
          localAddress: source,
          headers: agent === false ? { connection: 'close' } : {},
          timeout: o.requestTimeoutMs,
        },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (body += c));
          res.on('error', (e: NodeJS.ErrnoException) => fail(e.code ?? e.message));
          res.on('end', () => {
            if (res.statusCode !== 200) return fail(`HTTP ${res.statusCode}`);
            const pod = body.trim();
            if (!pod) return fail('empty body');
            if (settled) return;
            settled = true;
            byPod[pod] = (byPod[pod] ?? 0) + 1;
            tally.succeed(performance.now() - began);
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
      await once(false, nextSource());
      await pace.pause();
    }
  };
  const keepAlive = async (pace: ReturnType<typeof pacer>) => {
    await pace.start();
    while (running()) {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      const source = nextSource();
      const born = performance.now();
      while (running() && performance.now() - born < o.maxConnectionAgeMs) {
        await once(agent, source);
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
      const bySource = Object.fromEntries([...tallies].map(([address, tally]) => [address, tally.result()]));
      return { requests, failed, failures, byPod, bySource, durationMs: Math.round(performance.now() - started) };
    },
  };
}
