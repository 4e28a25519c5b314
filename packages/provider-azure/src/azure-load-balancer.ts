/**
 * The azure provider: one Standard Load Balancer per Service with one frontend, and per
 * Service port an IP-based backend pool of pod IPs, a TCP probe and a load-balancing rule.
 * Draining is Azure's own: a drained pod's address stays in the pool with adminState
 * `Down` (no new flows, established TCP flows continue), so `drainMode` is `native` and
 * `drainInPlace` is true.
 *
 * Methods map core types to Azure calls and back; the steps live in load-balancer-sync.ts,
 * load-balancer-delete.ts and pool-sync.ts, every call goes through AzureApi.
 */
import type { LoadBalancer as AzureLb, LoadBalancerHealthPerRule } from '@azure/arm-network';
import {
  type Backend,
  type BackendStatus,
  type LoadBalancer,
  type LoadBalancerLookup,
  type LoadBalancerStatus,
  type ProviderCapabilities,
  RetryableError,
  type ServiceProblem,
  type ServiceSpecView,
  type StartupContext,
  TerminalError,
} from '@sluice/core';
import { parseAzureAnnotations } from './annotations.ts';
import { AzureApi } from './azure-api.ts';
import { isNotFound } from './errors.ts';
import { toBackendStatuses } from './health-map.ts';
import { frontendPublicIpId, privateFrontendIp } from './lb-spec.ts';
import { deleteStack } from './load-balancer-delete.ts';
import { ensureStack, statusOf } from './load-balancer-sync.ts';
import { type AzureContext, parseResourceId, RulePortCache, readLoadBalancer, requireOwned } from './lookup.ts';
import { isSluiceAddress, loadBalancerName } from './names.ts';
import { NsgWriter, rulePortsOf } from './nsg-sync.ts';
import { type AzureProviderOptions, type ResolvedAzureProviderOptions, resolveOptions } from './options.ts';
import { PoolCache } from './pool-cache.ts';
import { adminStateOf, backendPortsOf, DRAINING_ADMIN_STATE, wantedAddresses } from './pool-spec.ts';
import { syncPool } from './pool-sync.ts';
import { PublicIpAddressCache } from './public-ip.ts';
import { knownPorts, type PortView, ruleHealth } from './rule-health.ts';
import { hasShareTag } from './shared-lb-spec.ts';
import { deleteShared, ensureShared, moveError, type SharedPlacement, sharedPlacement } from './shared-sync.ts';
import { runStartupChecks } from './startup-checks.ts';
import { type AzureServicePolicy, checkService, validateService } from './validation.ts';

/** The most addresses one update may carry; Azure allows 1000 IP addresses per IP-based pool. */
export const MAX_BATCH = 1000;


export class AzureLoadBalancer implements LoadBalancer {
  readonly providerName = 'azure';
  readonly options: ResolvedAzureProviderOptions;
  readonly capabilities: ProviderCapabilities;
  readonly #ctx: AzureContext;
  /** The frontends' public IP addresses, shared with the context so ensure's reads and creates fill it. */
  readonly #addresses = new PublicIpAddressCache();
  /** Load balancer rules whose health API failed, so the warning is logged once per cause. */
  readonly #healthWarned = new Set<string>();
  /**
   * Per Service UID, the load balancer its parts were last ensured in (`''`: its own), so a
   * changed `sluice.dev/azure-load-balancer-name` is refused instead of leaving parts behind.
   * In memory only; after a restart, a move onto a shared load balancer is still caught by
   * the dedicated load balancer's existence, the other directions are not.
   */
  readonly #placements = new Map<string, string>();
  /** Writes the Services' rules into the operator's network security group; undefined when none is configured. */
  readonly #nsg: NsgWriter | undefined;

  /**
   * Resolves the options (environment variables fill what is not given) and builds the
   * client; nothing is sent until the first call.
   */
  constructor(options: AzureProviderOptions, env: Readonly<Record<string, string | undefined>> = process.env) {
    this.options = resolveOptions(options, env);
    this.#ctx = { api: new AzureApi(this.options), rulePorts: new RulePortCache(), pools: new PoolCache(), addresses: this.#addresses, log: this.options.log };
    const nsg = this.options.securityGroup;
    this.#nsg = nsg ? new NsgWriter(this.#ctx.api, { ...nsg, priorities: this.options.securityRulePriorities }) : undefined;
    this.capabilities = {
      weights: false,
      drainInPlace: true,
      drainMode: 'native',
      maxBatch: MAX_BATCH,
      protocols: ['TCP', 'UDP'],
      tracksPodUid: false,
      // Source ranges are enforced by Sluice's rules in the network security group, when it has one to write.
      honours: { sourceRanges: this.#nsg !== undefined, loadBalancerIP: false, sessionAffinity: false, ipFamilies: ['IPv4'] },
      // A Standard LB is a pass-through L4 VIP.
      ipMode: 'VIP',
      // The interval of the probes it creates (unless a Service annotates its own).
      healthCheckIntervalMs: this.options.probeIntervalSeconds * 1000,
    };
  }

  getLoadBalancerName(clusterName: string, service: ServiceSpecView): string {
    return parseAzureAnnotations(service).settings.sharedLoadBalancer ?? loadBalancerName(clusterName, service);
  }

  validate(service: ServiceSpecView): readonly ServiceProblem[] {
    return validateService(service, this.#defaults);
  }

  async getLoadBalancer(clusterName: string, service: ServiceSpecView, signal: AbortSignal): Promise<LoadBalancerLookup> {
    const shared = this.#shared(clusterName, service);
    if (shared) {
      const lb = await readLoadBalancer(this.#ctx, shared.lbName, signal);
      if (!lb || !hasShareTag(lb, shared)) return { exists: false };
      this.#ctx.rulePorts.remember(shared.cacheKey, lb, shared.prefix);
      return { exists: true, status: statusOf(await this.#frontendIp(lb, signal, shared.frontendName)) };
    }
    const lb = await readLoadBalancer(this.#ctx, loadBalancerName(clusterName, service), signal);
    if (!lb) return { exists: false };
    requireOwned(this.#ctx, lb, clusterName, service);
    return { exists: true, status: statusOf(await this.#frontendIp(lb, signal)) };
  }

  async ensureLoadBalancer(clusterName: string, service: ServiceSpecView, backends: readonly Backend[], signal: AbortSignal): Promise<LoadBalancerStatus> {
    const { settings, problems } = checkService(service, this.#defaults);
    if (problems.length > 0) {
      throw new TerminalError(problems.map((p) => p.message).join(' '), { field: problems[0]?.field, reason: 'InvalidConfiguration' });
    }
    const placed = this.#placements.get(service.uid);
    const wanted = settings.sharedLoadBalancer ?? '';
    if (placed !== undefined && placed !== wanted) {
      const where = (lb: string) => (lb === '' ? `its own load balancer ${loadBalancerName(clusterName, service)}` : `shared load balancer ${lb}`);
      throw moveError(service, where(placed), where(wanted));
    }
    const status = settings.sharedLoadBalancer
      ? await ensureShared(this.#ctx, { clusterName, service, settings, backends }, signal)
      : await ensureStack(this.#ctx, { clusterName, service, settings, backends }, signal);
    this.#placements.set(service.uid, wanted);
    if (this.#nsg) {
      // The rules follow the rules of the load balancer just ensured: same ports, same backend ports.
      const cacheKey = settings.sharedLoadBalancer ? this.#shared(clusterName, service)!.cacheKey : loadBalancerName(clusterName, service);
      const own = backends.filter((b) => service.ports.some((p) => p.name === b.servicePort));
      await this.#nsg.ensure(clusterName, service, rulePortsOf(service, this.#ctx.rulePorts.get(cacheKey), own), signal);
    }
    return status;
  }

  async updateLoadBalancer(clusterName: string, service: ServiceSpecView, backends: readonly Backend[], signal: AbortSignal): Promise<void> {
    const shared = this.#shared(clusterName, service);
    const name = shared?.lbName ?? loadBalancerName(clusterName, service);
    const cacheKey = shared?.cacheKey ?? name;
    const prefix = shared?.prefix ?? '';
    const own = backends.filter((b) => service.ports.some((p) => p.name === b.servicePort));
    const backendPorts = backendPortsOf(service, own);
    let rulePorts = this.#ctx.rulePorts.get(cacheKey);
    if (rulePorts === undefined) {
      const lb = await readLoadBalancer(this.#ctx, name, signal);
      if (!lb || (shared && !hasShareTag(lb, shared))) {
        throw new RetryableError(
          `Load balancer ${name} of Service ${service.namespace}/${service.name} does not exist yet: ensureLoadBalancer creates it before backends can be registered.`,
          { reason: 'LoadBalancerMissing' },
        );
      }
      if (shared) this.#ctx.rulePorts.remember(cacheKey, lb, prefix);
      else requireOwned(this.#ctx, lb, clusterName, service);
      rulePorts = this.#ctx.rulePorts.get(cacheKey) ?? new Map();
    }
    const known = rulePorts;
    const stale = service.ports.some((p) => !known.has(p.name) || (backendPorts.has(p.name) && backendPorts.get(p.name) !== known.get(p.name)));
    if (stale) {
      // A port was added, or its backends moved to another target port: converge the whole LB.
      this.#ctx.log.info('load balancer rules differ from the Service, converging load balancer', { service: `${service.namespace}/${service.name}`, name });
      await this.ensureLoadBalancer(clusterName, service, backends, signal);
      return;
    }
    // A new pod's address is allowed by the group before it joins the pool (its probe passes regardless, so its gate could open first).
    await this.#nsg?.ensure(clusterName, service, rulePortsOf(service, known, own), signal, false);
    for (const port of service.ports) {
      const wanted = wantedAddresses(
        own.filter((b) => b.servicePort === port.name),
        this.#ctx.api.virtualNetworkId,
      );
      try {
        await syncPool(this.#ctx.api, this.#ctx.pools, name, `${prefix}${port.name}`, wanted, signal);
      } catch (error) {
        if (!isNotFound(error)) throw error;
        // The pool or the load balancer went away under us (deleted by hand): converge it all.
        this.#ctx.rulePorts.forget(cacheKey);
        this.#ctx.log.info('backend pool missing, converging load balancer', { service: `${service.namespace}/${service.name}`, name, pool: port.name });
        await this.ensureLoadBalancer(clusterName, service, backends, signal);
        return;
      }
    }
  }

  async ensureLoadBalancerDeleted(clusterName: string, service: ServiceSpecView, signal: AbortSignal): Promise<void> {
    const shared = parseAzureAnnotations(service).settings.sharedLoadBalancer;
    if (shared) await deleteShared(this.#ctx, clusterName, service, shared, signal);
    else await deleteStack(this.#ctx, clusterName, service, signal);
    await this.#nsg?.remove(clusterName, service, signal);
    this.#placements.delete(service.uid);
  }

  /**
   * Per Service port, the addresses of its pool with Azure's health report for its rule: one
   * load-balancing-rule health query per port (none when every address is drained). The pools
   * and rule ports come from what the provider last read or wrote (pool-cache.ts, lookup.ts);
   * only when it knows neither is the load balancer read first.
   */
  async getBackendHealth(clusterName: string, service: ServiceSpecView, signal: AbortSignal): Promise<readonly BackendStatus[]> {
    const shared = this.#shared(clusterName, service);
    const name = shared?.lbName ?? loadBalancerName(clusterName, service);
    const prefix = shared?.prefix ?? '';
    let views: PortView[] | undefined = knownPorts(this.#ctx, name, shared?.cacheKey ?? name, prefix, service);
    if (views === undefined) {
      const lb = await readLoadBalancer(this.#ctx, name, signal);
      if (!lb || (shared && !hasShareTag(lb, shared))) return [];
      if (shared) this.#ctx.rulePorts.remember(shared.cacheKey, lb, prefix);
      else requireOwned(this.#ctx, lb, clusterName, service);
      views = service.ports.map((port) => {
        const child = `${prefix}${port.name}`;
        const rule = lb.loadBalancingRules?.find((r) => r.name === child);
        const pool = lb.backendAddressPools?.find((p) => p.name === child);
        return { port: port.name, child, pool, rule: rule !== undefined, backendPort: rule?.backendPort ?? lb.probes?.find((p) => p.name === child)?.port };
      });
    }
    const out: BackendStatus[] = [];
    for (const { port, child, pool, rule, backendPort } of views) {
      const addresses = (pool?.loadBalancerBackendAddresses ?? []).filter(isSluiceAddress);
      if (addresses.length === 0 || backendPort === undefined) continue;
      let health: LoadBalancerHealthPerRule | undefined;
      let unavailable: string | undefined;
      if (!rule) unavailable = `load balancer ${name} has no rule ${child} yet`;
      else if (addresses.some((a) => adminStateOf(a) !== DRAINING_ADMIN_STATE)) {
        ({ health, unavailable } = await ruleHealth(this.#ctx, this.#healthWarned, name, child, signal));
        // The report names an address the remembered pool lacks: someone else changed the pool.
        const inPool = new Set((pool?.loadBalancerBackendAddresses ?? []).map((a) => a.ipAddress));
        if ((health?.loadBalancerBackendAddresses ?? []).some((h) => h.networkInterfaceIPConfigurationId === undefined && h.ipAddress !== undefined && !inPool.has(h.ipAddress))) {
          this.#ctx.pools.forget(name, child);
        }
      }
      out.push(...toBackendStatuses(port, backendPort, addresses, health, unavailable));
    }
    return out;
  }


  /** See startup-checks.ts. */
  startupChecks(context: StartupContext, signal: AbortSignal): Promise<ServiceProblem[]> {
    return runStartupChecks(this.#ctx.api, this.#nsg, context, signal);
  }

  async close(): Promise<void> {
    // The SDK keeps no sockets or timers that need closing; nothing to release.
  }


  /** What the options decide for every Service: defaults for what its annotations leave out, and the shared load balancers it may name. */
  get #defaults(): AzureServicePolicy {
    return { probeIntervalSeconds: this.options.probeIntervalSeconds, probeThreshold: this.options.probeThreshold, sharedLoadBalancers: this.options.sharedLoadBalancers };
  }

  /** Where the Service's parts live when it names a shared load balancer; undefined for its own. */
  #shared(clusterName: string, service: ServiceSpecView): SharedPlacement | undefined {
    const lbName = parseAzureAnnotations(service).settings.sharedLoadBalancer;
    return lbName ? sharedPlacement(clusterName, service, lbName) : undefined;
  }

  /** The frontend's IP: the public IP resource's address, or the private frontend address. */
  async #frontendIp(lb: AzureLb, signal: AbortSignal, frontendName?: string): Promise<string | undefined> {
    const pipId = frontendPublicIpId(lb, frontendName);
    if (pipId === undefined) return privateFrontendIp(lb, frontendName);
    const ref = parseResourceId(pipId);
    if (!ref) return undefined;
    return this.#addresses.address(this.#ctx, ref.resourceGroup, ref.name, signal);
  }
}
