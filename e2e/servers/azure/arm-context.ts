/**
 * What an ARM route handler receives and returns. Handlers are plain functions over the
 * shared context: they read and write the store, start asynchronous operations and throw
 * {@link ArmError}s; the server does authentication, api-version, faults and logging around them.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { ArmStore } from './arm-store.ts';
import type { BackendHealth } from './backend-health.ts';
import type { Preconditions } from './etags.ts';
import type { FaultRegistry } from './faults.ts';
import type { Json } from './json.ts';
import type { OperationTracker } from './operations.ts';

export interface ArmRequest {
  readonly method: string;
  /** The URL path, decoded per segment into `params`. */
  readonly path: string;
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  /** The parsed JSON body; undefined when there was none. */
  readonly body: Json | undefined;
  readonly apiVersion: string;
  /** The route's operation name (Swagger operationId). */
  readonly operation: string;
}

export interface ArmResponse {
  readonly status: number;
  readonly body?: Json;
  readonly headers?: Readonly<Record<string, string>>;
}

/** How the health query decides per-address health when no test override applies. */
export type HealthCheckMode = 'probe' | 'tcp-backend-port';

export interface ArmContext {
  readonly store: ArmStore;
  readonly operations: OperationTracker;
  readonly faults: FaultRegistry;
  readonly health: BackendHealth;
  /** `https://127.0.0.1:<port>`, the base of operation URLs and next links. */
  readonly endpoint: string;
  readonly pageSize: number;
  readonly retryAfterSeconds: number;
  readonly healthCheck: HealthCheckMode;
}

export type ArmHandler = (req: ArmRequest, ctx: ArmContext) => ArmResponse | Promise<ArmResponse>;

/** The conditional headers of a request. */
export function preconditionsOf(req: ArmRequest): Preconditions {
  const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v.join(',') : v);
  return { ifMatch: one(req.headers['if-match']), ifNoneMatch: one(req.headers['if-none-match']) };
}
