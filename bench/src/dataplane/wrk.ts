/** Runs wrk (Debian's package) against a URL and reads its summary through wrk-report.lua. */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface WrkRun {
  readonly connections: number;
  readonly threads: number;
  readonly durationSeconds: number;
  /**
   * Send `Connection: close`, so every request opens a new connection (the backend answers
   * and closes; wrk reconnects). wrk's latency starts when the request is written, so it
   * leaves out the client's own connect but keeps the load balancer's connect to the backend.
   * @default false
   */
  readonly newConnections?: boolean;
}

export interface WrkResult {
  readonly requests: number;
  readonly durationUs: number;
  readonly bytes: number;
  readonly errors: {
    readonly connect: number;
    readonly read: number;
    readonly write: number;
    readonly status: number;
    readonly timeout: number;
  };
  readonly latencyUs: { readonly mean: number; readonly p50: number; readonly p90: number; readonly p99: number; readonly max: number };
  /** requests / duration. */
  readonly requestsPerSecond: number;
  /** Socket errors plus non-2xx/3xx answers. */
  readonly errorCount: number;
  /** The command line, for the results file. */
  readonly command: string;
}

const script = fileURLToPath(new URL('./wrk-report.lua', import.meta.url));

/** The wrk arguments for one run against `url`. */
export function wrkArgs(url: string, options: WrkRun): string[] {
  return [
    `--threads=${options.threads}`,
    `--connections=${options.connections}`,
    `--duration=${options.durationSeconds}s`,
    '--timeout=5s',
    '--latency',
    ...(options.newConnections ? ['--header=Connection: close'] : []),
    `--script=${script}`,
    url,
  ];
}

export async function runWrk(url: string, options: WrkRun): Promise<WrkResult> {
  const args = wrkArgs(url, options);
  const { stdout } = await run('wrk', args, { timeout: (options.durationSeconds + 30) * 1000 }).catch((error: unknown) => {
    throw new Error(`wrk failed (${(error as Error).message}); run tools/bench-tools.sh if it is missing`, { cause: error });
  });
  const line = stdout.split('\n').find((l) => l.startsWith('WRK_JSON '));
  if (line === undefined) throw new Error(`wrk printed no summary line:\n${stdout}`);
  const parsed = JSON.parse(line.slice('WRK_JSON '.length)) as Omit<WrkResult, 'requestsPerSecond' | 'errorCount' | 'command'>;
  const e = parsed.errors;
  return {
    ...parsed,
    requestsPerSecond: parsed.requests / (parsed.durationUs / 1e6),
    errorCount: e.connect + e.read + e.write + e.status + e.timeout,
    command: ['wrk', ...args.map((a) => (a.startsWith('--script=') ? '--script=bench/src/dataplane/wrk-report.lua' : a.includes(' ') ? `'${a}'` : a))].join(' '),
  };
}
