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
  /** Pause between a worker's requests. @default 5 */
  readonly pauseMs?: number;
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

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function startLoad(options: LoadOptions): RunningLoad {
  const o = {
    freshWorkers: 3,
    keepAliveWorkers: 3,
    maxConnectionAgeMs: 1000,
    pauseMs: 5,
    requestTimeoutMs: 5000,
    maxRequests: 500_000,
    maxDurationMs: 600_000,
    ...options,
  };
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

  const fresh = async () => {
    while (running()) {
      await once(false);
      await sleep(o.pauseMs);
    }
  };
  const keepAlive = async () => {
    while (running()) {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      const born = performance.now();
      while (running() && performance.now() - born < o.maxConnectionAgeMs) {
        await once(agent);
        await sleep(o.pauseMs);
      }
      agent.destroy();
    }
  };
  const workers = [...Array.from({ length: o.freshWorkers }, fresh), ...Array.from({ length: o.keepAliveWorkers }, keepAlive)];

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
