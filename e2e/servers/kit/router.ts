/**
 * Method + path pattern -> handler, for the cloud test servers. Patterns are written as the
 * vendor writes its paths: `:name` (ARM's Swagger style) or `{name}` (Google's path
 * templates) binds one non-empty, URI-decoded segment. Each route carries the vendor's name
 * for the operation (Swagger operationId, REST method name, AWS action), which the request
 * log, faults and rate limits key on.
 */

/** One route; `H` is the vendor's handler type. */
export interface Route<H> {
  readonly method: string;
  readonly pattern: string;
  /** The vendor's operation name, e.g. `LoadBalancers_Get`, `compute.networkEndpointGroups.get`. */
  readonly operation: string;
  readonly handler: H;
  /** The pattern split on `/`; a parameter segment is `{ param }`. */
  readonly segments: readonly Segment[];
  /** False for routes that only answer "not implemented" (a known operation the server does not model). */
  readonly implemented: boolean;
}

export type Segment = string | { readonly param: string };

export interface RouteOptions {
  /** @default true */
  readonly implemented?: boolean;
}

function parseSegment(s: string): Segment {
  if (s.startsWith(':')) return { param: s.slice(1) };
  if (s.startsWith('{') && s.endsWith('}')) return { param: s.slice(1, -1) };
  return s;
}

/** A pattern's segments (`:name` and `{name}` are parameters). */
export function parsePattern(pattern: string): Segment[] {
  return pattern.split('/').filter((s) => s !== '').map(parseSegment);
}

export function route<H>(method: string, pattern: string, operation: string, handler: H, options: RouteOptions = {}): Route<H> {
  return {
    method: method.toUpperCase(),
    pattern,
    operation,
    handler,
    segments: parsePattern(pattern),
    implemented: options.implemented ?? true,
  };
}

export type RouteMatch<H> =
  | { readonly kind: 'match'; readonly route: Route<H>; readonly params: Record<string, string> }
  /** The path exists but not for this method. */
  | { readonly kind: 'method'; readonly allowed: readonly string[] }
  | { readonly kind: 'none' };

export interface MatchOptions {
  /**
   * Literal segments match without regard to case (ARM treats `resourcegroups` and
   * `resourceGroups` alike; Google does not).
   * @default false
   */
  readonly ignoreCase?: boolean;
}

/** The parameters `segments` bind in `pathname`, or undefined when it does not match. */
export function matchPath(segments: readonly Segment[], pathname: string, options: MatchOptions = {}): Record<string, string> | undefined {
  const parts = pathname.split('/').filter((s) => s !== '');
  if (parts.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i]!;
    const part = parts[i]!;
    if (typeof seg !== 'string') {
      let value: string;
      try {
        value = decodeURIComponent(part);
      } catch {
        return undefined;
      }
      if (value === '') return undefined;
      params[seg.param] = value;
    } else if (options.ignoreCase ? seg.toLowerCase() !== part.toLowerCase() : seg !== part) {
      return undefined;
    }
  }
  return params;
}

/** The first route for `method` whose pattern matches; else which methods the path allows. */
export function matchRoute<H>(routes: readonly Route<H>[], method: string, pathname: string, options: MatchOptions = {}): RouteMatch<H> {
  const wanted = method.toUpperCase();
  const allowed: string[] = [];
  for (const r of routes) {
    const params = matchPath(r.segments, pathname, options);
    if (params === undefined) continue;
    if (r.method === wanted) return { kind: 'match', route: r, params };
    allowed.push(r.method);
  }
  return allowed.length > 0 ? { kind: 'method', allowed } : { kind: 'none' };
}
