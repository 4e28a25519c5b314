/**
 * A work queue of string keys with the guarantees a level-based controller needs:
 * - dedup: a key added many times before a worker takes it is processed once;
 * - one in flight per key: a key added while it is being processed is held back and
 *   handed out again only after `done(key)`, so two workers never reconcile one Service;
 * - delayed adds keep only the earliest pending deadline per key;
 * - per-key exponential backoff with jitter and a cap (`addRateLimited`, `forget`).
 * Time comes from an injected {@link Clock}.
 */
import { Backoff, type BackoffOptions } from './backoff.ts';
import { type Clock, systemClock } from './clock.ts';

export interface WorkQueueOptions {
  /** @default systemClock */
  readonly clock?: Clock;
  /** Backoff for addRateLimited. @default base 200 ms, cap 60 s, jitter 0.5 */
  readonly backoff?: BackoffOptions;
  /** Called with the time a key waited in the queue, for metrics. */
  readonly onDequeue?: (key: string, waitedMs: number) => void;
}

export class WorkQueue {
  readonly #clock: Clock;
  readonly #backoff: Backoff;
  readonly #onDequeue: ((key: string, waitedMs: number) => void) | undefined;
  /** Keys waiting to be handed out, in order. */
  readonly #order: string[] = [];
  /** Keys that need processing (queued, or re-added while in flight), with when they were added. */
  readonly #dirty = new Map<string, number>();
  readonly #processing = new Set<string>();
  readonly #delayed = new Map<string, { at: number; cancel: () => void }>();
  #waiters: ((key: string | undefined) => void)[] = [];
  #shutDown = false;

  constructor(options: WorkQueueOptions = {}) {
    this.#clock = options.clock ?? systemClock;
    this.#backoff = new Backoff(options.backoff);
    this.#onDequeue = options.onDequeue;
  }

  /** Marks `key` as needing processing now. */
  add(key: string): void {
    if (this.#shutDown || this.#dirty.has(key)) return;
    this.#dirty.set(key, this.#clock.now());
    if (this.#processing.has(key)) return; // handed out again by done()
    this.#push(key);
  }

  /** Adds `key` after `ms`; an earlier pending deadline for the key wins. */
  addAfter(key: string, ms: number): void {
    if (this.#shutDown) return;
    if (ms <= 0) {
      this.add(key);
      return;
    }
    const at = this.#clock.now() + ms;
    const pending = this.#delayed.get(key);
    if (pending && pending.at <= at) return;
    pending?.cancel();
    const cancel = this.#clock.setTimer(() => {
      this.#delayed.delete(key);
      this.add(key);
    }, ms);
    this.#delayed.set(key, { at, cancel });
  }

  /** Adds `key` after its next backoff delay; returns the delay chosen. */
  addRateLimited(key: string, minimumMs = 0): number {
    const delay = Math.max(minimumMs, this.#backoff.next(key));
    this.addAfter(key, delay);
    return delay;
  }

  /** Clears `key`'s backoff history (call after a successful reconcile). */
  forget(key: string): void {
    this.#backoff.forget(key);
  }

  /** Failures recorded for `key` since it last succeeded. */
  failures(key: string): number {
    return this.#backoff.failures(key);
  }

  /**
   * The next key to process; resolves `undefined` once the queue is shut down or the
   * signal aborts. The caller must call `done(key)` when finished with it.
   */
  get(signal?: AbortSignal): Promise<string | undefined> {
    const key = this.#take();
    if (key !== undefined || this.#shutDown) return Promise.resolve(key);
    return new Promise((resolve) => {
      const onAbort = () => {
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        resolve(undefined);
      };
      const waiter = (k: string | undefined) => {
        signal?.removeEventListener('abort', onAbort);
        resolve(k);
      };
      if (signal?.aborted) return resolve(undefined);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiters.push(waiter);
    });
  }

  /** Ends processing of `key`; if it was re-added meanwhile, it is queued again. */
  done(key: string): void {
    this.#processing.delete(key);
    if (this.#dirty.has(key)) this.#push(key);
  }

  /** Keys handed out and not yet done. */
  get processingCount(): number {
    return this.#processing.size;
  }

  /** Keys waiting to be handed out. */
  get length(): number {
    return this.#order.length;
  }

  /** Stops handing out keys and cancels delayed adds; waiting `get` calls resolve undefined. */
  shutDown(): void {
    this.#shutDown = true;
    for (const { cancel } of this.#delayed.values()) cancel();
    this.#delayed.clear();
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w(undefined);
  }

  #push(key: string): void {
    const waiter = this.#waiters.shift();
    if (waiter) {
      this.#markProcessing(key);
      waiter(key);
    } else {
      this.#order.push(key);
    }
  }

  #take(): string | undefined {
    const key = this.#order.shift();
    if (key !== undefined) this.#markProcessing(key);
    return key;
  }

  #markProcessing(key: string): void {
    const addedAt = this.#dirty.get(key) ?? this.#clock.now();
    this.#dirty.delete(key);
    this.#processing.add(key);
    this.#onDequeue?.(key, this.#clock.now() - addedAt);
  }
}
