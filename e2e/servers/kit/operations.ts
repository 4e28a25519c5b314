/**
 * Long-running operations, vendor-neutral: a write starts an operation that stays running
 * until its time is up (and, if asked, until it has been polled enough times), then ends
 * succeeded or failed. Each vendor keeps its own wire shape in `data` (ARM's async-operation
 * spec, GCE's Operation resource) and renders it from the state here.
 *
 * Completion is decided lazily against the injected clock: {@link OperationStore.settle} ends
 * every operation that is due, in the order they started, calling `onEnd` once for each at
 * that moment. Reads settle first, so what a client sees is consistent with the state a poll
 * would report.
 */
import { type Now, realSleep, type Sleep } from './time.ts';

export type OperationState = 'running' | 'succeeded' | 'failed';

/** When operations end. */
export interface OperationTiming {
  /**
   * Milliseconds after its start before an operation can end.
   * @default 0
   */
  readonly delayMs?: number;
  /**
   * Status polls that see an operation running before it can end; undefined when only time
   * counts. With 0, the first poll sees it ended.
   * @default undefined
   */
  readonly pollsBeforeDone?: number;
}

export interface TrackedOperation<T> {
  readonly id: string;
  readonly data: T;
  readonly startedAt: number;
  /** Status polls counted while it was running. */
  readonly polls: number;
  readonly state: OperationState;
  readonly endedAt: number | undefined;
}

export interface StartOptions {
  /** End `failed` instead of `succeeded`. @default false */
  readonly fail?: boolean;
  /** The operation cannot end before this settles (a result computed in the background). */
  readonly ready?: PromiseLike<unknown>;
}

export interface OperationStoreOptions<T> {
  readonly now: Now;
  /** @default { delayMs: 0 } */
  readonly timing?: OperationTiming;
  /** Applies an operation's outcome; called once, when it ends, after `state` is set. */
  readonly onEnd?: (op: TrackedOperation<T>) => void;
  /** Sleeper for {@link OperationStore.wait}. @default realSleep */
  readonly sleep?: Sleep;
}

interface Entry<T> {
  readonly id: string;
  readonly data: T;
  readonly startedAt: number;
  polls: number;
  state: OperationState;
  endedAt: number | undefined;
  readonly fail: boolean;
  ready: boolean;
}

export class OperationStore<T> {
  readonly #ops = new Map<string, Entry<T>>();
  readonly #now: Now;
  readonly #delayMs: number;
  readonly #pollsBeforeDone: number | undefined;
  readonly #onEnd: ((op: TrackedOperation<T>) => void) | undefined;
  readonly #sleep: Sleep;
  readonly #closed = new AbortController();

  constructor(options: OperationStoreOptions<T>) {
    this.#now = options.now;
    this.#delayMs = options.timing?.delayMs ?? 0;
    this.#pollsBeforeDone = options.timing?.pollsBeforeDone;
    this.#onEnd = options.onEnd;
    this.#sleep = options.sleep ?? realSleep;
  }

  /** Records a running operation under `id` (unique; the vendor chooses its form). */
  start(id: string, data: T, options: StartOptions = {}): TrackedOperation<T> {
    if (this.#ops.has(id)) throw new Error(`operation ${id} already exists`);
    const op: Entry<T> = { id, data, startedAt: this.#now(), polls: 0, state: 'running', endedAt: undefined, fail: options.fail ?? false, ready: options.ready === undefined };
    if (options.ready !== undefined) {
      const markReady = () => {
        op.ready = true;
      };
      options.ready.then(markReady, markReady);
    }
    this.#ops.set(id, op);
    return op;
  }

  /** The operation as it is now (settled first), without counting a poll. */
  get(id: string): TrackedOperation<T> | undefined {
    this.settle();
    return this.#ops.get(id);
  }

  /** Counts a status poll of `id` (while it runs), then settles; returns the operation. */
  poll(id: string): TrackedOperation<T> | undefined {
    const op = this.#ops.get(id);
    if (op?.state === 'running') op.polls += 1;
    this.settle();
    return op;
  }

  /**
   * Counts a poll, then, when only time keeps it running, waits until it is due or
   * `timeoutMs` passed (whichever is first); answers it as it is then. The wait ends early
   * when the store closes.
   */
  async wait(id: string, timeoutMs: number): Promise<TrackedOperation<T> | undefined> {
    const op = this.poll(id);
    if (op === undefined || op.state !== 'running' || !this.#pollsDone(op as Entry<T>)) return op;
    const remaining = op.startedAt + this.#delayMs - this.#now();
    await this.#sleep(Math.min(Math.max(remaining, 0), timeoutMs), this.#closed.signal);
    this.settle();
    return op;
  }

  /** Ends every operation that is due, in the order they started. */
  settle(): void {
    const now = this.#now();
    for (const op of this.#ops.values()) {
      if (op.state !== 'running' || !op.ready || !this.#pollsDone(op) || now - op.startedAt < this.#delayMs) continue;
      op.state = op.fail ? 'failed' : 'succeeded';
      op.endedAt = now;
      this.#onEnd?.(op);
    }
  }

  /** All operations, oldest first (settled first). */
  list(): TrackedOperation<T>[] {
    this.settle();
    return [...this.#ops.values()];
  }

  /** Operations still running (settled first). */
  running(): TrackedOperation<T>[] {
    return this.list().filter((o) => o.state === 'running');
  }

  /** Releases blocked `wait` calls (server shutdown). */
  close(): void {
    this.#closed.abort();
  }

  #pollsDone(op: Entry<T>): boolean {
    return this.#pollsBeforeDone === undefined || op.polls > this.#pollsBeforeDone;
  }
}
