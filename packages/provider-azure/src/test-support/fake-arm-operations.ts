/**
 * The fake ARM's asynchronous operations: a write starts one and answers with headers that
 * point at it (`Azure-AsyncOperation`, and `Location` for deletes and the health query); each
 * status poll answers InProgress (or 202) `pollsBeforeDone` times, then Succeeded or Failed,
 * running the operation's effect once.
 */
import { randomUUID } from 'node:crypto';
import { type ArmCall, type ArmReply, type ArmRequest, cloudError, type Json } from './fake-arm-wire.ts';

export interface Operation {
  remaining: number;
  readonly failure?: { code: string; message: string };
  readonly result?: { status: number; body?: Json };
  readonly onDone?: () => void;
  done: boolean;
}

export class FakeOperations {
  readonly #operations = new Map<string, Operation>();
  readonly #subscriptionId: string;
  readonly #location: string;
  readonly #calls: ArmCall[];
  /** InProgress answers an async operation gives before its final status. */
  pollsBeforeDone = 1;

  constructor(subscriptionId: string, location: string, calls: ArmCall[]) {
    this.#subscriptionId = subscriptionId;
    this.#location = location;
    this.#calls = calls;
  }

  /** Starts an async operation and returns the headers that point at it. */
  start(req: ArmRequest, op: Omit<Operation, 'remaining' | 'done'>, location: boolean): Record<string, string> {
    const id = randomUUID();
    this.#operations.set(id, { ...op, remaining: this.pollsBeforeDone, done: false });
    const base = `${req.origin}/subscriptions/${this.#subscriptionId}/providers/Microsoft.Network/locations/${this.#location}`;
    return {
      'azure-asyncoperation': `${base}/operations/${id}?api-version=2024-05-01`,
      ...(location ? { location: `${base}/operationResults/${id}?api-version=2024-05-01` } : {}),
    };
  }

  poll(kind: string, id: string): ArmReply {
    const op = this.#operations.get(id);
    if (!op) return cloudError(404, 'OperationNotFound', `Operation ${id} was not found.`);
    this.#calls.push({ operation: 'operations.get', method: 'GET', name: id, ifMatch: undefined, body: undefined });
    if (!op.done && op.remaining > 0) {
      op.remaining -= 1;
      return kind === 'operations' ? { status: 200, body: { status: 'InProgress' } } : { status: 202 };
    }
    if (!op.done) {
      op.done = true;
      if (!op.failure) op.onDone?.();
    }
    if (kind === 'operations') {
      return op.failure ? { status: 200, body: { status: 'Failed', error: op.failure } } : { status: 200, body: { status: 'Succeeded' } };
    }
    return op.result ? { status: op.result.status, body: op.result.body } : { status: 204 };
  }

}
