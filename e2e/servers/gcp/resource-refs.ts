/**
 * Resource names and references. GCE accepts a reference as a full URL
 * (`https://www.googleapis.com/compute/v1/projects/p/regions/r/healthChecks/hc`), as a
 * partial path (`projects/p/regions/r/healthChecks/hc`, with or without `compute/v1/`),
 * or, where the scope is implied, as a bare name; selfLinks are always full URLs.
 */
import { invalid } from './gce-errors.ts';

export type ScopeKind = 'zones' | 'regions' | 'global';

export interface ResourceRef {
  readonly project: string;
  readonly scopeKind: ScopeKind;
  /** Zone or region name; empty for global. */
  readonly scope: string;
  /** Collection as it appears in paths, e.g. `networkEndpointGroups`, `backendServices`. */
  readonly collection: string;
  readonly name: string;
}

/** The base every selfLink starts with; the real API uses its public host whatever host was called. */
export const SELF_LINK_BASE = 'https://www.googleapis.com/compute/v1/';

/** `projects/p/zones/z/networkEndpointGroups/x` */
export function relativeName(ref: ResourceRef): string {
  const scope = ref.scopeKind === 'global' ? 'global' : `${ref.scopeKind}/${ref.scope}`;
  return `projects/${ref.project}/${scope}/${ref.collection}/${ref.name}`;
}

export function selfLink(ref: ResourceRef): string {
  return SELF_LINK_BASE + relativeName(ref);
}

export function scopeLink(project: string, scopeKind: ScopeKind, scope: string): string {
  return scopeKind === 'global' ? `${SELF_LINK_BASE}projects/${project}/global` : `${SELF_LINK_BASE}projects/${project}/${scopeKind}/${scope}`;
}

/** Key for maps: the relative name lower-cased only in the literal parts is not needed; names are case-sensitive. */
export function refKey(ref: ResourceRef): string {
  return relativeName(ref);
}

/** Last path segment of a URL or path (`.../zones/us-central1-a` → `us-central1-a`). */
export function lastSegment(value: string): string {
  const parts = value.split('/').filter((p) => p !== '');
  return parts[parts.length - 1] ?? '';
}

/**
 * Parses a reference of the given collection. `defaults` supplies project and scope when the
 * reference is a bare name. Throws 400 `invalid` naming the field when it cannot be read.
 */
export function parseRef(value: string, collection: string, defaults: Omit<ResourceRef, 'collection' | 'name'>, field: string): ResourceRef {
  let path = value.trim();
  const schemeAt = path.indexOf('://');
  if (schemeAt >= 0) {
    const slash = path.indexOf('/', schemeAt + 3);
    path = slash >= 0 ? path.slice(slash + 1) : '';
  }
  path = path.replace(/^\/+/, '');
  for (const prefix of ['compute/v1/', 'compute/beta/', 'compute/alpha/']) if (path.startsWith(prefix)) path = path.slice(prefix.length);
  const parts = path.split('/').filter((p) => p !== '');
  if (parts.length === 1 && parts[0] !== undefined && parts[0] !== '') return { ...defaults, collection, name: parts[0] };
  // Paths relative to the project: `global/networks/n`, `regions/r/subnetworks/s`, `zones/z/...`.
  if (parts[0] === 'global' || parts[0] === 'regions' || parts[0] === 'zones') parts.unshift('projects', defaults.project);
  if (parts[0] === 'projects' && parts.length >= 5) {
    const project = parts[1]!;
    if (parts[2] === 'global' && parts.length === 5 && parts[3] === collection) return { project, scopeKind: 'global', scope: '', collection, name: parts[4]! };
    if ((parts[2] === 'zones' || parts[2] === 'regions') && parts.length === 6 && parts[4] === collection) {
      return { project, scopeKind: parts[2], scope: parts[3]!, collection, name: parts[5]! };
    }
  }
  throw invalid(`Invalid value for field '${field}': '${value}'. The URL is malformed.`);
}

/** RFC 1035 names, as GCE requires for every resource name. */
const NAME = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;

export function checkName(name: unknown, field: string): string {
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw invalid(
      `Invalid value for field '${field}': '${String(name ?? '')}'. Must be a match of regex '(?:[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?)'`,
    );
  }
  return name;
}
