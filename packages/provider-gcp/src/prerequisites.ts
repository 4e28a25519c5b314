/**
 * What a regional proxy Network Load Balancer needs from the project before Sluice creates one,
 * checked before anything is written:
 * - an active proxy-only subnet (purpose `REGIONAL_MANAGED_PROXY`, role `ACTIVE`) in the region
 *   and network ("Proxy-only subnets for Envoy-based load balancers": it must exist before the
 *   forwarding rule; the proxies' connections to the pods come from it);
 * - ingress firewall rules that let Google's health checks (35.191.0.0/16 and 130.211.0.0/22,
 *   "Health checks overview: probe IP ranges and firewall rules") and the proxy-only subnet
 *   reach the pods' TCP ports ("Regional external proxy Network Load Balancer overview:
 *   firewall rules"). Without them every endpoint stays unhealthy and gates never open.
 *
 * A rule counts when it is an enabled INGRESS allow rule of the network whose source ranges
 * cover the sources and whose TCP ports cover the Service's. Its targets (network tags or
 * service accounts) are taken on trust: telling which VMs they name needs reading instances.
 * Higher-priority deny rules are not looked at.
 *
 * Missing rules are created (owned by the Service, deleted with it) only when the operator
 * allows it (`createFirewallRules`); otherwise the Service is refused with one sentence naming
 * the missing rule, and nothing is created.
 */
import type { protos } from '@google-cloud/compute';
import { type Backend, TerminalError } from '@sluice/core';
import { type Clock, providerClock } from '@sluice/core/provider-kit';
import type { GcpApi } from './gcp-api.ts';
import { sameResource } from './names.ts';
import { isOwned, ownerDescription } from './ownership.ts';
import type { StackContext } from './stack.ts';

export type Subnetwork = protos.google.cloud.compute.v1.ISubnetwork;
export type Firewall = protos.google.cloud.compute.v1.IFirewall;

/** Google's documented source ranges of health checks for proxy Network Load Balancers. */
export const HEALTH_CHECK_RANGES: readonly string[] = ['35.191.0.0/16', '130.211.0.0/22'];

/** A firewall rule the load balancer needs. */
export interface FirewallNeed {
  /** `hc` (health checks) or `px` (proxies): the suffix of the rule Sluice would create. */
  readonly key: 'hc' | 'px';
  /** What it lets in, for sentences: `Google's health checks (35.191.0.0/16, 130.211.0.0/22)`. */
  readonly what: string;
  readonly sourceRanges: readonly string[];
}

export function firewallNeeds(proxyOnlyRange: string): FirewallNeed[] {
  return [
    { key: 'hc', what: `Google's health checks (${HEALTH_CHECK_RANGES.join(', ')})`, sourceRanges: HEALTH_CHECK_RANGES },
    { key: 'px', what: `the proxy-only subnet (${proxyOnlyRange})`, sourceRanges: [proxyOnlyRange] },
  ];
}

/** The region's active proxy-only subnet in `network`, if any. */
export function activeProxyOnlySubnet(subnets: readonly Subnetwork[], network: string): Subnetwork | undefined {
  return subnets.find((s) => s.purpose === 'REGIONAL_MANAGED_PROXY' && s.role === 'ACTIVE' && sameResource(s.network, network));
}

function ipv4Range(cidr: string): [number, number] | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:\/(\d{1,2}))?$/.exec(cidr.trim());
  if (!m) return undefined;
  const ip = m.slice(1, 5).reduce((n, o) => n * 256 + Number(o), 0);
  const size = 2 ** (32 - (m[5] === undefined ? 32 : Number(m[5])));
  const first = Math.floor(ip / size) * size;
  return [first, first + size - 1];
}

function covers(ranges: readonly string[], cidr: string): boolean {
  const want = ipv4Range(cidr);
  return want !== undefined && ranges.some((r) => {
    const have = ipv4Range(r);
    return have !== undefined && have[0] <= want[0] && have[1] >= want[1];
  });
}

function portsCover(entries: readonly (string | number)[] | null | undefined, port: number): boolean {
  if (!entries || entries.length === 0) return true;
  return entries.some((e) => {
    const [from, to = from] = String(e).split('-').map(Number);
    return from !== undefined && port >= from && port <= (to ?? from);
  });
}

/**
 * True when `rule` lets `need`'s sources reach every one of `ports` over TCP (every TCP port
 * when `ports` is empty). With the nodes' `targetTags` known, the rule must also apply to them:
 * to every VM (no target tags or service accounts) or to one of those tags ("VPC firewall
 * rules", targets); unknown, a rule's targets are trusted.
 */
export function allows(rule: Firewall, network: string, need: FirewallNeed, ports: readonly number[], targetTags: readonly string[] = []): boolean {
  if ((rule.direction ?? 'INGRESS') !== 'INGRESS' || rule.disabled || !sameResource(rule.network, network)) return false;
  if (targetTags.length > 0 && !appliesTo(rule, targetTags)) return false;
  if (!need.sourceRanges.every((r) => covers(rule.sourceRanges ?? [], r))) return false;
  const tcp = (rule.allowed ?? []).filter((a) => ['tcp', 'all', '6'].includes((a.IPProtocol ?? '').toLowerCase()));
  if (tcp.length === 0) return false;
  // Ports not known yet (a named target port, no backends): only a rule open on every TCP port will do.
  if (ports.length === 0) return tcp.some((a) => (a.ports ?? []).length === 0);
  return ports.every((port) => tcp.some((a) => portsCover(a.ports, port)));
}

function appliesTo(rule: Firewall, targetTags: readonly string[]): boolean {
  const tags = rule.targetTags ?? [];
  if (tags.length === 0) return (rule.targetServiceAccounts ?? []).length === 0;
  return tags.some((t) => targetTags.includes(t));
}

/** The needs no rule of `firewalls` meets. */
export function missingRules(firewalls: readonly Firewall[], network: string, needs: readonly FirewallNeed[], ports: readonly number[], targetTags: readonly string[] = []): FirewallNeed[] {
  return needs.filter((need) => !firewalls.some((rule) => allows(rule, network, need, ports, targetTags)));
}

/** `default` out of `projects/p/global/networks/default`. */
function shortName(path: string): string {
  return path.split('/').at(-1) ?? path;
}

/** What the operator allows of firewall rules: create the missing ones, and which nodes' tags they and the operator's rules must target. */
export interface FirewallPolicy {
  readonly create: boolean;
  /** The nodes' network tags; empty: rules target every VM and any rule's targets are trusted. */
  readonly targetTags: readonly string[];
}

/** The firewall rule Sluice creates for `need`: `sl-<hash>-fw-hc` / `-fw-px`. */
export function ownedRuleName(ctx: StackContext, need: FirewallNeed): string {
  return `${ctx.names.prefix}fw-${need.key}`;
}

async function listAll<T>(fetchPage: (pageToken: string | undefined) => Promise<[T[] | null | undefined, unknown, unknown]>): Promise<T[]> {
  const out: T[] = [];
  let pageToken: string | undefined;
  do {
    const [items, , raw] = await fetchPage(pageToken);
    out.push(...(items ?? []));
    pageToken = (raw as { nextPageToken?: string | null } | undefined)?.nextPageToken || undefined;
  } while (pageToken);
  return out;
}

export function listFirewalls(api: GcpApi, signal: AbortSignal): Promise<Firewall[]> {
  return listAll((pageToken) =>
    api.call('firewalls.list', signal, (o) => api.clients.firewalls.list({ project: api.project, ...(pageToken ? { pageToken } : {}) }, o) as Promise<[Firewall[], unknown, unknown]>),
  );
}

function listProxyOnlySubnets(api: GcpApi, signal: AbortSignal): Promise<Subnetwork[]> {
  return listAll((pageToken) =>
    api.call('subnetworks.list', signal, (o) =>
      api.clients.subnetworks.list(
        { project: api.project, region: api.region, filter: 'purpose = "REGIONAL_MANAGED_PROXY"', ...(pageToken ? { pageToken } : {}) },
        o,
      ) as Promise<[Subnetwork[], unknown, unknown]>,
    ),
  );
}

/**
 * Checks the prerequisites for the Service's load balancer (serving `ports`, empty when not
 * known yet) and, when `create`, creates or widens the Service's own firewall rules; throws a
 * TerminalError naming what is missing otherwise. Writes nothing before every check passed.
 */
export async function ensurePrerequisites(ctx: StackContext, ports: readonly number[], rules: FirewallPolicy, signal: AbortSignal): Promise<void> {
  const { create, targetTags } = rules;
  const { api, service } = ctx;
  const who = `Service ${service.namespace}/${service.name}`;
  const network = shortName(ctx.network);
  const proxyOnly = activeProxyOnlySubnet(await listProxyOnlySubnets(api, signal), ctx.network);
  if (!proxyOnly?.ipCidrRange) {
    throw new TerminalError(
      `${who} needs an active proxy-only subnet (purpose REGIONAL_MANAGED_PROXY, role ACTIVE) in region ${api.region} and network ${network} for its proxy Network Load Balancer, and there is none; create one and Sluice will create the load balancer.`,
      { field: 'spec.type', reason: 'MissingProxyOnlySubnet' },
    );
  }
  const firewalls = await listFirewalls(api, signal);
  const missing = missingRules(firewalls, ctx.network, firewallNeeds(proxyOnly.ipCidrRange), ports, targetTags);
  if (missing.length === 0) return;
  const portText = ports.length === 0 ? 'TCP' : `TCP port${ports.length > 1 ? 's' : ''} ${ports.join(', ')}`;
  if (!create) {
    const named = missing.map((n) => n.what).join(' or ');
    throw new TerminalError(
      `${who}: no ingress firewall rule in network ${network} lets ${named} reach ${portText} of the pods, so every endpoint would stay unhealthy; add ${missing.length > 1 ? 'the rules' : 'the rule'}, or let Sluice create ${missing.length > 1 ? 'them' : 'it'} with SLUICE_GCP_CREATE_FIREWALL_RULES=true (option createFirewallRules).`,
      { field: 'spec.type', reason: 'MissingFirewallRule' },
    );
  }
  for (const need of missing) {
    const name = ownedRuleName(ctx, need);
    const rule: Firewall = {
      name,
      description: ownerDescription(ctx.clusterName, service),
      network: ctx.network,
      direction: 'INGRESS',
      priority: 1000,
      sourceRanges: [...need.sourceRanges],
      ...(targetTags.length > 0 ? { targetTags: [...targetTags] } : {}),
      allowed: [{ IPProtocol: 'tcp', ...(ports.length > 0 ? { ports: ports.map(String) } : {}) }],
    };
    const existing = firewalls.find((f) => f.name === name);
    if (existing && !isOwned(existing, ctx.names.prefix, ctx.clusterName, service)) {
      throw new TerminalError(`Firewall rule ${name} exists but is not owned by ${who} of cluster ${ctx.clusterName}; Sluice will not change it.`, { reason: 'NotOwned' });
    }
    if (existing) {
      await api.mutate('firewalls.patch', { global: true }, signal, (o) => api.clients.firewalls.patch({ project: api.project, firewall: name, firewallResource: rule }, o));
    } else {
      await api.mutate('firewalls.insert', { global: true }, signal, (o) => api.clients.firewalls.insert({ project: api.project, firewallResource: rule }, o));
    }
  }
}

/** How long a prerequisites check that passed is trusted. */
export const PREREQUISITES_TTL_MS = 5 * 60_000;

/**
 * {@link ensurePrerequisites} with its passes remembered for {@link PREREQUISITES_TTL_MS} per
 * Service and set of ports, so resyncs do not read the project's subnets and firewall rules
 * every time. The ports are the Service's numeric target ports and its backends' ports.
 */
export class PrerequisitesCache {
  readonly #met = new Map<string, { ports: string; at: number }>();
  readonly #clock: Pick<Clock, 'now'>;

  constructor(clock: Pick<Clock, 'now'> = providerClock) {
    this.#clock = clock;
  }

  async ensure(ctx: StackContext, backends: readonly Backend[], rules: FirewallPolicy, signal: AbortSignal): Promise<void> {
    const numeric = ctx.service.ports.flatMap((p) => (typeof p.targetPort === 'number' ? [p.targetPort] : []));
    const ports = [...new Set([...numeric, ...backends.map((b) => b.port)])].sort((a, b) => a - b);
    const key = ports.join(',');
    const met = this.#met.get(ctx.names.prefix);
    if (met && met.ports === key && this.#clock.now() - met.at < PREREQUISITES_TTL_MS) return;
    await ensurePrerequisites(ctx, ports, rules, signal);
    this.#met.set(ctx.names.prefix, { ports: key, at: this.#clock.now() });
  }

  /** Forgets the Service (deleted), so a new one with its name is checked again. */
  forget(prefix: string): void {
    this.#met.delete(prefix);
  }
}
