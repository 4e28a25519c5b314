/**
 * A load generated from inside a network namespace (a client network standing for the
 * internet, say): the same {@link startLoad}, run by a small worker process started in the
 * namespace (load-worker.ts), which reports back as JSON lines. A client address of the
 * namespace can then be a source, which the host cannot bind.
 */
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { NetnsRunner } from '../harness/netns-exec.ts';
import type { LoadResult, RunningLoad } from './load.ts';
import { type LoadOptions, loadSettings } from './load-options.ts';

/** The worker program. */
const WORKER_PATH = fileURLToPath(new URL(import.meta.url.endsWith('.ts') ? './load-worker.ts' : './load-worker.js', import.meta.url));

/** Stderr lines kept for the error when the worker fails. */
const STDERR_LINES = 5;

/**
 * Starts the load inside `network`'s namespace and returns at once, like {@link startLoad}
 * (whose option errors it throws here, before anything starts). `requests` and `failed` follow
 * the worker's reports, so they lag by up to 100 ms. `stop()` asks the worker to stop and
 * resolves with its result; it rejects, with the worker's last stderr lines, when the worker
 * exits without one, or reports none within `requestTimeoutMs` + 10 s of being asked (it is
 * then killed). The worker dies with this process.
 */
export function startLoadInNamespace(network: NetnsRunner, options: LoadOptions): RunningLoad {
  const settings = loadSettings(options);
  const child: ChildProcess = network.exec([process.execPath, '--disable-warning=ExperimentalWarning', WORKER_PATH], {
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', SLUICE_LOAD_OPTIONS: JSON.stringify(options) },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let requests = 0;
  let failed = 0;
  const stderr: string[] = [];
  createInterface({ input: child.stderr! }).on('line', (line) => {
    stderr.push(line);
    if (stderr.length > STDERR_LINES) stderr.shift();
  });
  const result = new Promise<LoadResult>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let message: { progress?: { requests: number; failed: number }; result?: LoadResult };
      try {
        message = JSON.parse(line);
      } catch {
        return; // not a report
      }
      if (message.progress) ({ requests, failed } = message.progress);
      if (message.result) {
        ({ requests, failed } = message.result);
        resolve(message.result);
      }
    });
    // 'close' comes after the last stdout line has been read, so a result printed just before
    // exiting is never mistaken for its absence.
    child.once('close', (code, signal) => {
      reject(new Error(`load worker in namespace ${network.namespace} exited (${signal ?? `code ${code}`}) without a result: ${stderr.join(' | ') || 'no stderr'}`));
    });
    child.once('error', reject);
  });
  // A worker failing before anyone stops the load must not crash the test process.
  result.catch(() => {});
  // The parent writing to a worker that has died must not either.
  child.stdin!.on('error', () => {});

  let stopping: Promise<LoadResult> | undefined;
  return {
    get requests() {
      return requests;
    },
    get failed() {
      return failed;
    },
    stop() {
      stopping ??= (async () => {
        child.stdin!.end('stop\n');
        const deadline = setTimeout(() => child.kill('SIGKILL'), settings.requestTimeoutMs + 10_000);
        try {
          return await result;
        } finally {
          clearTimeout(deadline);
        }
      })();
      return stopping;
    },
  };
}
