/**
 * ARM's asynchronous operations over the kit's operation store. A write that ARM runs in the
 * background (PUT and DELETE of network resources, the rule health query, deleting a resource
 * group) answers at once with `Azure-AsyncOperation` and/or `Location` (see lro.ts); polling
 * the former gives `{"status":"InProgress"}` until the operation ends `Succeeded` or
 * `Failed`, polling the latter gives 202 until it ends and then the result.
 *
 * The store settles operations lazily against the injected clock and applies each one's
 * effect (provisioning state to Succeeded, the resource removed…) through its spec's
 * `complete` when it ends, so what a client reads agrees with the status it would poll.
 */
import { randomUUID } from 'node:crypto';
import { OperationStore, type TrackedOperation } from '../kit/operations.ts';
import type { Now } from '../kit/time.ts';
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

/** What `faults.failOperation` arms. */
export interface OperationFault {
  /**
   * The error the operation ends with.
   * @default { code: 'InternalServerError', message: 'An error occurred.' }
   */
  readonly error?: ArmErrorDetail;
}

export const DEFAULT_OPERATION_ERROR: ArmErrorDetail = { code: 'InternalServerError', message: 'An error occurred.' };

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

export interface ArmOperationData {
  readonly spec: OperationSpec;
  /** The action result, once computed. */
  result: Json | undefined;
}

export type AsyncOperation = TrackedOperation<ArmOperationData>;
export type ArmOperations = OperationStore<ArmOperationData>;

const STATUS = { running: 'InProgress', succeeded: 'Succeeded', failed: 'Failed' } as const;

/** The status ARM reports for `op`. */
export function statusOf(op: AsyncOperation): OperationStatus {
  return STATUS[op.state];
}

export function createArmOperations(now: Now, timing: OperationTiming = {}): ArmOperations {
  return new OperationStore<ArmOperationData>({
    now,
    timing: timing.polls !== undefined ? { pollsBeforeDone: timing.polls } : { delayMs: timing.durationMs ?? 300 },
    onEnd: (op) => op.data.spec.complete(op.state === 'failed' ? 'Failed' : 'Succeeded', op),
  });
}

/** Starts an operation under a new id; it fails when the spec carries `failWith`. */
export function startOperation(operations: ArmOperations, spec: OperationSpec): AsyncOperation {
  const data: ArmOperationData = { spec, result: undefined };
  const ready = spec.result?.then((value) => {
    data.result = value;
  });
  return operations.start(randomUUID(), data, { fail: spec.failWith !== undefined, ...(ready ? { ready } : {}) });
}

/** An operation by the id a client sends back (ARM ids are case-insensitive). */
export function pollOperation(operations: ArmOperations, id: string): AsyncOperation | undefined {
  return operations.poll(id.toLowerCase());
}

/** Operations still running against a resource id (folded). */
export function runningFor(operations: ArmOperations, resourceKey: string): AsyncOperation[] {
  return operations.running().filter((o) => o.data.spec.resourceId.toLowerCase() === resourceKey);
}
