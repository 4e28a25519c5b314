/**
 * ARM's asynchronous operations. A write that ARM runs in the background (PUT and DELETE of
 * network resources, the rule health query, deleting a resource group) answers at once with
 * `Azure-AsyncOperation` and/or `Location`; polling the former gives
 * `{"status":"InProgress"}` until the operation ends `Succeeded` or `Failed`, polling the
 * latter gives 202 until it ends and then the result.
 *
 * Completion is decided lazily against the injected clock: {@link OperationTracker.settle}
 * ends every operation whose time (or number of status polls) is up, applying its effect
 * (provisioning state to Succeeded, the resource removed…) at that moment. Every request
 * and every state read settles first, so what a client sees is always consistent with the
 * operation status it would read.
 */
import { randomUUID } from 'node:crypto';
import type { ArmErrorDetail } from './arm-errors.ts';
import type { Json } from './json.ts';

export type OperationStatus = 'InProgress' | 'Succeeded' | 'Failed';

/** When an operation ends. */
export interface OperationTiming {
  /**
   * Milliseconds an operation stays InProgress.
   * @default 300
   */
  readonly durationMs?: number;
  /**
   * If set, an operation instead stays InProgress for this many status polls (Azure-AsyncOperation
   * or Location GETs) and ends on the next one.
   * @default undefined (time-based)
   */
  readonly polls?: number;
}

export interface OperationSpec {
  readonly subscriptionId: string;
  readonly location: string;
  /** The HTTP method that started it; the Location answer differs for DELETE. */
  readonly method: 'PUT' | 'DELETE' | 'POST' | 'PATCH';
  /** The id of the resource it acts on. */
  readonly resourceId: string;
  /** Namespace whose operation URLs it uses. */
  readonly namespace: 'Microsoft.Network' | 'Microsoft.Resources';
  /** Set when a fault says the operation must fail. */
  readonly failWith?: ArmErrorDetail;
  /** Applies the operation's outcome to the store; called once, when it ends. */
  readonly complete: (outcome: 'Succeeded' | 'Failed', op: AsyncOperation) => void;
  /** For actions whose result is computed in the background: resolves with the result body. */
  readonly result?: Promise<Json>;
  /** For writes: the resource as the final GET of `Location` answers it (undefined once gone). */
  readonly render?: () => Json | undefined;
}

export interface AsyncOperation {
  readonly id: string;
  readonly spec: OperationSpec;
  readonly startedAt: number;
  polls: number;
  status: OperationStatus;
  endedAt: number | undefined;
  /** The action result, once computed. */
  result: Json | undefined;
  resultReady: boolean;
}

export class OperationTracker {
  readonly #ops = new Map<string, AsyncOperation>();
  readonly #now: () => number;
  readonly #durationMs: number;
  readonly #polls: number | undefined;

  constructor(now: () => number, timing: OperationTiming = {}) {
    this.#now = now;
    this.#durationMs = timing.durationMs ?? 300;
    this.#polls = timing.polls;
  }

  start(spec: OperationSpec): AsyncOperation {
    const op: AsyncOperation = {
      id: randomUUID(),
      spec,
      startedAt: this.#now(),
      polls: 0,
      status: 'InProgress',
      endedAt: undefined,
      result: undefined,
      resultReady: spec.result === undefined,
    };
    if (spec.result) {
      spec.result.then(
        (value) => {
          op.result = value;
          op.resultReady = true;
        },
        () => {
          op.resultReady = true;
        },
      );
    }
    this.#ops.set(op.id, op);
    return op;
  }

  get(id: string): AsyncOperation | undefined {
    this.settle();
    return this.#ops.get(id.toLowerCase());
  }

  /** Counts a status poll of `id`, then settles; returns the operation. */
  poll(id: string): AsyncOperation | undefined {
    const op = this.#ops.get(id.toLowerCase());
    if (op && op.status === 'InProgress') op.polls++;
    this.settle();
    return op;
  }

  /** Ends every operation that is due, in the order they started. */
  settle(): void {
    const now = this.#now();
    for (const op of this.#ops.values()) {
      if (op.status !== 'InProgress' || !op.resultReady) continue;
      const due = this.#polls !== undefined ? op.polls > this.#polls : now - op.startedAt >= this.#durationMs;
      if (!due) continue;
      const outcome = op.spec.failWith ? 'Failed' : 'Succeeded';
      op.status = outcome;
      op.endedAt = now;
      op.spec.complete(outcome, op);
    }
  }

  /** How many operations have not ended yet. */
  pending(): number {
    return [...this.#ops.values()].filter((o) => o.status === 'InProgress').length;
  }

  /** Operations still running against a resource id (folded). */
  runningFor(resourceKey: string): AsyncOperation[] {
    return [...this.#ops.values()].filter((o) => o.status === 'InProgress' && o.spec.resourceId.toLowerCase() === resourceKey);
  }
}
