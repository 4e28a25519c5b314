/**
 * Validation and defaults of every spec, in one place (STYLE habit 8): each function takes
 * untyped input, as the control API receives it, and returns the resolved spec or throws an
 * InvalidSpecError naming the field, the value and what is allowed. Pure.
 */
import { nonUnicastKind, parseAddress } from './address-range.ts';
import { canonicalAddress, parseCidrs } from './cidr-set.ts';
import { InvalidSpecError } from './errors.ts';
import type {
  ResolvedDrainSpec,
  ResolvedHealthCheckSpec,
  ResolvedListenerSpec,
  ResolvedTargetGroupSpec,
  ResolvedTargetSpec,
  ResolvedTrafficSource,
  TargetRef,
} from './spec.ts';
import { parseStatusMatcher } from './status-matcher.ts';
import { boolean, duration, type Fields, integer, invalid, ipAddress, name, object, oneOf, optional, port, tags } from './validate.ts';

export const LISTENER_DEFAULTS = { address: '127.0.0.1' } as const;

export const TARGET_GROUP_DEFAULTS = {
  failOpen: false,
  registrationDelayMs: 0,
  connectRetries: 0,
  connectTimeoutMs: 10_000,
  countConnectFailures: false,
  proxyProtocol: 'none',
  preserveClientIp: false,
  idleAction: 'drop',
  deregisterDelayMs: 300_000,
  detachDrainingTimeoutMs: 0,
} as const;

export const HEALTH_CHECK_DEFAULTS = {
  protocol: 'tcp',
  path: '/',
  matcher: '200-399',
  intervalMs: 10_000,
  timeoutMs: 5_000,
  healthyThreshold: 3,
  unhealthyThreshold: 3,
} as const;

export function resolveListener(input: unknown, field = 'listener'): ResolvedListenerSpec {
  const f = object(field, input, ['name', 'address', 'port', 'targetGroup', 'sourceRanges', 'tags']);
  return {
    name: name(`${field}.name`, f['name']),
    address: optional(f, 'address', field, ipAddress, LISTENER_DEFAULTS.address),
    port: port(`${field}.port`, f['port'], 0),
    targetGroup: name(`${field}.targetGroup`, f['targetGroup']),
    sourceRanges: optional(f, 'sourceRanges', field, parseCidrs, parseCidrs(field, [])).cidrs,
    tags: optional(f, 'tags', field, tags, []),
  };
}

export function resolveTargetGroup(input: unknown, field = 'targetGroup'): ResolvedTargetGroupSpec {
  const f = object(field, input, [
    'name',
    'drain',
    'failOpen',
    'registrationDelayMs',
    'connectRetries',
    'connectTimeoutMs',
    'countConnectFailures',
    'proxyProtocol',
    'preserveClientIp',
    'proxySource',
    'idleTimeoutMs',
    'idleAction',
  ]);
  const d = TARGET_GROUP_DEFAULTS;
  return {
    name: name(`${field}.name`, f['name']),
    drain: optional(f, 'drain', field, resolveDrain, { mode: 'weight0' }),
    failOpen: optional(f, 'failOpen', field, boolean, d.failOpen),
    registrationDelayMs: optional(f, 'registrationDelayMs', field, duration, d.registrationDelayMs),
    connectRetries: optional(f, 'connectRetries', field, (n, v) => integer(n, v, 0, 100), d.connectRetries),
    connectTimeoutMs: optional(f, 'connectTimeoutMs', field, (n, v) => duration(n, v, 1), d.connectTimeoutMs),
    countConnectFailures: optional(f, 'countConnectFailures', field, boolean, d.countConnectFailures),
    proxyProtocol: optional(f, 'proxyProtocol', field, (n, v) => oneOf(n, v, ['none', 'v1', 'v2'] as const), d.proxyProtocol),
    preserveClientIp: optional(f, 'preserveClientIp', field, boolean, d.preserveClientIp),
    proxySource: optional(f, 'proxySource', field, resolveSource, { address: undefined, tags: [] }),
    idleTimeoutMs: optional<number | undefined>(f, 'idleTimeoutMs', field, (n, v) => duration(n, v, 1), undefined),
    idleAction: optional(f, 'idleAction', field, (n, v) => oneOf(n, v, ['reset', 'drop'] as const), d.idleAction),
  };
}

function resolveDrain(field: string, input: unknown): ResolvedDrainSpec {
  const mode = oneOf(`${field}.mode`, (input as Fields | null)?.['mode'], ['weight0', 'deregister', 'detach'] as const);
  const d = TARGET_GROUP_DEFAULTS;
  switch (mode) {
    case 'weight0':
      object(field, input, ['mode']);
      return { mode };
    case 'deregister': {
      const f = object(field, input, ['mode', 'delayMs', 'terminateOnExpiry']);
      return {
        mode,
        delayMs: optional(f, 'delayMs', field, duration, d.deregisterDelayMs),
        terminateOnExpiry: optional(f, 'terminateOnExpiry', field, boolean, false),
      };
    }
    case 'detach': {
      const f = object(field, input, ['mode', 'drainingTimeoutMs']);
      return { mode, drainingTimeoutMs: optional(f, 'drainingTimeoutMs', field, duration, d.detachDrainingTimeoutMs) };
    }
  }
}

function resolveSource(field: string, input: unknown): ResolvedTrafficSource {
  const f = object(field, input, ['address', 'tags']);
  return { address: optional<string | undefined>(f, 'address', field, ipAddress, undefined), tags: optional(f, 'tags', field, tags, []) };
}

export function resolveHealthCheck(input: unknown, field = 'healthCheck'): ResolvedHealthCheckSpec {
  const f = object(field, input, [
    'protocol',
    'port',
    'path',
    'host',
    'matcher',
    'intervalMs',
    'timeoutMs',
    'healthyThreshold',
    'unhealthyThreshold',
    'source',
  ]);
  const d = HEALTH_CHECK_DEFAULTS;
  const resolved: ResolvedHealthCheckSpec = {
    protocol: optional(f, 'protocol', field, (n, v) => oneOf(n, v, ['tcp', 'http'] as const), d.protocol),
    port: optional<number | undefined>(f, 'port', field, port, undefined),
    path: optional(f, 'path', field, httpPath, d.path),
    host: optional<string | undefined>(f, 'host', field, hostHeader, undefined),
    matcher: optional(f, 'matcher', field, parseStatusMatcher, parseStatusMatcher(field, d.matcher)).text,
    intervalMs: optional(f, 'intervalMs', field, (n, v) => duration(n, v, 1), d.intervalMs),
    timeoutMs: optional(f, 'timeoutMs', field, (n, v) => duration(n, v, 1), d.timeoutMs),
    healthyThreshold: optional(f, 'healthyThreshold', field, (n, v) => integer(n, v, 1, 100), d.healthyThreshold),
    unhealthyThreshold: optional(f, 'unhealthyThreshold', field, (n, v) => integer(n, v, 1, 100), d.unhealthyThreshold),
    source: optional(f, 'source', field, resolveSource, { address: undefined, tags: [] }),
  };
  return resolved;
}

function httpPath(field: string, value: unknown): string {
  if (typeof value !== 'string' || !/^\/[\x21-\x7e]{0,1023}$/.test(value)) {
    throw invalid(field, value, 'a path starting with / of printable ASCII characters without spaces');
  }
  return value;
}

function hostHeader(field: string, value: unknown): string {
  if (typeof value !== 'string' || !/^[\x21-\x7e]{1,255}$/.test(value)) throw invalid(field, value, 'a host name (optionally with :port)');
  return value;
}

/** A list of targets; one ip:port may appear once. */
export function resolveTargets(input: unknown, field = 'targets'): ResolvedTargetSpec[] {
  if (!Array.isArray(input)) throw invalid(field, input, 'a list of targets ({ ip, port, weight?, adminState?, tags?, registration? })');
  const seen = new Map<string, number>();
  return input.map((entry, index) => {
    const target = resolveTarget(entry, `${field}[${index}]`);
    repeatCheck(seen, targetKey(target), index, field);
    return target;
  });
}

export function resolveTarget(input: unknown, field: string): ResolvedTargetSpec {
  const f = object(field, input, ['ip', 'port', 'weight', 'adminState', 'tags', 'registration']);
  const ip = unicast(`${field}.ip`, f['ip']);
  return {
    ip,
    port: port(`${field}.port`, f['port']),
    weight: optional(f, 'weight', field, (n, v) => integer(n, v, 0, 1_000_000), 1),
    adminState: optional(f, 'adminState', field, (n, v) => oneOf(n, v, ['none', 'up', 'down'] as const), 'none'),
    tags: optional(f, 'tags', field, tags, []),
    registration: optional(f, 'registration', field, registrationId, ''),
  };
}

/** A list of target addresses, as deregistration takes them. */
export function resolveTargetRefs(input: unknown, field = 'targets'): TargetRef[] {
  if (!Array.isArray(input)) throw invalid(field, input, 'a list of targets ({ ip, port })');
  const seen = new Map<string, number>();
  return input.map((entry, index) => {
    const f = object(`${field}[${index}]`, entry, ['ip', 'port', 'weight', 'adminState', 'tags', 'registration']);
    const ref = { ip: ipAddress(`${field}[${index}].ip`, f['ip']), port: port(`${field}[${index}].port`, f['port']) };
    repeatCheck(seen, targetKey(ref), index, field);
    return ref;
  });
}

export function resolveTimeScale(input: unknown, field = 'timeScale'): number {
  if (typeof input !== 'number' || !Number.isFinite(input) || input <= 0 || input > 1000) {
    throw invalid(field, input, 'a number greater than 0 and at most 1000 that multiplies every configured duration (0.1 runs a 10 s interval as 1 s)');
  }
  return input;
}

/** The identity of a target within its group: canonical ip and port. */
export function targetKey(target: TargetRef): string {
  return `${canonicalAddress(target.ip)}|${target.port}`;
}

function repeatCheck(seen: Map<string, number>, key: string, index: number, field: string): void {
  const first = seen.get(key);
  if (first !== undefined) {
    throw new InvalidSpecError(`${field}[${index}] repeats the target ${key.replace('|', ' port ')} of ${field}[${first}], but each ip and port may appear once.`, {
      field: `${field}[${index}]`,
    });
  }
  seen.set(key, index);
}

function unicast(field: string, value: unknown): string {
  const ip = ipAddress(field, value);
  const address = parseAddress(ip);
  const kind = address === undefined ? undefined : nonUnicastKind(address);
  if (kind !== undefined) throw invalid(field, value, `a unicast address, not ${kind}`);
  return ip;
}

function registrationId(field: string, value: unknown): string {
  if (typeof value !== 'string' || value.length > 253) throw invalid(field, value, 'a string of at most 253 characters');
  return value;
}
