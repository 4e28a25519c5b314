/**
 * Compute operations. Every mutating call answers with an Operation that starts `RUNNING`
 * and reaches `DONE` once it has been polled enough times and enough time has passed
 * ({@link OperationTiming}). The change itself is applied when the call is accepted
 * (validation errors are synchronous HTTP errors, as on GCE); an operation armed to fail
 * applies nothing and ends `DONE` with an `error`.
 *
 * `wait` counts as a poll and then blocks until the operation is done or the wait deadline
 * passes (GCE's is about 2 minutes), answering the operation as it is then.
 */
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

export interface OperationError {
  /** @default 'INTERNAL_ERROR' */
  readonly code?: string;
  /** @default 'Internal error. Please try again or contact Google Support.' */
  readonly message?: string;
  /** @default 500 */
  readonly httpStatus?: number;
}

interface OperationRecord {
  readonly ref: ResourceRef;
  readonly body: JsonObject;
  readonly createdAt: number;
  polls: number;
  readonly error: OperationError | undefined;
}

const HTTP_MESSAGES: Record<number, string> = { 400: 'BAD REQUEST', 404: 'NOT FOUND', 409: 'CONFLICT', 500: 'INTERNAL SERVER ERROR', 503: 'SERVICE UNAVAILABLE' };

export class Operations {
  readonly #ops = new Map<string, OperationRecord>();
  readonly #store: ComputeStore;
  readonly #now: () => number;
  readonly #timing: Required<OperationTiming>;
  readonly #timers = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();
  #seq = 0;

  constructor(store: ComputeStore, now: () => number, timing: OperationTiming = {}) {
    this.#store = store;
    this.#now = now;
    this.#timing = { pollsBeforeDone: timing.pollsBeforeDone ?? 0, delayMs: timing.delayMs ?? 0, waitTimeoutMs: timing.waitTimeoutMs ?? 120_000 };
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
    this.#ops.set(key(ref), { ref, body, createdAt: now, polls: 0, error });
    return structuredClone(body);
  }

  /** `operations.get`: counts a poll and answers the current state. */
  get(project: string, scopeKind: ScopeKind, scope: string, name: string): JsonObject {
    const op = this.#find(project, scopeKind, scope, name);
    op.polls += 1;
    return this.#view(op);
  }

  /** `operations.wait`: counts a poll, then blocks until done or the deadline. */
  async wait(project: string, scopeKind: ScopeKind, scope: string, name: string): Promise<JsonObject> {
    const op = this.#find(project, scopeKind, scope, name);
    op.polls += 1;
    if (!this.#isDone(op) && op.polls > this.#timing.pollsBeforeDone) {
      const remaining = op.createdAt + this.#timing.delayMs - this.#now();
      await this.#sleep(Math.min(Math.max(remaining, 0), this.#timing.waitTimeoutMs));
    }
    return this.#view(op);
  }

  /** All operations so far (as a poll would see them, without counting as one). */
  list(): JsonObject[] {
    return [...this.#ops.values()].map((op) => this.#view(op));
  }

  /** Releases blocked `wait` calls (server shutdown). */
  close(): void {
    for (const t of this.#timers) {
      clearTimeout(t.timer);
      t.resolve();
    }
    this.#timers.clear();
  }

  #find(project: string, scopeKind: ScopeKind, scope: string, name: string): OperationRecord {
    const ref: ResourceRef = { project, scopeKind, scope, collection: 'operations', name };
    const op = this.#ops.get(key(ref));
    if (op === undefined) throw notFound(key(ref));
    return op;
  }

  #isDone(op: OperationRecord): boolean {
    return op.polls > this.#timing.pollsBeforeDone && this.#now() >= op.createdAt + this.#timing.delayMs;
  }

  #view(op: OperationRecord): JsonObject {
    if (!this.#isDone(op)) return structuredClone(op.body);
    if (op.body.status !== 'DONE') {
      op.body.status = 'DONE';
      op.body.progress = 100;
      op.body.endTime = this.#store.timestamp();
      if (op.error !== undefined) {
        const status = op.error.httpStatus ?? 500;
        op.body.error = {
          errors: [{ code: op.error.code ?? 'INTERNAL_ERROR', message: op.error.message ?? 'Internal error. Please try again or contact Google Support.' }],
        };
        op.body.httpErrorStatusCode = status;
        op.body.httpErrorMessage = HTTP_MESSAGES[status] ?? 'ERROR';
      }
    }
    return structuredClone(op.body);
  }

  #sleep(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const entry = {
        timer: setTimeout(() => {
          this.#timers.delete(entry);
          resolve();
        }, ms),
        resolve,
      };
      this.#timers.add(entry);
    });
  }
}

function key(ref: ResourceRef): string {
  const scope = ref.scopeKind === 'global' ? 'global' : `${ref.scopeKind}/${ref.scope}`;
  return `projects/${ref.project}/${scope}/operations/${ref.name}`;
}
