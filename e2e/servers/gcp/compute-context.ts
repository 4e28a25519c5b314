/**
 * What every route handler sees: the store, operations, faults, health and seeds, plus the
 * helpers that keep handlers short (reference resolution, starting an operation).
 */
import type { FaultBox } from '../kit/faults.ts';
import { decodePageToken, type Page, pageAt } from '../kit/paging.ts';
import { route as kitRoute, type Route as KitRoute } from '../kit/router.ts';
import type { ComputeStore, StoredResource } from './compute-store.ts';
import type { EndpointHealth } from './endpoint-health.ts';
import { GceError, invalid, resourceInUse } from './gce-errors.ts';
import type { OperationError, Operations } from './gce-operations.ts';
import type { ProxyNlbTwin } from './proxy-nlb.ts';
import type { JsonObject } from './json.ts';
import { parseRef, type ResourceRef, relativeName, selfLink } from './resource-refs.ts';

/** One endpoint in a NEG, as `listNetworkEndpoints` returns it under `networkEndpoint`. */
export interface StoredEndpoint {
  readonly ipAddress: string;
  readonly port: number;
  readonly instance?: string;
  readonly annotations?: Record<string, string>;
}

export interface RequestInfo {
  /** The HTTP method. */
  readonly method: string;
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  /** The parsed JSON body; `{}` when there is none. */
  readonly body: JsonObject;
  readonly restMethod: string;
}

export type Handler = (ctx: ComputeContext, req: RequestInfo) => JsonObject | Promise<JsonObject>;

/** A route written as the API's own path template (`/compute/v1/projects/{project}/...`), named by its REST method. */
export type Route = KitRoute<Handler>;

/** Declares a route, e.g. `route('POST', '.../getHealth', 'compute.regionBackendServices.getHealth', handler)`. */
export const route = kitRoute<Handler>;

export interface ComputeContext {
  readonly store: ComputeStore;
  readonly operations: Operations;
  readonly faults: FaultBox<OperationError>;
  readonly health: EndpointHealth;
  /** NEG relative name → endpoints, in attach order. */
  readonly endpoints: Map<string, StoredEndpoint[]>;
  /** Project → zone name → region name. */
  readonly zones: Map<string, Map<string, string>>;
  /** Next host number handed out from the address block. */
  nextAddress: number;
  /** The first three octets of the /24 ephemeral forwarding rule IPs come from, e.g. `203.0.113.`. */
  readonly addressPrefix: string;
  /** The proxy-NLB data plane, when the server runs one; it follows every accepted change. */
  readonly twin: ProxyNlbTwin | undefined;
}

/** Resolves a reference and requires the resource to exist (404 `notFound` otherwise). */
export function resolve(ctx: ComputeContext, value: unknown, collection: string, defaults: Omit<ResourceRef, 'collection' | 'name'>, field: string): StoredResource {
  if (typeof value !== 'string' || value === '') throw notFoundField(field);
  const ref = parseRef(value, collection, defaults, field);
  return ctx.store.get(ref);
}

function notFoundField(field: string): GceError {
  return new GceError(400, 'required', `Required field '${field}' not specified`);
}

/**
 * Accepts a mutation whose validation has passed: applies it unless a fault makes the
 * operation fail, and returns the operation. `apply` returns the target's id.
 */
export function mutate(ctx: ComputeContext, req: RequestInfo, target: ResourceRef, operationType: string, apply: () => string | undefined): JsonObject {
  const fault = ctx.faults.takeOperationFault(req.method, req.restMethod);
  if (fault !== undefined) return ctx.operations.start(target, operationType, undefined, fault);
  const targetId = apply();
  return ctx.operations.start(target, operationType, targetId);
}

/** `{ kind, id, items, selfLink, nextPageToken }` as list methods answer. */
export function listBody(kind: string, scope: ResourceRef, items: JsonObject[], nextPageToken: string | undefined): JsonObject {
  const body: JsonObject = { kind, id: relativeName({ ...scope, name: '' }).replace(/\/$/, ''), items, selfLink: selfLink({ ...scope, name: '' }).replace(/\/$/, '') };
  if (nextPageToken !== undefined) body.nextPageToken = nextPageToken;
  return body;
}

/** Every stored resource whose `field` (a reference or list of references) points at `target`. */
export function usersOf(ctx: ComputeContext, collection: string, target: ResourceRef, refsOf: (body: JsonObject) => string[]): StoredResource[] {
  const wanted = relativeName(target);
  return ctx.store.all(collection).filter((item) =>
    refsOf(item.body).some((r) => {
      try {
        return relativeName(parseRef(r, target.collection, target, 'ref')) === wanted;
      } catch {
        return false;
      }
    }),
  );
}

/** 400 `resourceInUseByAnotherResource`; `kind` is GCE's snake_case type name, e.g. `health_check`. */
export function inUse(kind: string, ref: ResourceRef, user: ResourceRef): GceError {
  return resourceInUse(kind, relativeName(ref), relativeName(user));
}

/**
 * List paging as GCE does it: `maxResults` (default and maximum 500) and an opaque
 * `nextPageToken` handed back as `pageToken`.
 */
export function paginate<T>(all: readonly T[], query: URLSearchParams): Page<T> {
  const raw = query.get('maxResults');
  let max = 500;
  if (raw !== null) {
    max = Number(raw);
    if (!Number.isInteger(max) || max < 0) throw invalid(`Invalid value for field 'maxResults': '${raw}'. Must be a non-negative integer.`);
    if (max === 0 || max > 500) max = 500;
  }
  const token = query.get('pageToken');
  const start = token === null || token === '' ? 0 : decodePageToken(token);
  if (start === undefined) throw invalid(`Invalid value for field 'pageToken': '${token}'. Invalid page token.`);
  return pageAt(all, start, max);
}
