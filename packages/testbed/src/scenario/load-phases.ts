/**
 * Splits a run of load (one or several consecutive load generators) into named phases, so a
 * test can say in which step requests failed, and prints them as a table.
 */
import type { RunningLoad } from '../load/load.ts';

export interface PhaseRow {
  readonly phase: string;
  readonly requests: number;
  readonly failed: number;
  /** What the test saw at the end of the phase (LB backends, gate...). */
  readonly note: string;
}

export class LoadPhases {
  readonly rows: PhaseRow[] = [];
  #load: RunningLoad | undefined;
  #requests = 0;
  #failed = 0;

  /** Counts the phases that follow against `load` (a new generator after a pause). */
  follow(load: RunningLoad): void {
    this.#load = load;
    this.#requests = load.requests;
    this.#failed = load.failed;
  }

  /** Ends the current phase: the requests and failures since the previous end (or `follow`). */
  end(phase: string, note = ''): PhaseRow {
    const load = this.#load;
    const row = { phase, requests: load ? load.requests - this.#requests : 0, failed: load ? load.failed - this.#failed : 0, note };
    if (load) {
      this.#requests = load.requests;
      this.#failed = load.failed;
    }
    this.rows.push(row);
    return row;
  }

  get failed(): number {
    return this.rows.reduce((n, r) => n + r.failed, 0);
  }

  get requests(): number {
    return this.rows.reduce((n, r) => n + r.requests, 0);
  }

  format(title: string): string {
    const width = Math.max(28, ...this.rows.map((r) => r.phase.length));
    return [
      title,
      `  ${'phase'.padEnd(width)} ${'requests'.padStart(8)} ${'failed'.padStart(6)}  LB and gate at the end of the phase`,
      ...this.rows.map((r) => `  ${r.phase.padEnd(width)} ${String(r.requests).padStart(8)} ${String(r.failed).padStart(6)}  ${r.note}`),
    ].join('\n');
  }
}
