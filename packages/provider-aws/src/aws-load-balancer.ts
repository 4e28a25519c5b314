/**
 * The aws provider: one ELBv2 Network Load Balancer per Service, one `ip` target group and
 * one listener per Service port, pod IPs as targets. Draining is AWS's own: a
 * deregistered target stays `draining` for the target group's deregistration delay while
 * its open connections finish, so `drainMode` is `deregister` and a drained backend is
 * reported with weight 0 until AWS drops it.
 *
 * Methods map core types to AWS calls and back; the steps live in load-balancer-sync.ts,
 * load-balancer-delete.ts and target-sync.ts, every call goes through AwsApi.
 */
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
import { AwsApi } from './aws-api.ts';
import { isNotFound } from './errors.ts';
import { toBackendStatus } from './health-map.ts';
import { deleteStackAndGroups } from './load-balancer-delete.ts';
import { ensureStack, statusOf } from './load-balancer-sync.ts';
import { type AwsContext, findLoadBalancer, requireOwned, targetGroupsOf } from './lookup.ts';
import { loadBalancerName, targetGroupName } from './names.ts';
import { type AwsProviderOptions, type ResolvedAwsProviderOptions, resolveOptions } from './options.ts';
import { ResourceCache } from './resource-cache.ts';
import type { BackendGroupSettings } from './security-groups.ts';
import { followBackendPorts } from './security-sync.ts';
import { portSpecs } from './target-group-spec.ts';
import { type TargetPlacer, targetPlacer, unservedZoneRejection } from './target-placement.ts';
import { describeRemembered, MAX_TARGETS_PER_CALL, syncTargets } from './target-sync.ts';
import { checkService, validateService } from './validation.ts';

/** Service port name -> target group ARN, for the ports whose group exists. */
type PortGroups = Map<string, string>;

/** What the provider can do; the health-check interval is the one it configures on target groups. */
export function capabilitiesOf(options: Pick<ResolvedAwsProviderOptions, 'healthCheckIntervalSeconds'>): ProviderCapabilities {
  return {
    weights: false,
    drainInPlace: false,
    drainMode: 'deregister',
    maxBatch: MAX_TARGETS_PER_CALL,
    protocols: ['TCP', 'UDP'],
    tracksPodUid: false,
    // Enforced by the inbound rules of the NLB's own security group (security-sync.ts).
    honours: { sourceRanges: true, loadBalancerIP: false, sessionAffinity: false, ipFamilies: ['IPv4'] },
    // The status carries the NLB's DNS name, not an IP, so no ipMode is written; VIP is the NLB's model.
    ipMode: 'VIP',
    healthCheckIntervalMs: options.healthCheckIntervalSeconds * 1000,
  };
}

export class AwsLoadBalancer implements LoadBalancer {
  readonly providerName = 'aws';
  readonly capabilities: ProviderCapabilities;
  readonly options: ResolvedAwsProviderOptions;
  readonly #ctx: AwsContext;

  /**
   * Resolves the options (`SLUICE_AWS_HEALTHCHECK_INTERVAL` in `env` fills the health-check
   * interval when it is not given) and builds the clients; nothing is sent until the first call.
   */
  constructor(options: AwsProviderOptions, env: Readonly<Record<string, string | undefined>> = process.env) {
    this.options = resolveOptions(options, env);
    this.#ctx = { api: new AwsApi(this.options), cache: new ResourceCache(), log: this.options.log };
    this.capabilities = capabilitiesOf(this.options);
  }

  getLoadBalancerName(clusterName: string, service: ServiceSpecView): string {
    return loadBalancerName(clusterName, service);
  }

  validate(service: ServiceSpecView): readonly ServiceProblem[] {
    return validateService(service, this.#defaults);
  }

  async getLoadBalancer(clusterName: string, service: ServiceSpecView, signal: AbortSignal): Promise<LoadBalancerLookup> {
    const lb = await findLoadBalancer(this.#ctx, clusterName, service, signal);
    if (!lb) return { exists: false };
    await requireOwned(this.#ctx, lb, clusterName, service, signal);
    return { exists: true, status: statusOf(lb) };
  }

  async ensureLoadBalancer(clusterName: string, service: ServiceSpecView, backends: readonly Backend[], signal: AbortSignal): Promise<LoadBalancerStatus> {
    const { settings, problems } = checkService(service, this.#defaults);
    if (problems.length > 0) {
      throw new TerminalError(problems.map((p) => p.message).join(' '), { field: problems[0]?.field, reason: 'InvalidConfiguration' });
    }
    return ensureStack(this.#ctx, { clusterName, service, settings, backends, backendGroups: this.#backendGroups }, signal);
  }

  async updateLoadBalancer(clusterName: string, service: ServiceSpecView, backends: readonly Backend[], signal: AbortSignal): Promise<void> {
    await this.#withGroups(clusterName, service, signal, async (groups) => {
      if (groups === undefined) {
        throw new RetryableError(
          `Load balancer ${loadBalancerName(clusterName, service)} of Service ${service.namespace}/${service.name} does not exist yet: ensureLoadBalancer creates it before backends can be registered.`,
          { reason: 'LoadBalancerMissing' },
        );
      }
      if (service.ports.some((p) => !groups.has(p.name))) {
        // A target group went missing (deleted by hand, or a port was added): converge the whole LB.
        this.#ctx.log.info('target group missing, converging load balancer', { service: `${service.namespace}/${service.name}` });
        await this.ensureLoadBalancer(clusterName, service, backends, signal);
        return;
      }
      // A pod in a zone the NLB does not serve is refused before any write (the core reports it on the pod).
      const known = this.#ctx.cache.loadBalancer(loadBalancerName(clusterName, service));
      const rejection = known ? await unservedZoneRejection(this.#ctx, known, service, backends, signal) : undefined;
      if (rejection) throw rejection;
      // Backends on target ports the pods' security-group rules were not made for: the rules follow first.
      if (known) {
        const { settings } = checkService(service, this.#defaults);
        const input = { clusterName, service, scheme: settings.scheme, backends, backendGroups: this.#backendGroups };
        await followBackendPorts(this.#ctx, input, known, portSpecs(clusterName, service, settings, backends), signal);
      }
      const placer = this.#placer(clusterName, service, backends, signal);
      for (const port of service.ports) {
        const own = backends.filter((b) => b.servicePort === port.name);
        await syncTargets(this.#ctx.api, this.#ctx.cache, groups.get(port.name)!, own, signal, undefined, placer);
      }
    });
  }

  async ensureLoadBalancerDeleted(clusterName: string, service: ServiceSpecView, signal: AbortSignal): Promise<void> {
    await deleteStackAndGroups(this.#ctx, clusterName, service, signal);
  }

  /**
   * One DescribeTargetHealth per target group, the cheapest call that gives target health;
   * the group ARNs come from the cache. What it shows is remembered, so the updates that follow
   * diff against it instead of describing the group again.
   */
  async getBackendHealth(clusterName: string, service: ServiceSpecView, signal: AbortSignal): Promise<readonly BackendStatus[]> {
    return this.#withGroups(clusterName, service, signal, async (groups) => {
      if (groups === undefined) return [];
      const out: BackendStatus[] = [];
      // A rule the pods' security groups lack (when Sluice does not manage them) is why their targets fail: say so.
      const gap = this.#ctx.cache.ruleGap(loadBalancerName(clusterName, service));
      for (const port of service.ports) {
        const arn = groups.get(port.name);
        if (arn === undefined) continue;
        for (const d of await describeRemembered(this.#ctx.api, this.#ctx.cache, arn, signal)) {
          const status = toBackendStatus(port.name, d);
          if (!status) continue;
          out.push(gap && status.health !== 'healthy' && status.weight !== 0 ? { ...status, reason: [status.reason, gap].filter(Boolean).join('; ') } : status);
        }
      }
      return out;
    });
  }

  async close(): Promise<void> {
    this.#ctx.api.close();
  }

  /**
   * Places the update's registrations on the Service's load balancer as last learnt (cached by
   * the lookup that found its target groups); only if it is not known is it described, when a
   * target is actually to be registered.
   */
  #placer(clusterName: string, service: ServiceSpecView, backends: readonly Backend[], signal: AbortSignal): TargetPlacer {
    const ctx = this.#ctx;
    let inner: TargetPlacer | undefined;
    return {
      async place(targets) {
        const lb = ctx.cache.loadBalancer(loadBalancerName(clusterName, service)) ?? (await findLoadBalancer(ctx, clusterName, service, signal));
        if (!lb) return [...targets];
        inner = targetPlacer(ctx, lb, service, backends, signal);
        return inner.place(targets);
      },
      registrationFailed(error) {
        inner?.registrationFailed(error);
      },
    };
  }

  /** Where the pods' security groups are and whether Sluice manages their rules. */
  get #backendGroups(): BackendGroupSettings {
    return { groups: this.options.backendSecurityGroups, rules: this.options.backendSecurityGroupRules };
  }

  /** What the options set for a Service whose annotations say nothing. */
  get #defaults() {
    return { healthCheckIntervalSeconds: this.options.healthCheckIntervalSeconds };
  }

  /**
   * Runs `fn` with the Service's target group ARNs (undefined when its load balancer does
   * not exist). A cached ARN AWS no longer knows is dropped and `fn` runs once more with
   * fresh ones; `fn` must therefore be safe to repeat, which reads and converging writes are.
   */
  async #withGroups<T>(clusterName: string, service: ServiceSpecView, signal: AbortSignal, fn: (groups: PortGroups | undefined) => Promise<T>): Promise<T> {
    try {
      return await fn(await this.#groups(clusterName, service, signal));
    } catch (error) {
      if (!isNotFound(error, 'TargetGroupNotFound', 'LoadBalancerNotFound')) throw error;
      this.#ctx.log.debug('cached AWS resource is gone, looking again', { service: `${service.namespace}/${service.name}` });
      for (const p of service.ports) this.#ctx.cache.forgetTargetGroup(targetGroupName(clusterName, service, p));
      return fn(await this.#groups(clusterName, service, signal, true));
    }
  }

  /** Target group ARNs per port: from the cache when all are known, else via the load balancer. */
  async #groups(clusterName: string, service: ServiceSpecView, signal: AbortSignal, fresh = false): Promise<PortGroups | undefined> {
    const names = new Map(service.ports.map((p) => [p.name, targetGroupName(clusterName, service, p)]));
    const groups: PortGroups = new Map();
    for (const [port, name] of names) {
      const arn = this.#ctx.cache.targetGroup(name);
      if (arn !== undefined) groups.set(port, arn);
    }
    if (groups.size === names.size && !fresh) return groups;

    const cached = fresh ? undefined : this.#ctx.cache.loadBalancer(loadBalancerName(clusterName, service));
    const lb = cached ?? (await findLoadBalancer(this.#ctx, clusterName, service, signal));
    if (!lb) return undefined;
    await requireOwned(this.#ctx, lb, clusterName, service, signal);
    const byName = new Map((await targetGroupsOf(this.#ctx, lb.arn, signal)).map((g) => [g.TargetGroupName, g.TargetGroupArn]));
    groups.clear();
    for (const [port, name] of names) {
      const arn = byName.get(name);
      if (arn === undefined) continue;
      this.#ctx.cache.setTargetGroup(name, arn);
      groups.set(port, arn);
    }
    return groups;
  }
}
