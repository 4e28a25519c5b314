/**
 * Routes written as the API's own path templates (`/compute/v1/projects/{project}/...`),
 * each named by its REST method (`compute.regionBackendServices.getHealth`).
 */
import type { Handler } from './compute-context.ts';

export interface Route {
  readonly method: string;
  readonly template: string;
  readonly restMethod: string;
  readonly handler: Handler;
  readonly segments: readonly string[];
}

export function route(method: string, template: string, restMethod: string, handler: Handler): Route {
  return { method, template, restMethod, handler, segments: template.split('/').filter((s) => s !== '') };
}

export type RouteMatch =
  | { readonly kind: 'match'; readonly route: Route; readonly params: Record<string, string> }
  | { readonly kind: 'method'; readonly allowed: readonly string[] }
  | { readonly kind: 'none' };

/** Matches `/`-separated segments; `{name}` binds one non-empty, URI-decoded segment. */
export function matchTemplate(segments: readonly string[], pathname: string): Record<string, string> | undefined {
  const parts = pathname.split('/').filter((s) => s !== '');
  if (parts.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i]!;
    const part = parts[i]!;
    if (seg.startsWith('{') && seg.endsWith('}')) {
      let value: string;
      try {
        value = decodeURIComponent(part);
      } catch {
        return undefined;
      }
      if (value === '') return undefined;
      params[seg.slice(1, -1)] = value;
    } else if (seg !== part) {
      return undefined;
    }
  }
  return params;
}

export function matchRoute(routes: readonly Route[], method: string, pathname: string): RouteMatch {
  const allowed: string[] = [];
  for (const r of routes) {
    const params = matchTemplate(r.segments, pathname);
    if (params === undefined) continue;
    if (r.method === method) return { kind: 'match', route: r, params };
    allowed.push(r.method);
  }
  return allowed.length > 0 ? { kind: 'method', allowed } : { kind: 'none' };
}
