/**
 * Vendor-sized batches: a list of changes split into calls of at most the vendor's per-call
 * limit, run with bounded concurrency. A failed batch fails only its own items; the others
 * still run (unless the caller asks to stop at the first failure, for calls whose order
 * matters), and the result says which items went through, which failed and why, and which
 * were never tried, so a provider can report each item or rethrow one error.
 */

/** Splits `items` into consecutive chunks of at most `size` items, in order. */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`batch size must be a whole number of at least 1, got ${size}`);
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export interface BatchOptions {
  /** The most items one call may carry (the vendor's limit). */
  readonly size: number;
  /** Batches in flight at once. @default 1 */
  readonly concurrency?: number;
  /**
   * Start no batch after one failed (those not started are `skipped`). For steps whose order
   * matters, e.g. registrations that must all be in before anything is deregistered.
   * @default false
   */
  readonly stopOnFailure?: boolean;
  /** Once aborted, no batch starts, and the run rejects with the signal's reason. */
  readonly signal?: AbortSignal;
}

/** One batch that failed: its items and the error its call threw. */
export interface BatchFailure<T> {
  readonly items: readonly T[];
  readonly error: unknown;
}

/** What happened to every item of a run. */
export interface BatchResult<T> {
  /** Items of the batches that succeeded, in item order. */
  readonly succeeded: readonly T[];
  /** The batches that failed, in batch order. */
  readonly failed: readonly BatchFailure<T>[];
  /** Items of batches never started (after a failure, with `stopOnFailure`), in item order. */
  readonly skipped: readonly T[];
}

/**
 * Runs `call` once per batch of `items`, at most `concurrency` at a time, batches started in
 * order. A batch's failure is recorded against its items and does not stop the others (see
 * {@link BatchOptions.stopOnFailure}). Rejects only with the signal's reason once it aborts,
 * after the batches in flight have settled, so no call outlives the run.
 */
export async function runBatches<T>(
  items: readonly T[],
  options: BatchOptions,
  call: (batch: readonly T[], index: number) => Promise<void>,
): Promise<BatchResult<T>> {
  const concurrency = options.concurrency ?? 1;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError(`concurrency must be a whole number of at least 1, got ${concurrency}`);
  const batches = chunk(items, options.size);
  const outcome: ('ok' | 'skipped' | { error: unknown })[] = batches.map(() => 'skipped');
  let next = 0;
  let stopped = false;
  const lane = async (): Promise<void> => {
    while (next < batches.length && !stopped && !options.signal?.aborted) {
      const index = next++;
      try {
        await call(batches[index] as T[], index);
        outcome[index] = 'ok';
      } catch (error) {
        outcome[index] = { error };
        if (options.stopOnFailure) stopped = true;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, batches.length) }, lane));
  options.signal?.throwIfAborted();
  const succeeded: T[] = [];
  const failed: BatchFailure<T>[] = [];
  const skipped: T[] = [];
  batches.forEach((batch, i) => {
    const o = outcome[i];
    if (o === 'ok') succeeded.push(...batch);
    else if (o === 'skipped') skipped.push(...batch);
    else if (o !== undefined) failed.push({ items: batch, error: o.error });
  });
  return { succeeded, failed, skipped };
}

/** Throws the error of the first failed batch, if any: for callers that report one error per step. */
export function throwFirstFailure<T>(result: BatchResult<T>): void {
  const first = result.failed[0];
  if (first) throw first.error;
}
