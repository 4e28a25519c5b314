/** Timers that fire only when a test says so, selected by their delay: drive health checks and drains step by step. */
import type { TimerHandle, Timers } from '../timers.ts';

export class ManualTimers implements Timers {
  readonly #pending = new Map<number, { readonly ms: number; readonly callback: () => void }>();
  /** Every delay ever requested, in order. */
  readonly requested: number[] = [];
  #next = 1;

  /** How many timers are pending, or only those scheduled with delay `ms`. */
  pending(ms?: number): number {
    return [...this.#pending.values()].filter((t) => ms === undefined || t.ms === ms).length;
  }

  setTimeout(callback: () => void, ms: number): TimerHandle {
    const id = this.#next++;
    this.requested.push(ms);
    this.#pending.set(id, { ms, callback });
    return id;
  }

  clearTimeout(handle: TimerHandle): void {
    this.#pending.delete(handle as number);
  }

  /** Fires the timers pending now with delay `ms` (not those they schedule); returns how many fired. */
  fire(ms: number): number {
    const due = [...this.#pending].filter(([, t]) => t.ms === ms);
    for (const [id] of due) this.#pending.delete(id);
    for (const [, t] of due) t.callback();
    return due.length;
  }
}
