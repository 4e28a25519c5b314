/**
 * What a reconcile returns, and the one function that maps it onto the work queue.
 * The reconciler never requeues by itself; the queue decides.
 */
import { isRetryableError, isTerminalError } from '../errors.ts';
import type { WorkQueue } from '../queue/work-queue.ts';

export type ReconcileResult =
  /** Converged: nothing to do until something changes (or the periodic resync). */
  | { readonly kind: 'done' }
  /** Converged for now, but look again after `afterMs` (e.g. a readiness gate is waiting). */
  | { readonly kind: 'requeue'; readonly afterMs: number }
  /** Failed in a way that may pass: retry with per-key backoff. */
  | { readonly kind: 'retry'; readonly error: unknown; readonly retryAfterMs?: number }
  /** Failed in a way retrying cannot fix: reported, not retried until the input changes. */
  | { readonly kind: 'terminal'; readonly error: unknown };

export const done: ReconcileResult = { kind: 'done' };

/** Maps a thrown value to a result: terminal errors are terminal, everything else retries. */
export function resultFromError(error: unknown): ReconcileResult {
  if (isTerminalError(error)) return { kind: 'terminal', error };
  const retryAfterMs = isRetryableError(error) ? error.retryAfterMs : undefined;
  return retryAfterMs === undefined ? { kind: 'retry', error } : { kind: 'retry', error, retryAfterMs };
}

/** Applies a result to the queue. Returns the delay chosen, if any. */
export function handleResult(queue: WorkQueue, key: string, result: ReconcileResult): number | undefined {
  switch (result.kind) {
    case 'done':
    case 'terminal':
      queue.forget(key);
      return undefined;
    case 'requeue':
      queue.forget(key);
      queue.addAfter(key, result.afterMs);
      return result.afterMs;
    case 'retry':
      return queue.addRateLimited(key, result.retryAfterMs ?? 0);
  }
}
