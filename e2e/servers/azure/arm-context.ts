/**
 * What an ARM route handler receives and returns. Handlers are plain functions over the
 * shared context: they read and write the store, start asynchronous operations and throw
 * {@link ArmError}s; the server does authentication, api-version, faults and logging around them.
 */

import type { IncomingHttpHeaders } from 'node:http';
import type { FaultBox } from '../kit/faults.ts';
import { decodePageToken, pageAt } from '../kit/paging.ts';
import { type Route as KitRoute, route as kitRoute } from '../kit/router.ts';
import { invalidRequestFormat } from './arm-errors.ts';
import type { ArmOperations, OperationFault } from './arm-operations.ts';
import type { ArmStore } from './arm-store.ts';
import type { BackendHealth } from './backend-health.ts';
import type { Preconditions } from './etags.ts';
import type { Json, JsonObject } from './json.ts';
import type { RolePermission } from './permissions.ts';
import type { SlbDataPlane } from './slb-dataplane.ts';

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
  /** The calling principal (the token's appid). */
  readonly principal?: string;
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
  readonly operations: ArmOperations;
  readonly faults: FaultBox<OperationFault>;
  readonly health: BackendHealth;
  /** `https://127.0.0.1:<port>`, the base of operation URLs and next links. */
  readonly endpoint: string;
  readonly pageSize: number;
  readonly retryAfterSeconds: number;
  readonly healthCheck: HealthCheckMode;
  /** The twin's data plane, when it runs: rule health comes from its probes. */
  readonly dataPlane?: SlbDataPlane | undefined;
  /** Regions (lower case) where the rule-health API is not available. */
  readonly ruleHealthUnavailableIn?: readonly string[];
  /** The role definitions assigned to the calling principal (permissions.ts). */
  readonly callerRoles: () => readonly RolePermission[];
}

export type ArmHandler = (req: ArmRequest, ctx: ArmContext) => ArmResponse | Promise<ArmResponse>;

/** An ARM route: a Swagger path with `:param` segments, named by its operationId. */
export type Route = KitRoute<ArmHandler>;

/** Declares an ARM route; `{ implemented: false }` for known operations the server only answers 501 to. */
export const route = kitRoute<ArmHandler>;

/** The conditional headers of a request. */
export function preconditionsOf(req: ArmRequest): Preconditions {
  const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v.join(',') : v);
  return { ifMatch: one(req.headers['if-match']), ifNoneMatch: one(req.headers['if-none-match']) };
}

/**
 * ARM list pagination: a page holds at most `pageSize` items and, when more remain, a
 * `nextLink` (an absolute URL with `$skiptoken`) the client follows as is. A small page size
 * makes the SDK's paging code run in every test that lists.
 */
export function page(items: readonly Json[], req: ArmRequest, ctx: ArmContext): JsonObject {
  const token = req.query.get('$skiptoken');
  const offset = token === null ? 0 : decodePageToken(token);
  if (offset === undefined) throw invalidRequestFormat('$skiptoken', `The skip token ${JSON.stringify(token)} is invalid.`);
  const p = pageAt(items, offset, ctx.pageSize);
  const out: JsonObject = { value: p.items };
  // Written out rather than through URLSearchParams, which would encode `$` as %24; ARM's links keep it.
  if (p.nextToken !== undefined) out['nextLink'] = `${ctx.endpoint}${req.path}?api-version=${encodeURIComponent(req.apiVersion)}&$skiptoken=${p.nextToken}`;
  return out;
}
