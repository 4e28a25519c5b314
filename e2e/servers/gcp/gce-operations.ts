/**
 * Compute operations in GCE's wire shape, over the kit's operation store. Every mutating call
 * answers with an Operation that starts `RUNNING` and reaches `DONE` once it has been polled
 * enough times and enough time has passed ({@link OperationTiming}). The change itself is
 * applied when the call is accepted (validation errors are synchronous HTTP errors, as on
 * GCE); an operation armed to fail applies nothing and ends `DONE` with an `error`.
 *
 * `wait` counts as a poll and then blocks until the operation is done or the wait deadline
 * passes (GCE's is about 2 minutes), answering the operation as it is then.
 */
import { OperationStore, type TrackedOperation } from '../kit/operations.ts';
import type { Now } from '../kit/time.ts';
import type { ComputeStore } from './compute-store.ts';
import { notFound } from './gce-errors.ts';
import type { JsonObject } from './json.ts';
import { type ResourceRef, type ScopeKind, scopeLink, SELF_LINK_BASE } from './resource-refs.ts';

export interface OperationTiming {
  /**
   * Polls (`get` or `wait`) that see the operation before it is `DONE`; 0 makes the first poll see it done.
   * @default 0
   */
  readonly pollsBeforeDone?: number;
  /**
   * Milliseconds after creation before it can be `DONE`.
   * @default 0
   */
  readonly delayMs?: number;
  /**
   * Longest a `wait` call blocks.
   * @default 120000
   */
  readonly waitTimeoutMs?: number;
}

/** What `faults.failOperation` arms: the error the operation ends with. */
export interface OperationError {
  /** @default 'INTERNAL_ERROR' */
  readonly code?: string;
  /** @default 'Internal error. Please try again or contact Google Support.' */
  readonly message?: string;
  /** @default 500 */
  readonly httpStatus?: number;
}

interface GceOperation {
  readonly body: JsonObject;
  readonly error: OperationError | undefined;
}

const HTTP_MESSAGES: Record<number, string> = { 400: 'BAD REQUEST', 404: 'NOT FOUND', 409: 'CONFLICT', 500: 'INTERNAL SERVER ERROR', 503: 'SERVICE UNAVAILABLE' };

function key(ref: Pick<ResourceRef, 'project' | 'scopeKind' | 'scope' | 'name'>): string {
  const scope = ref.scopeKind === 'global' ? 'global' : `${ref.scopeKind}/${ref.scope}`;
  return `projects/${ref.project}/${scope}/operations/${ref.name}`;
}

export class Operations {
  readonly #store: ComputeStore;
  readonly #now: Now;
  readonly #waitTimeoutMs: number;
  readonly #ops: OperationStore<GceOperation>;
  #seq = 0;

  constructor(store: ComputeStore, now: Now, timing: OperationTiming = {}) {
    this.#store = store;
    this.#now = now;
    this.#waitTimeoutMs = timing.waitTimeoutMs ?? 120_000;
    this.#ops = new OperationStore<GceOperation>({
      now,
      timing: { pollsBeforeDone: timing.pollsBeforeDone ?? 0, delayMs: timing.delayMs ?? 0 },
      onEnd: (op) => this.#markDone(op),
    });
  }

  /**
   * Records a new operation on `target` in the target's scope (zonal, regional or global).
   * `error` makes it end failed.
   */
  start(target: ResourceRef, operationType: string, targetId: string | undefined, error?: OperationError): JsonObject {
    const now = this.#now();
    this.#seq += 1;
    const name = `operation-${now}-${this.#seq.toString(16).padStart(6, '0')}${Math.floor(Math.random() * 0xffffff).toString(16)}`;
    const ref: ResourceRef = { project: target.project, scopeKind: target.scopeKind, scope: target.scope, collection: 'operations', name };
    const scopePart = ref.scopeKind === 'global' ? 'global' : `${ref.scopeKind}/${ref.scope}`;
    const body: JsonObject = {
      kind: 'compute#operation',
      id: this.#store.newId(),
      name,
      operationType,
      targetLink: `${SELF_LINK_BASE}projects/${target.project}/${target.scopeKind === 'global' ? 'global' : `${target.scopeKind}/${target.scope}`}/${target.collection}/${target.name}`,
      ...(targetId === undefined ? {} : { targetId }),
      status: 'RUNNING',
      user: `sluice-e2e@${target.project}.iam.gserviceaccount.com`,
      progress: 0,
      insertTime: this.#store.timestamp(),
      startTime: this.#store.timestamp(),
      selfLink: `${SELF_LINK_BASE}projects/${ref.project}/${scopePart}/operations/${name}`,
      ...(ref.scopeKind === 'global' ? {} : { [ref.scopeKind === 'zones' ? 'zone' : 'region']: scopeLink(ref.project, ref.scopeKind, ref.scope) }),
    };
    this.#ops.start(key(ref), { body, error }, { fail: error !== undefined });
    return structuredClone(body);
  }

  /** `operations.get`: counts a poll and answers the current state. */
  get(project: string, scopeKind: ScopeKind, scope: string, name: string): JsonObject {
    const id = key({ project, scopeKind, scope, name });
    const op = this.#ops.poll(id);
    if (op === undefined) throw notFound(id);
    return structuredClone(op.data.body);
  }

  /** `operations.wait`: counts a poll, then blocks until done or the deadline. */
  async wait(project: string, scopeKind: ScopeKind, scope: string, name: string): Promise<JsonObject> {
    const id = key({ project, scopeKind, scope, name });
    const op = await this.#ops.wait(id, this.#waitTimeoutMs);
    if (op === undefined) throw notFound(id);
    return structuredClone(op.data.body);
  }

  /** All operations so far (as a poll would see them, without counting as one). */
  list(): JsonObject[] {
    return this.#ops.list().map((op) => structuredClone(op.data.body));
  }

  /** Releases blocked `wait` calls (server shutdown). */
  close(): void {
    this.#ops.close();
  }

  #markDone(op: TrackedOperation<GceOperation>): void {
    const body = op.data.body;
    body.status = 'DONE';
    body.progress = 100;
    body.endTime = this.#store.timestamp();
    const error = op.data.error;
    if (error === undefined) return;
    const status = error.httpStatus ?? 500;
    body.error = { errors: [{ code: error.code ?? 'INTERNAL_ERROR', message: error.message ?? 'Internal error. Please try again or contact Google Support.' }] };
    body.httpErrorStatusCode = status;
    body.httpErrorMessage = HTTP_MESSAGES[status] ?? 'ERROR';
  }
}
