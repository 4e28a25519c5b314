/**
 * What the provider has already learnt from AWS, so an idle resync costs one
 * DescribeLoadBalancers (getLoadBalancer) and one DescribeTargetHealth per port
 * (getBackendHealth) instead of re-describing every resource, and a backend update costs no
 * read at all.
 *
 * Entries are facts learnt from AWS, never guesses; a NotFound from AWS for a cached ARN
 * drops the entry (and the load balancer's whole Service) so the next call looks again.
 * Keys are resource names, which embed the cluster and Service UID hash.
 *
 * Registrations are the one fact that changes on its own (AWS ends a drain; a person may
 * deregister by hand), so they are only as old as the last DescribeTargetHealth: every health
 * read replaces them, and the core reads health before it decides any registration. Sluice's
 * own RegisterTargets / DeregisterTargets are applied to them as they succeed; a failed
 * change drops them, so the next update describes the group again.
 */
import type { TargetHealthLike } from './health-map.ts';

export interface KnownLoadBalancer {
  readonly arn: string;
  readonly name: string;
  readonly dnsName: string;
  readonly vpcId: string;
  readonly scheme: string;
  readonly subnetIds: readonly string[];
  /** The availability zones the NLB has a subnet in (the only zones whose targets it serves). */
  readonly zones: readonly string[];
  /** The NLB's security groups (none: it was created without, and can never get any). @default [] */
  readonly securityGroups?: readonly string[];
}

export class ResourceCache {
  readonly #loadBalancers = new Map<string, KnownLoadBalancer>();
  /** LB ARNs whose ownership tags were checked. */
  readonly #owned = new Set<string>();
  readonly #targetGroups = new Map<string, string>();
  /** Target group ARN -> its registrations, as DescribeTargetHealth shows them. */
  readonly #registrations = new Map<string, readonly TargetHealthLike[]>();
  /** VPC ID -> its associated IPv4 CIDR blocks (DescribeVpcs). */
  readonly #vpcCidrs = new Map<string, readonly string[]>();
  /** LB name -> the pods' security-group rules it lacks, as a sentence (only when Sluice does not manage them). */
  readonly #ruleGaps = new Map<string, string>();
  /** LB name -> its security group and the backend ports the pods' rules were made for. */
  readonly #backendRules = new Map<string, { readonly nlbGroup: string; readonly portsKey: string }>();

  backendRules(lbName: string): { readonly nlbGroup: string; readonly portsKey: string } | undefined {
    return this.#backendRules.get(lbName);
  }

  setBackendRules(lbName: string, rules: { readonly nlbGroup: string; readonly portsKey: string }): void {
    this.#backendRules.set(lbName, rules);
  }

  /** What the last ensure found missing in the pods' security groups for this LB; undefined when nothing. */
  ruleGap(lbName: string): string | undefined {
    return this.#ruleGaps.get(lbName);
  }

  setRuleGap(lbName: string, gap: string | undefined): void {
    if (gap === undefined) this.#ruleGaps.delete(lbName);
    else this.#ruleGaps.set(lbName, gap);
  }

  loadBalancer(name: string): KnownLoadBalancer | undefined {
    return this.#loadBalancers.get(name);
  }

  /** Records the load balancer; a different ARN under the same name resets what was known. */
  setLoadBalancer(lb: KnownLoadBalancer, targetGroupPrefix: string): void {
    const prior = this.#loadBalancers.get(lb.name);
    if (prior && prior.arn !== lb.arn) this.forget(lb.name, targetGroupPrefix);
    this.#loadBalancers.set(lb.name, lb);
  }

  isOwned(arn: string): boolean {
    return this.#owned.has(arn);
  }

  setOwned(arn: string): void {
    this.#owned.add(arn);
  }

  targetGroup(name: string): string | undefined {
    return this.#targetGroups.get(name);
  }

  setTargetGroup(name: string, arn: string): void {
    this.#targetGroups.set(name, arn);
  }

  forgetTargetGroup(name: string): void {
    const arn = this.#targetGroups.get(name);
    if (arn !== undefined) this.#registrations.delete(arn);
    this.#targetGroups.delete(name);
  }

  /** The group's registrations as last described (with Sluice's own changes since), if known. */
  registrations(targetGroupArn: string): readonly TargetHealthLike[] | undefined {
    return this.#registrations.get(targetGroupArn);
  }

  setRegistrations(targetGroupArn: string, registrations: readonly TargetHealthLike[]): void {
    this.#registrations.set(targetGroupArn, registrations);
  }

  forgetRegistrations(targetGroupArn: string): void {
    this.#registrations.delete(targetGroupArn);
  }

  /** The VPC's associated IPv4 CIDR blocks, if known. */
  vpcCidrs(vpcId: string): readonly string[] | undefined {
    return this.#vpcCidrs.get(vpcId);
  }

  setVpcCidrs(vpcId: string, cidrs: readonly string[]): void {
    this.#vpcCidrs.set(vpcId, cidrs);
  }

  /** Dropped when a registration fails, in case the VPC gained a CIDR block since. */
  forgetVpcCidrs(vpcId: string): void {
    this.#vpcCidrs.delete(vpcId);
  }

  /** Drops the load balancer and every target group (and its registrations) whose name starts with the prefix. */
  forget(loadBalancerName: string, targetGroupPrefix: string): void {
    const lb = this.#loadBalancers.get(loadBalancerName);
    if (lb) this.#owned.delete(lb.arn);
    this.#loadBalancers.delete(loadBalancerName);
    for (const name of [...this.#targetGroups.keys()]) if (name.startsWith(targetGroupPrefix)) this.forgetTargetGroup(name);
  }
}
