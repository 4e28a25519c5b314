/**
 * A firewall model in the shape the clouds share (AWS security groups, Azure NSGs, GCP VPC
 * firewall rules): prioritised allow/deny rules matched on source, destination and
 * destination port, and a default action when no rule matches.
 *
 * The engine consults it for three kinds of traffic:
 * - `to-listener`: a client connecting to a listener, judged at accept by the client's
 *   address; the destination is the listener (the address the client reached, its port,
 *   the listener's tags).
 * - `to-target`: the load balancer connecting to a target for a client, judged by the
 *   LB's source (or the client's address when the target group preserves client IPs);
 * - `to-target` as well: a health check, judged by the health check's source address and tags.
 *
 * Evaluation: rules of the flow's direction, lowest `priority` number first; on equal
 * priority a deny comes before an allow (as GCP orders them), then by name, so the result
 * never depends on insertion order. The first rule whose source, destination and ports all
 * match decides. Pure apart from the rule table of {@link Firewall}.
 */
import { type CidrSet, parseCidrs } from './cidr-set.ts';
import { type Fields, invalid, name, object, oneOf, optional, tags } from './validate.ts';

export type FirewallAction = 'allow' | 'deny';
export type FirewallDirection = 'to-listener' | 'to-target';

/**
 * Which endpoints a rule side matches: those whose address is in one of `cidrs` or that
 * carry one of `tags`. Both empty (or absent) match every endpoint, also one whose address
 * is unknown.
 */
export interface FirewallMatch {
  /** @default [] */
  readonly cidrs?: readonly string[];
  /** @default [] */
  readonly tags?: readonly string[];
}

export interface FirewallRule {
  /** Unique among the rules; putting a rule with an existing name replaces it. */
  readonly name: string;
  /** Lower numbers are evaluated first: an integer from 0 to 2147483647. */
  readonly priority: number;
  readonly direction: FirewallDirection;
  readonly action: FirewallAction;
  /** @default every source */
  readonly source?: FirewallMatch;
  /** @default every destination */
  readonly destination?: FirewallMatch;
  /**
   * Destination ports and ranges: `80`, `"80"`, `"8000-8100"`.
   * @default every port
   */
  readonly ports?: readonly (number | string)[];
}

/** A rule with every default filled in and each list canonical, as the state reports it. */
export interface ResolvedFirewallRule {
  readonly name: string;
  readonly priority: number;
  readonly direction: FirewallDirection;
  readonly action: FirewallAction;
  readonly source: Required<FirewallMatch>;
  readonly destination: Required<FirewallMatch>;
  /** Canonical: `"80"`, `"8000-8100"`; empty means every port. */
  readonly ports: readonly string[];
}

export interface FirewallPolicy {
  readonly defaultAction: FirewallAction;
  /** In evaluation order. */
  readonly rules: readonly ResolvedFirewallRule[];
}

/** One side of a flow as the firewall sees it. */
export interface FlowEndpoint {
  /** Unknown (undefined) matches no CIDR. */
  readonly address?: string | undefined;
  readonly tags?: readonly string[] | undefined;
}

export interface Flow {
  readonly direction: FirewallDirection;
  readonly source: FlowEndpoint;
  readonly destination: FlowEndpoint & { readonly port: number };
}

export interface FirewallVerdict {
  readonly action: FirewallAction;
  /** The rule that decided; undefined when the default action did. */
  readonly rule: string | undefined;
}

export const FIREWALL_ACTIONS: readonly FirewallAction[] = ['allow', 'deny'];
const DIRECTIONS: readonly FirewallDirection[] = ['to-listener', 'to-target'];
const RULE_FIELDS = ['name', 'priority', 'direction', 'action', 'source', 'destination', 'ports'];

interface CompiledRule {
  readonly rule: ResolvedFirewallRule;
  readonly source: CompiledMatch;
  readonly destination: CompiledMatch;
  readonly ports: readonly (readonly [number, number])[];
}

interface CompiledMatch {
  readonly cidrs: CidrSet;
  readonly tags: ReadonlySet<string>;
}

/** Validates `input` as a {@link FirewallRule} and fills in its defaults; throws an InvalidSpecError. */
export function resolveFirewallRule(input: unknown, field = 'rule'): ResolvedFirewallRule {
  return compile(input, field).rule;
}

/** The verdict of `policy` on `flow` (compiles the rules on every call; {@link Firewall} keeps them compiled). */
export function evaluateFirewall(policy: FirewallPolicy, flow: Flow): FirewallVerdict {
  return evaluate(sortRules(policy.rules.map((rule) => compile(rule, 'rule'))), policy.defaultAction, flow);
}

/** The rule table the engine consults; changes apply to the next connection or check. */
export class Firewall {
  defaultAction: FirewallAction;
  readonly #rules = new Map<string, CompiledRule>();
  #sorted: readonly CompiledRule[] = [];

  constructor(defaultAction: FirewallAction = 'allow') {
    this.defaultAction = defaultAction;
  }

  /** Adds `rule` or replaces the rule of the same name; returns it resolved. Throws an InvalidSpecError. */
  put(rule: unknown): ResolvedFirewallRule {
    const compiled = compile(rule, 'rule');
    this.#rules.set(compiled.rule.name, compiled);
    this.#sorted = sortRules([...this.#rules.values()]);
    return compiled.rule;
  }

  /** Removes the named rule; false when there was none. */
  delete(ruleName: string): boolean {
    const deleted = this.#rules.delete(ruleName);
    if (deleted) this.#sorted = sortRules([...this.#rules.values()]);
    return deleted;
  }

  evaluate(flow: Flow): FirewallVerdict {
    return evaluate(this.#sorted, this.defaultAction, flow);
  }

  get policy(): FirewallPolicy {
    return { defaultAction: this.defaultAction, rules: this.#sorted.map((c) => c.rule) };
  }
}

function evaluate(rules: readonly CompiledRule[], defaultAction: FirewallAction, flow: Flow): FirewallVerdict {
  for (const compiled of rules) {
    if (compiled.rule.direction !== flow.direction) continue;
    if (!matches(compiled.source, flow.source)) continue;
    if (!matches(compiled.destination, flow.destination)) continue;
    const port = flow.destination.port;
    if (compiled.ports.length > 0 && !compiled.ports.some(([from, to]) => port >= from && port <= to)) continue;
    return { action: compiled.rule.action, rule: compiled.rule.name };
  }
  return { action: defaultAction, rule: undefined };
}

function matches(match: CompiledMatch, endpoint: FlowEndpoint): boolean {
  if (match.cidrs.cidrs.length === 0 && match.tags.size === 0) return true;
  if (match.cidrs.contains(endpoint.address)) return true;
  return (endpoint.tags ?? []).some((tag) => match.tags.has(tag));
}

function sortRules(rules: CompiledRule[]): CompiledRule[] {
  const rank = (c: CompiledRule): number => (c.rule.action === 'deny' ? 0 : 1);
  return rules.sort((a, b) => a.rule.priority - b.rule.priority || rank(a) - rank(b) || (a.rule.name < b.rule.name ? -1 : a.rule.name > b.rule.name ? 1 : 0));
}

function compile(input: unknown, field: string): CompiledRule {
  const fields = object(field, input, RULE_FIELDS);
  const source = compileMatch(fields, 'source', field);
  const destination = compileMatch(fields, 'destination', field);
  const ports = optional(fields, 'ports', field, parsePorts, []);
  const rule: ResolvedFirewallRule = {
    name: name(`${field}.name`, fields['name']),
    priority: priority(`${field}.priority`, fields['priority']),
    direction: oneOf(`${field}.direction`, fields['direction'], DIRECTIONS),
    action: oneOf(`${field}.action`, fields['action'], FIREWALL_ACTIONS),
    source: { cidrs: source.cidrs.cidrs, tags: [...source.tags] },
    destination: { cidrs: destination.cidrs.cidrs, tags: [...destination.tags] },
    ports: ports.map(([from, to]) => (from === to ? String(from) : `${from}-${to}`)),
  };
  return { rule, source, destination, ports };
}

function priority(field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || value > 2 ** 31 - 1) {
    throw invalid(field, value, 'an integer from 0 to 2147483647 (lower is evaluated first)');
  }
  return value;
}

function compileMatch(fields: Fields, key: 'source' | 'destination', field: string): CompiledMatch {
  const value = fields[key];
  if (value === undefined || value === null) return { cidrs: parseCidrs(`${field}.${key}.cidrs`, []), tags: new Set() };
  const match = object(`${field}.${key}`, value, ['cidrs', 'tags']);
  return {
    cidrs: optional(match, 'cidrs', `${field}.${key}`, parseCidrs, parseCidrs(`${field}.${key}.cidrs`, [])),
    tags: new Set(optional(match, 'tags', `${field}.${key}`, tags, [])),
  };
}

function parsePorts(field: string, value: unknown): [number, number][] {
  if (!Array.isArray(value)) throw invalid(field, value, 'a list of ports and ranges such as 80 or "8000-8100"');
  return value.map((entry, index) => {
    const text = typeof entry === 'number' ? String(entry) : entry;
    const match = typeof text === 'string' ? /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(text.trim()) : null;
    const from = Number(match?.[1]);
    const to = match?.[2] === undefined ? from : Number(match[2]);
    if (match === null || !(from >= 1 && to <= 65535 && from <= to)) {
      throw invalid(`${field}[${index}]`, entry, 'a port from 1 to 65535 or a range such as "8000-8100" (low-high)');
    }
    return [from, to];
  });
}
