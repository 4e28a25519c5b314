/**
 * The e2e load generator on a worker thread of its own. The bench process also runs the
 * kubelet simulator (pod starts, status patches, watches); on the main thread, its bursts of
 * work would delay the load's slots and lower the rate actually offered. On its own thread the
 * load keeps its schedule. Same options and results as `startLoad`.
 */
import { Worker } from 'node:worker_threads';
import type { LoadOptions, LoadResult, RunningLoad } from '@sluice/testbed/load';

/** Messages from the worker (see load-thread-worker.ts). */
export type LoadThreadMessage =
  | { readonly kind: 'progress'; readonly requests: number; readonly failed: number }
  | { readonly kind: 'result'; readonly result: LoadResult }
  | { readonly kind: 'error'; readonly message: string };

const WORKER = new URL('./load-thread-worker.ts', import.meta.url);

export function startLoadThread(options: LoadOptions): RunningLoad {
  const worker = new Worker(WORKER, { workerData: options });
  let requests = 0;
  let failed = 0;
  let failure: Error | undefined;
  const result = new Promise<LoadResult>((resolve, reject) => {
    worker.on('message', (m: LoadThreadMessage) => {
      if (m.kind === 'progress') {
        requests = m.requests;
        failed = m.failed;
      } else if (m.kind === 'result') resolve(m.result);
      else reject((failure = new Error(`load thread: ${m.message}`)));
    });
    worker.once('error', (e) => reject((failure = new Error('load thread failed', { cause: e }))));
    worker.once('exit', (code) => reject((failure ??= new Error(`load thread exited (${code}) before its result`))));
  });
  result.catch(() => {});
  return {
    get requests() {
      return requests;
    },
    get failed() {
      return failed;
    },
    async stop() {
      if (!failure) worker.postMessage('stop');
      try {
        return await result;
      } finally {
        await worker.terminate();
      }
    },
  };
}
