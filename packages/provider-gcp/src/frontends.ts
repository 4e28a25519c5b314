/**
 * The frontends of one Service's proxy Network Load Balancer: per Service port a regional
 * target TCP proxy and a forwarding rule, on the Service's one regional address
 * (address.ts), and the ingress status they give. Split from stack.ts, which holds the
 * backends (health check, NEGs, backend service) and the shared helpers.
 */
import { TerminalError } from '@sluice/core';
import { type GcpServiceSettings, PROXY_PROTOCOL_ANNOTATION } from './annotations.ts';
import { isOwned, ownerDescription } from './ownership.ts';
import { deleteRegional, type ForwardingRule, regionPath, requireOwned, type StackContext, scheme, type TargetTcpProxy } from './stack.ts';
/** Every forwarding rule (or proxy) in the region whose name has the Service's prefix. */
export async function listByPrefix<T extends { name?: string | null }>(
  ctx: StackContext,
  operation: string,
  signal: AbortSignal,
  list: (request: { project: string; region: string; filter: string; pageToken?: string }, o: object) => Promise<[T[], unknown, unknown]>,
): Promise<T[]> {
  const { api } = ctx;
  const out: T[] = [];
  let pageToken: string | undefined;
  do {
    const token = pageToken;
    const [items, , raw] = await api.call(operation, signal, (o) =>
      list({ project: api.project, region: api.region, filter: ctx.names.filter, ...(token ? { pageToken: token } : {}) }, o),
    );
    out.push(...(items ?? []).filter((i) => (i.name ?? '').startsWith(ctx.names.prefix)));
    pageToken = (raw as { nextPageToken?: string | null } | undefined)?.nextPageToken || undefined;
  } while (pageToken);
  return out;
}

export function listForwardingRules(ctx: StackContext, signal: AbortSignal): Promise<ForwardingRule[]> {
  const c = ctx.api.clients.forwardingRules;
  return listByPrefix<ForwardingRule>(ctx, 'forwardingRules.list', signal, (r, o) => c.list(r, o) as Promise<[ForwardingRule[], unknown, unknown]>);
}

export function listProxies(ctx: StackContext, signal: AbortSignal): Promise<TargetTcpProxy[]> {
  const c = ctx.api.clients.regionTargetTcpProxies;
  return listByPrefix<TargetTcpProxy>(ctx, 'regionTargetTcpProxies.list', signal, (r, o) => c.list(r, o) as Promise<[TargetTcpProxy[], unknown, unknown]>);
}

/** The port of a forwarding rule's `portRange` (`80` or `80-80`). */
export function rulePort(rule: ForwardingRule): number | undefined {
  const m = /^(\d+)(?:-(\d+))?$/.exec(rule.portRange ?? '');
  return m ? Number(m[1]) : undefined;
}

/**
 * Creates the proxy and forwarding rule of every Service port that lacks them. A forwarding
 * rule cannot be changed in place, so one pointing elsewhere is refused rather than replaced.
 *
 * The proxy's `proxyHeader` (`sluice.dev/gcp-proxy-protocol`) cannot be changed in place
 * either: the v1 regional API has only insert, get, list and delete for target TCP proxies
 * (`service RegionTargetTcpProxies` in the compute.proto @google-cloud/compute ships;
 * https://cloud.google.com/compute/docs/reference/rest/v1/regionTargetTcpProxies), while
 * `setProxyHeader` exists only for global ones (targetTcpProxies). So:
 * - a proxy with the wrong header and no forwarding rule yet (it carries no traffic, e.g. an
 *   ensure interrupted between the two inserts) is deleted and inserted again;
 * - a proxy with the wrong header behind a forwarding rule is left serving, and once every
 *   other port has converged the change is refused with a TerminalError: replacing it would
 *   mean deleting the forwarding rule, whose ephemeral IP (the Service's ingress IP) would be
 *   lost.
 */
export async function ensureFrontends(
  ctx: StackContext,
  settings: GcpServiceSettings,
  backendService: string,
  signal: AbortSignal,
  labels: Record<string, string>,
  address: string,
): Promise<ForwardingRule[]> {
  const { api } = ctx;
  const scope = { region: api.region };
  const proxies = new Map((await listProxies(ctx, signal)).map((p) => [p.name ?? '', p]));
  const rules = new Map((await listForwardingRules(ctx, signal)).map((r) => [r.name ?? '', r]));
  const description = ownerDescription(ctx.clusterName, ctx.service);
  const refused: string[] = [];
  for (const port of ctx.service.ports) {
    const proxyName = ctx.names.proxy(port.port);
    const proxy = proxies.get(proxyName);
    const proxyPath = regionPath(ctx, 'targetTcpProxies', proxyName);
    const ruleName = ctx.names.forwardingRule(port.port);
    const rule = rules.get(ruleName);
    let insertProxy = !proxy;
    if (proxy) {
      requireOwned(ctx, 'Target TCP proxy', proxy);
      const header = proxy.proxyHeader ?? 'NONE';
      if (header !== settings.proxyHeader) {
        if (rule) refused.push(`${proxyName} (port ${port.port}) has ${header}`);
        else {
          await deleteRegional(ctx, 'regionTargetTcpProxies.delete', signal, (o) =>
            api.clients.regionTargetTcpProxies.delete({ project: api.project, region: api.region, targetTcpProxy: proxyName }, o),
          );
          insertProxy = true;
        }
      }
    }
    if (insertProxy) {
      await api.mutate('regionTargetTcpProxies.insert', scope, signal, (o) =>
        api.clients.regionTargetTcpProxies.insert(
          { project: api.project, region: api.region, targetTcpProxyResource: { name: proxyName, description, service: backendService, proxyHeader: settings.proxyHeader } },
          o,
        ),
      );
    }
    if (rule) {
      requireOwned(ctx, 'Forwarding rule', rule);
      continue;
    }
    const resource: ForwardingRule = {
      name: ruleName,
      description,
      labels,
      IPProtocol: 'TCP',
      IPAddress: address,
      portRange: String(port.port),
      target: proxyPath,
      loadBalancingScheme: scheme(settings),
      network: ctx.network,
      ...(settings.internal && ctx.subnetwork ? { subnetwork: ctx.subnetwork } : {}),
    };
    await api.mutate('forwardingRules.insert', scope, signal, (o) =>
      api.clients.forwardingRules.insert({ project: api.project, region: api.region, forwardingRuleResource: resource }, o),
    );
  }
  // Ports the Service no longer has: forwarding rule first, then its proxy.
  const wantedPorts = new Set(ctx.service.ports.map((p) => p.port));
  for (const [name, rule] of rules) {
    const port = rulePort(rule);
    if (port !== undefined && wantedPorts.has(port)) continue;
    if (!isOwned(rule, ctx.names.prefix, ctx.clusterName, ctx.service)) continue;
    await deleteRegional(ctx, 'forwardingRules.delete', signal, (o) => api.clients.forwardingRules.delete({ project: api.project, region: api.region, forwardingRule: name }, o));
  }
  for (const [name, proxy] of proxies) {
    const m = /-tp-(\d+)$/.exec(name);
    if (m && wantedPorts.has(Number(m[1]))) continue;
    if (!isOwned(proxy, ctx.names.prefix, ctx.clusterName, ctx.service)) continue;
    await deleteRegional(ctx, 'regionTargetTcpProxies.delete', signal, (o) =>
      api.clients.regionTargetTcpProxies.delete({ project: api.project, region: api.region, targetTcpProxy: name }, o),
    );
  }
  if (refused.length > 0) {
    const { namespace, name } = ctx.service;
    throw new TerminalError(
      `Service ${namespace}/${name} annotation ${PROXY_PROTOCOL_ANNOTATION}="${settings.proxyHeader === 'PROXY_V1'}" asks for proxyHeader ${settings.proxyHeader}, but target TCP proxy ${refused.join(', ')} and Google cannot change a regional target TCP proxy's header in place, so set the annotation back or delete and re-create the Service (its IP changes).`,
      { field: `metadata.annotations[${PROXY_PROTOCOL_ANNOTATION}]`, reason: 'ImmutableProxyHeader' },
    );
  }
  return (await listForwardingRules(ctx, signal)).filter((r) => isOwned(r, ctx.names.prefix, ctx.clusterName, ctx.service));
}

/** `status.loadBalancer.ingress` from the forwarding rules: one entry per IP with its ports. */
export function statusOf(rules: readonly ForwardingRule[]): { ingress: { ip: string; ports: { port: number; protocol: 'TCP' }[] }[] } {
  const byIp = new Map<string, { port: number; protocol: 'TCP' }[]>();
  for (const r of rules) {
    const port = rulePort(r);
    if (!r.IPAddress || port === undefined) continue;
    const ports = byIp.get(r.IPAddress) ?? [];
    ports.push({ port, protocol: 'TCP' });
    byIp.set(r.IPAddress, ports);
  }
  return { ingress: [...byIp.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([ip, ports]) => ({ ip, ports: ports.sort((a, b) => a.port - b.port) })) };
}
