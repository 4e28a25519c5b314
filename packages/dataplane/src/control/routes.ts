/**
 * The control API's endpoints, each mapped onto one {@link DataPlane} call. The route table
 * is the single list of what the API offers (the README repeats it).
 */
import type { DataPlane } from '../data-plane.ts';
import { InvalidSpecError } from '../errors.ts';
import type { FirewallAction, FirewallRule } from '../firewall.ts';
import type { HealthCheckSpec, ListenerSpec, TargetGroupSpec, TargetRef, TargetSpec } from '../spec.ts';
import { type Fields, object, show } from '../validate.ts';

export type Method = 'GET' | 'PUT' | 'POST' | 'DELETE';

export interface Route {
  readonly method: Method;
  /** Path segments; `:name` matches one segment (URL-decoded) and is passed on. */
  readonly pattern: readonly string[];
  readonly handle: (plane: DataPlane, name: string, body: unknown) => Promise<unknown>;
}

const route = (method: Method, path: string, handle: Route['handle']): Route => ({ method, pattern: path.split('/').filter(Boolean), handle });

export const routes: readonly Route[] = [
  route('GET', '/v1/ping', async () => ({ ok: true, pid: process.pid })),
  route('GET', '/v1/state', (plane) => plane.state()),
  route('GET', '/v1/state/:name', (plane, prefix) => plane.state({ prefix })),
  route('GET', '/v1/stats', (plane) => plane.stats()),
  route('PUT', '/v1/time-scale', (plane, _, body) => plane.setTimeScale(field(body, 'timeScale') as number)),
  route('PUT', '/v1/listeners/:name', (plane, name, body) => plane.putListener(named(body, name, 'listener') as unknown as ListenerSpec)),
  route('DELETE', '/v1/listeners/:name', (plane, name) => plane.deleteListener(name)),
  route('PUT', '/v1/target-groups/:name', (plane, name, body) => plane.putTargetGroup(named(body, name, 'targetGroup') as unknown as TargetGroupSpec)),
  route('DELETE', '/v1/target-groups/:name', (plane, name) => plane.deleteTargetGroup(name)),
  route('PUT', '/v1/target-groups/:name/health-check', (plane, name, body) => plane.putHealthCheck(name, body as HealthCheckSpec)),
  route('DELETE', '/v1/target-groups/:name/health-check', (plane, name) => plane.deleteHealthCheck(name)),
  route('GET', '/v1/target-groups/:name/targets', (plane, name) => plane.targetHealth(name)),
  route('PUT', '/v1/target-groups/:name/targets', (plane, name, body) => plane.setTargets(name, field(body, 'targets') as TargetSpec[])),
  route('POST', '/v1/target-groups/:name/targets/register', (plane, name, body) => plane.registerTargets(name, field(body, 'targets') as TargetSpec[])),
  route('POST', '/v1/target-groups/:name/targets/deregister', (plane, name, body) => plane.deregisterTargets(name, field(body, 'targets') as TargetRef[])),
  route('PUT', '/v1/firewall/default', (plane, _, body) => plane.setFirewallDefault(field(body, 'action') as FirewallAction)),
  route('PUT', '/v1/firewall/rules/:name', (plane, name, body) => plane.putFirewallRule(named(body, name, 'rule') as unknown as FirewallRule)),
  route('DELETE', '/v1/firewall/rules/:name', (plane, name) => plane.deleteFirewallRule(name)),
];

/** The route for a path, and the `:name` it carries; `methods` lists what the path allows when the method does not match. */
export function findRoute(method: string, segments: readonly string[]): { route: Route; name: string } | { methods: Method[] } | undefined {
  const allowed: Method[] = [];
  for (const candidate of routes) {
    if (candidate.pattern.length !== segments.length) continue;
    let name = '';
    const matches = candidate.pattern.every((part, i) => {
      if (part !== ':name') return part === segments[i];
      name = segments[i] ?? '';
      return name !== '';
    });
    if (!matches) continue;
    if (candidate.method === method) return { route: candidate, name };
    allowed.push(candidate.method);
  }
  return allowed.length > 0 ? { methods: allowed } : undefined;
}

/** The one field of a `{ key: value }` request body. */
function field(body: unknown, key: string): unknown {
  return object('request body', body, [key])[key];
}

/** The body with the path's name; a body naming another object is refused rather than guessed at. */
function named(body: unknown, name: string, what: string): Fields {
  const fields = typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Fields) : undefined;
  if (fields === undefined) return object(what, body, []);
  if (fields['name'] !== undefined && fields['name'] !== name) {
    throw new InvalidSpecError(`${what}.name is ${show(fields['name'])}, but it must be absent or equal the name in the path, ${show(name)}.`, {
      field: `${what}.name`,
    });
  }
  return { ...fields, name };
}
