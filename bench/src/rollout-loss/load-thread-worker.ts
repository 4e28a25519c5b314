/**
 * Worker side of load-thread.ts: runs `startLoad` with the options in `workerData`, reports
 * its counters every 200 ms, and on `stop` posts the totals.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { type LoadOptions, startLoad } from '@sluice/testbed/load';
import type { LoadThreadMessage } from './load-thread.ts';

const port = parentPort;
if (!port) throw new Error('load-thread-worker.ts runs only as a worker thread');
const post = (m: LoadThreadMessage) => port.postMessage(m);

try {
  const load = startLoad(workerData as LoadOptions);
  const progress = setInterval(() => post({ kind: 'progress', requests: load.requests, failed: load.failed }), 200);
  port.once('message', () => {
    clearInterval(progress);
    load.stop().then(
      (result) => {
        post({ kind: 'result', result });
        port.close();
      },
      (error: unknown) => post({ kind: 'error', message: String(error) }),
    );
  });
} catch (error) {
  post({ kind: 'error', message: (error as Error).message });
}
