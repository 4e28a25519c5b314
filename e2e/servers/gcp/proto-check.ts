/**
 * Conformance of this server's traffic to the Compute v1 protos that ship with
 * `@google-cloud/compute` (`build/protos/protos.json`, whose field names are the JSON names).
 * For each exchange it finds the RPC whose `google.api.http` rule matches the method and path,
 * then checks: query parameters are fields of the request message; the body's fields
 * (recursively) belong to the rule's body message; a 2xx response's fields (recursively)
 * belong to the RPC's response message. Violations are recorded, never thrown.
 */
import { createRequire } from 'node:module';
import type * as ProtobufJs from 'protobufjs';
import { matchPath, parsePattern, type Segment } from '../kit/router.ts';

type Type = ProtobufJs.Type;

export interface HttpRule {
  /** e.g. `NetworkEndpointGroups.AttachNetworkEndpoints` */
  readonly rpc: string;
  readonly method: string;
  readonly template: string;
  readonly segments: readonly Segment[];
  readonly literals: number;
  readonly request: Type;
  readonly response: Type;
  /** The message the body must match; undefined when the rule has no body. */
  readonly body: Type | undefined;
}

export interface CheckedMethod {
  readonly rpc: string;
  readonly count: number;
  readonly violations: readonly string[];
}

/** Query parameters every Google API accepts besides the request's own fields. */
const SYSTEM_PARAMS = new Set(['$alt', 'alt', 'fields', 'prettyPrint', 'key', 'quotaUser', 'userIp', '$.xgafv', 'access_token', 'callback', 'upload_protocol', 'uploadType']);

function camel(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** Loads the protos once per checker; pass the checker to several servers to share it. */
export function loadProtoChecker(): ProtoChecker {
  const require = createRequire(import.meta.url);
  const protobuf = require('protobufjs') as typeof ProtobufJs;
  const json = require('@google-cloud/compute/build/protos/protos.json') as ProtobufJs.INamespace;
  const root = protobuf.Root.fromJSON(json);
  root.resolveAll();
  const pkg = root.lookup('google.cloud.compute.v1') as ProtobufJs.Namespace;
  const rules: HttpRule[] = [];
  for (const nested of pkg.nestedArray) {
    if (!(nested instanceof protobuf.Service)) continue;
    for (const m of nested.methodsArray) {
      const opts = m.options ?? {};
      for (const verb of ['get', 'post', 'put', 'patch', 'delete']) {
        const template = opts[`(google.api.http).${verb}`];
        if (typeof template !== 'string') continue;
        const request = m.resolvedRequestType!;
        const bodyName = opts['(google.api.http).body'];
        let body: Type | undefined;
        if (bodyName === '*') body = request;
        else if (typeof bodyName === 'string') body = request.fields[camel(bodyName)]?.resolvedType as Type | undefined;
        const segments = parsePattern(template);
        rules.push({ rpc: `${nested.name}.${m.name}`, method: verb.toUpperCase(), template, segments, literals: segments.filter((s) => typeof s === 'string').length, request, response: m.resolvedResponseType!, body });
      }
    }
  }
  rules.sort((a, b) => b.literals - a.literals);
  return new ProtoChecker(rules, protobuf);
}

export class ProtoChecker {
  readonly #rules: readonly HttpRule[];
  readonly #protobuf: typeof ProtobufJs;
  readonly #checked = new Map<string, { count: number; violations: string[] }>();

  constructor(rules: readonly HttpRule[], protobuf: typeof ProtobufJs) {
    this.#rules = rules;
    this.#protobuf = protobuf;
  }

  /** How many RPCs with REST mappings the protos define. */
  ruleCount(): number {
    return this.#rules.length;
  }

  findRule(method: string, pathname: string): HttpRule | undefined {
    return this.#rules.find((r) => r.method === method && matchPath(r.segments, pathname) !== undefined);
  }

  /**
   * Checks one exchange and records the outcome under the RPC's name (or `UNMATCHED METHOD path`).
   * Returns the violations found for it.
   */
  check(method: string, pathname: string, query: URLSearchParams, requestBody: unknown, status: number, responseBody: unknown): string[] {
    const rule = this.findRule(method, pathname);
    const violations: string[] = [];
    const name = rule?.rpc ?? `UNMATCHED ${method} ${pathname}`;
    if (rule === undefined) {
      violations.push(`no google.api.http rule matches ${method} ${pathname}`);
    } else {
      for (const key of new Set(query.keys())) {
        if (!SYSTEM_PARAMS.has(key) && rule.request.fields[key] === undefined) violations.push(`query parameter '${key}' is not a field of ${rule.request.name}`);
      }
      const hasBody = requestBody !== undefined && !(isPlainObject(requestBody) && Object.keys(requestBody).length === 0);
      if (rule.body === undefined) {
        if (hasBody) violations.push(`request has a body but ${rule.rpc} takes none`);
      } else if (requestBody !== undefined) {
        this.#checkMessage(requestBody, rule.body, 'request', violations);
      }
      if (status >= 200 && status < 300) this.#checkMessage(responseBody, rule.response, 'response', violations);
    }
    const entry = this.#checked.get(name) ?? { count: 0, violations: [] };
    entry.count += 1;
    for (const v of violations) if (!entry.violations.includes(v)) entry.violations.push(v);
    this.#checked.set(name, entry);
    return violations;
  }

  /** Every RPC checked so far, by name, with counts and distinct violations. */
  checkedMethods(): CheckedMethod[] {
    return [...this.#checked.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([rpc, e]) => ({ rpc, count: e.count, violations: [...e.violations] }));
  }

  violationCount(): number {
    let n = 0;
    for (const e of this.#checked.values()) n += e.violations.length;
    return n;
  }

  /** A printable table: rpc, count, violations. */
  summary(): string {
    return this.checkedMethods()
      .map((m) => `${m.rpc.padEnd(52)} ${String(m.count).padStart(4)}  ${m.violations.length === 0 ? 'ok' : m.violations.join('; ')}`)
      .join('\n');
  }

  #checkMessage(value: unknown, type: Type, path: string, out: string[]): void {
    if (!isPlainObject(value)) {
      out.push(`${path}: expected an object for ${type.name}, got ${JSON.stringify(value)}`);
      return;
    }
    for (const [key, v] of Object.entries(value)) {
      const field = type.fields[key];
      if (field === undefined) {
        out.push(`${path}.${key} is not a field of ${type.name}`);
        continue;
      }
      const sub = field.resolvedType;
      if (!(sub instanceof this.#protobuf.Type)) continue;
      if (field instanceof this.#protobuf.MapField) {
        if (isPlainObject(v)) for (const [k, mv] of Object.entries(v)) this.#checkMessage(mv, sub, `${path}.${key}[${k}]`, out);
      } else if (field.repeated) {
        if (!Array.isArray(v)) out.push(`${path}.${key} should be a list`);
        else
          for (const [i, item] of v.entries()) this.#checkMessage(item, sub, `${path}.${key}[${i}]`, out);
      } else {
        this.#checkMessage(v, sub, `${path}.${key}`, out);
      }
    }
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
