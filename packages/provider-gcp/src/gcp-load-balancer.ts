
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
  TerminalError,
} from '@sluice/core';
import { ensureAddress, } from './address.ts';
import { type GcpAnnotationDefaults, parseGcpAnnotations } from './annotations.ts';
import { ensureFrontends, listForwardingRules, statusOf } from './frontends.ts';
import { GcpApi } from './gcp-api.ts';
import { toBackendStatuses } from './health-map.ts';
import { ResourceNames, serviceHash } from './names.ts';
import { NegCache } from './neg-cache.ts';
import { listEndpointsWithHealth, MAX_ENDPOINTS_PER_CALL, syncNeg, wantedByZone } from './neg-sync.ts';
import { type GcpProviderOptions, type ResolvedGcpProviderOptions, resolveOptions } from './options.ts';
import { describeOwner, isOwned, ownerLabels } from './ownership.ts';
import { PrerequisitesCache } from './prerequisites.ts';
import {
  type BackendService,
  ensureBackendService,
  ensureHealthCheck,
  ensureNeg,
  negZones,
  readBackendService,
  requireOwned,
  type StackContext,
} from './stack.ts';
import { PodSubnetwork } from './subnetwork.ts';
import { deleteStack, } from './teardown.ts';
import { checkService, validateService } from './validation.ts';

/** The most endpoint changes one attach or detach call carries. */
export const MAX_BATCH = MAX_ENDPOINTS_PER_CALL;

export class GcpLoadBalancer implements LoadBalancer {
  readonly providerName = 'gcp';
  readonly capabilities: ProviderCapabilities;
  readonly options: ResolvedGcpProviderOptions;
  readonly #api: GcpApi;
  readonly #cache = new NegCache();
  readonly #prerequisites = new PrerequisitesCache();
  readonly #subnetwork: PodSubnetwork;

  /** Resolves the options (environment variables fill what is not given) and builds the clients; sends nothing. */
  constructor(options: GcpProviderOptions, env: Readonly<Record<string, string | undefined>> = process.env) {
    this.options = resolveOptions(options, env);
    this.#api = new GcpApi(this.options);
    this.#subnetwork = new PodSubnetwork(this.#api, this.options.network, this.options.subnetwork);
    this.capabilities = {
      weights: false,
      drainInPlace: false,
      drainMode: 'deregister',
      maxBatch: MAX_BATCH,
      protocols: ['TCP'],
      tracksPodUid: false,
      // loadBalancerSourceRanges cannot be enforced, so the core refuses such a Service (no LB):
      // the only source filter of a forwarding rule, `sourceIpRanges` (ForwardingRule in the
      // compute.proto @google-cloud/compute ships), "can only be used with a regional forwarding
      // rule whose scheme is EXTERNAL" (passthrough), not EXTERNAL_MANAGED / INTERNAL_MANAGED;
      // and the pods see the proxies' addresses, so VPC firewall rules cannot filter clients.
      honours: { sourceRanges: false, loadBalancerIP: false, sessionAffinity: false, ipFamilies: ['IPv4'] },
      // A regional proxy Network Load Balancer: Envoy proxies end the client's connection.
      ipMode: 'Proxy',
      nodeProviderIds: true,
      // The interval of the health checks it creates (unless a Service annotates its own).
      healthCheckIntervalMs: this.options.healthCheckIntervalSeconds * 1000,
    };
  }

  /** `sl-<10 hex>`: the prefix of every resource of the Service. */
  getLoadBalancerName(clusterName: string, service: ServiceSpecView): string {
    return `sl-${serviceHash(clusterName, service)}`;
  }

  validate(service: ServiceSpecView): readonly ServiceProblem[] {
    return validateService(service, this.options.subnetwork !== undefined, this.#defaults);
  }

  /**
   * Reads the forwarding rules and the backend service; the NEGs the latter holds replace what
   * the provider knew (endpoints stay known only for NEGs that did not change).
   */
  async getLoadBalancer(clusterName: string, service: ServiceSpecView, signal: AbortSignal): Promise<LoadBalancerLookup> {
    const ctx = this.#ctx(clusterName, service);
    let bs: BackendService | undefined;
    let rules: Awaited<ReturnType<typeof listForwardingRules>>;
    try {
      rules = (await listForwardingRules(ctx, signal)).filter((r) => isOwned(r, ctx.names.prefix, clusterName, service));
      bs = await readBackendService(ctx, signal);
      if (bs) requireOwned(ctx, 'Backend service', bs);
    } catch (error) {
      this.#cache.forget(ctx.names.backendService);
      throw error;
    }
    if (bs) this.#cache.setNegs(ctx.names.backendService, negZones(ctx, bs));
    else this.#cache.forget(ctx.names.backendService);
    if (!bs && rules.length === 0) return { exists: false };
    return { exists: true, status: statusOf(rules) };
  }

  async ensureLoadBalancer(clusterName: string, service: ServiceSpecView, backends: readonly Backend[], signal: AbortSignal): Promise<LoadBalancerStatus> {
    const { settings, problems } = checkService(service, this.options.subnetwork !== undefined, this.#defaults);
    if (problems.length > 0) throw new TerminalError(problems.map((p) => p.message).join(' '), { field: problems[0]?.field, reason: 'InvalidConfiguration' });
    let ctx = this.#ctx(clusterName, service);
    // An ensure reads everything afresh (it repairs drift), and leaves what it read for the hot path.
    this.#cache.forget(ctx.names.backendService);
    if (this.options.checkPrerequisites) await this.#prerequisites.ensure(ctx, backends, { create: this.options.createFirewallRules, targetTags: this.options.firewallTargetTags }, signal);
    const healthCheck = await ensureHealthCheck(ctx, settings, signal);
    const { zones, unplaced } = wantedByZone(backends);
    if (zones.size > 0) ctx = { ...ctx, subnetwork: await this.#subnetwork.resolve(signal) };
    this.#warnUnplaced(service, unplaced);
    const negs: string[] = [];
    for (const zone of [...zones.keys()].sort()) negs.push(await ensureNeg(ctx, zone, signal));
    const bs = await ensureBackendService(ctx, settings, healthCheck, negs, signal);
    const attached = negZones(ctx, bs);
    this.#cache.setNegs(ctx.names.backendService, attached);
    for (const [zone, neg] of attached) await syncNeg(this.#api, this.#cache, zone, neg, zones.get(zone) ?? new Map(), signal);
    const bsPath = `projects/${this.#api.project}/regions/${this.#api.region}/backendServices/${ctx.names.backendService}`;
    const address = await ensureAddress(ctx, settings, signal);
    const rules = await ensureFrontends(ctx, settings, bsPath, signal, ownerLabels(serviceHash(clusterName, service)), address);
    return statusOf(rules);
  }

  /**
   * Converges the NEG endpoints. The backend service's NEGs and each NEG's endpoints come from
   * what the provider knows (neg-cache.ts), so an update reads nothing unless it is the first
   * since a verify; a backend in a new zone gets its NEG and a backend service update first.
   */
  async updateLoadBalancer(clusterName: string, service: ServiceSpecView, backends: readonly Backend[], signal: AbortSignal): Promise<void> {
    const ctx = this.#ctx(clusterName, service);
    const { zones, unplaced } = wantedByZone(backends);
    this.#warnUnplaced(service, unplaced);
    const known = this.#cache.negs(ctx.names.backendService);
    let attached: ReadonlyMap<string, string>;
    let bs: BackendService | undefined;
    if (known === undefined || [...zones.keys()].some((z) => !known.has(z))) {
      bs = await this.#backendService(ctx, service, signal);
      attached = negZones(ctx, bs);
      this.#cache.setNegs(ctx.names.backendService, attached);
    } else {
      attached = known;
    }
    const newZones = [...zones.keys()].filter((z) => !attached.has(z)).sort();
    if (newZones.length > 0 && bs) {
      const { settings } = parseGcpAnnotations(service, this.#defaults);
      const negs: string[] = [];
      const negCtx = { ...ctx, subnetwork: await this.#subnetwork.resolve(signal) };
      for (const zone of newZones) negs.push(await ensureNeg(negCtx, zone, signal));
      const healthCheck = bs.healthChecks?.[0] ?? `projects/${this.#api.project}/regions/${this.#api.region}/healthChecks/${ctx.names.healthCheck}`;
      try {
        attached = negZones(ctx, await ensureBackendService(ctx, settings, healthCheck, negs, signal));
      } catch (error) {
        this.#cache.forget(ctx.names.backendService);
        throw error;
      }
      this.#cache.setNegs(ctx.names.backendService, attached);
    }
    for (const [zone, neg] of attached) await syncNeg(this.#api, this.#cache, zone, neg, zones.get(zone) ?? new Map(), signal);
  }

  /**
   * Deletes in dependency order (forwarding rules, proxies, backend service, NEGs, health
   * check), each only when its name has the Service's prefix and its description names this
   * cluster and Service UID; anything else is left alone with a warning.
   */
  async ensureLoadBalancerDeleted(clusterName: string, service: ServiceSpecView, signal: AbortSignal): Promise<void> {
    const ctx = this.#ctx(clusterName, service);
    this.#cache.forget(ctx.names.backendService);
    const log = this.options.log;
    await deleteStack(ctx, this.options.region, signal, (kind, name, description) =>
      log.warn('not deleting a resource Sluice cannot prove it owns', { kind, name, ...(description !== undefined ? { why: describeOwner(description) } : {}) }),
    );
    this.#prerequisites.forget(ctx.names.prefix);
  }

  /**
   * One listNetworkEndpoints with `healthStatus: SHOW` per NEG (per page of 500): the cheapest
   * call that gives both what is attached and its health. The NEGs come from what the provider
   * knows of the backend service (read once per verify); what each list shows is remembered for
   * the updates that follow. Any failure forgets the Service, so the next call reads afresh.
   */
  async getBackendHealth(clusterName: string, service: ServiceSpecView, signal: AbortSignal): Promise<readonly BackendStatus[]> {
    const ctx = this.#ctx(clusterName, service);
    const name = ctx.names.backendService;
    try {
      let negs = this.#cache.negs(name);
      if (negs === undefined) {
        const bs = await readBackendService(ctx, signal);
        if (!bs) return [];
        requireOwned(ctx, 'Backend service', bs);
        negs = negZones(ctx, bs);
        this.#cache.setNegs(name, negs);
      }
      const out: BackendStatus[] = [];
      for (const [zone, neg] of negs) {
        const listed = await listEndpointsWithHealth(this.#api, zone, neg, 'SHOW', signal);
        this.#cache.setEndpoints(
          zone,
          neg,
          listed.map((i) => i.networkEndpoint ?? {}),
        );
        out.push(...toBackendStatuses(service, listed, name));
      }
      return out;
    } catch (error) {
      this.#cache.forget(name);
      throw error;
    }
  }

  async close(): Promise<void> {
    await this.#api.close();
  }

  #ctx(clusterName: string, service: ServiceSpecView): StackContext {
    return {
      api: this.#api,
      clusterName,
      service,
      names: new ResourceNames(clusterName, service, this.options.region),
      network: this.options.network,
      subnetwork: this.options.subnetwork,
    };
  }

  /** What the options set for a Service whose annotations say nothing. */
  get #defaults(): GcpAnnotationDefaults {
    return { healthCheckIntervalSeconds: this.options.healthCheckIntervalSeconds, drainingTimeoutSeconds: this.options.drainingTimeoutSeconds };
  }

  /** The Service's backend service, read now; retryable when ensureLoadBalancer has not made it yet. */
  async #backendService(ctx: StackContext, service: ServiceSpecView, signal: AbortSignal): Promise<BackendService> {
    const bs = await readBackendService(ctx, signal);
    if (!bs) {
      throw new RetryableError(
        `Backend service ${ctx.names.backendService} of Service ${service.namespace}/${service.name} does not exist yet: ensureLoadBalancer creates it before backends can be registered.`,
        { reason: 'LoadBalancerMissing' },
      );
    }
    requireOwned(ctx, 'Backend service', bs);
    return bs;
  }

  #warnUnplaced(service: ServiceSpecView, unplaced: readonly Backend[]): void {
    if (unplaced.length === 0) return;
    this.options.log.warn('backends without a node or zone cannot join a zonal NEG; they stay off the load balancer', {
      service: `${service.namespace}/${service.name}`,
      pods: unplaced.slice(0, 10).map((b) => b.podName),
      count: unplaced.length,
    });
  }
}
