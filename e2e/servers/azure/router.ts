/**
 * Matches ARM paths to routes. Patterns are written like ARM's Swagger paths with `:param`
 * segments; literal segments match without regard to case (`resourcegroups` and
 * `resourceGroups` are the same to ARM) and parameters are URI-decoded.
 */
import type { ArmHandler } from './arm-context.ts';

export interface Route {
  readonly method: string;
  readonly pattern: string;
  readonly operation: string;
  readonly handler: ArmHandler;
  readonly segments: readonly string[];
  /** False for routes that only answer 501 (known ARM operations this server does not model). */
  readonly implemented: boolean;
}

export function route(method: string, pattern: string, operation: string, handler: ArmHandler, implemented = true): Route {
  return { method, pattern, operation, handler, segments: pattern.split('/').filter((s) => s !== ''), implemented };
}

export type RouteMatch =
  | { readonly kind: 'match'; readonly route: Route; readonly params: Record<string, string> }
  /** The path exists but not for this method. */
  | { readonly kind: 'method'; readonly allowed: readonly string[] }
  | { readonly kind: 'none' };

function matchSegments(segments: readonly string[], parts: readonly string[]): Record<string, string> | undefined {
  if (segments.length !== parts.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i]!;
    const part = parts[i]!;
    if (seg.startsWith(':')) {
      let value: string;
      try {
        value = decodeURIComponent(part);
      } catch {
        return undefined;
      }
      if (value === '') return undefined;
      params[seg.slice(1)] = value;
    } else if (seg.toLowerCase() !== part.toLowerCase()) {
      return undefined;
    }
  }
  return params;
}

export function matchRoute(routes: readonly Route[], method: string, pathname: string): RouteMatch {
  const parts = pathname.split('/').filter((s) => s !== '');
  const allowed: string[] = [];
  for (const r of routes) {
    const params = matchSegments(r.segments, parts);
    if (params === undefined) continue;
    if (r.method === method) return { kind: 'match', route: r, params };
    allowed.push(r.method);
  }
  return allowed.length > 0 ? { kind: 'method', allowed } : { kind: 'none' };
}
