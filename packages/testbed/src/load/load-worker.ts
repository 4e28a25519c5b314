/**
 * The program `startLoadInNamespace` runs inside a network namespace (`node load-worker.ts`):
 * one {@link startLoad} with the options in `SLUICE_LOAD_OPTIONS` (JSON), reporting on stdout
 * as JSON lines:
 * - `{"progress":{"requests":N,"failed":N}}` every {@link PROGRESS_INTERVAL_MS} ms;
 * - `{"result":LoadResult}` once stopped, after which it exits.
 * It stops when a line `stop` arrives on stdin or stdin ends (the parent went away).
 */
import { createInterface } from 'node:readline';
import { startLoad } from './load.ts';
import type { LoadOptions } from './load-options.ts';

/** How often the worker reports its running totals. */
const PROGRESS_INTERVAL_MS = 100;

const load = startLoad(JSON.parse(process.env['SLUICE_LOAD_OPTIONS'] ?? '{}') as LoadOptions);
const report = (message: object, then?: () => void) => process.stdout.write(`${JSON.stringify(message)}\n`, then);
const progress = setInterval(() => report({ progress: { requests: load.requests, failed: load.failed } }), PROGRESS_INTERVAL_MS);

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  clearInterval(progress);
  const result = await load.stop();
  report({ result }, () => process.exit(0));
}

const input = createInterface({ input: process.stdin });
input.on('line', (line) => {
  if (line.trim() === 'stop') void stop();
});
input.on('close', () => void stop());
