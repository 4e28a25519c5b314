/**
 * The NLB twin: what an AWS Network Load Balancer does and moto does not, as a hook of the
 * AWS front (front.ts). moto stays the control plane; the twin mirrors its ELBv2 state into a
 * data plane (@sluice/dataplane, normally the sluice-dataplane process) and answers from it:
 *
 * - each NLB gets a loopback address (127.77.x.y, what its DNS name resolves to here), each
 *   TCP listener a data-plane listener there on its port, forwarding to its target group;
 * - each target group becomes a data-plane group with its health check (protocol, port,
 *   path, matcher, interval, timeout, thresholds) and attributes: deregistration delay and
 *   connection termination ("Deregistration delay"), `proxy_protocol_v2.enabled` ("Proxy
 *   protocol"), `preserve_client_ip.enabled` ("Client IP preservation"), and fail-open ("If
 *   no enabled Availability Zone has a healthy target, the load balancer routes to all
 *   targets": "Health checks for Network Load Balancer target groups"), all from the
 *   "Target groups for your Network Load Balancers" chapter of the ELB user guide;
 * - RegisterTargets / DeregisterTargets reach the data plane once moto accepted them;
 *   DescribeTargetHealth is answered from it (target-health.ts): `initial` until the checks
 *   pass, `healthy`, `unhealthy`, `draining` for the deregistration delay, `unused` for a
 *   target in a zone the NLB is not in or in a group no listener uses.
 *
 * Refusals moto lacks (target-rules.ts): an IP outside the VPC without AvailabilityZone
 * `all`, the targets-per-group quota, SetSecurityGroups on an NLB created without groups.
 * Deregistering a target that is not registered succeeds, as on AWS (moto refuses it).
 *
 * The twin reads moto with its own access key, straight (not through the front), so its
 * reads are neither throttled nor counted as the controller's.
 */

import { EC2Client } from '@aws-sdk/client-ec2';
import {
  DescribeListenersCommand,
  DescribeLoadBalancersCommand,
  DescribeTargetGroupAttributesCommand,
  DescribeTargetGroupsCommand,
  ElasticLoadBalancingV2Client,
  type LoadBalancer,
  type TargetGroup,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { DataPlane } from '@sluice/dataplane';
import type { FrontHook, HookAnswer, HookCall } from './front.ts';
import { elbAnswer, elbRefusal, targetParams, withTargets } from './query-protocol.ts';
import { nlbGroupTag } from './security-group-firewall.ts';
import { targetHealthXml } from './target-health.ts';
import { type NetworkView, registrationRefusal, TARGETS_PER_TARGET_GROUP } from './target-rules.ts';
import { TwinFirewall } from './twin-firewall.ts';
import { applyGroupSource, arnId, forwardTarget, type GroupState, groupSpecs, healthEntries, lbArnOfListener, type NlbState, podTags, readNetwork } from './twin-model.ts';

export interface NlbTwinOptions {
  /** moto's endpoint. */
  readonly moto: string;
  readonly region: string;
  readonly dataPlane: DataPlane;
  /** The first two octets of the NLBs' loopback addresses. @default '127.77' */
  readonly addressPrefix?: string;
  /** How long a new target stays `initial` before its first check (AWS's registration latency), vendor ms. @default 0 */
  readonly registrationDelayMs?: number;
  /** The targets-per-target-group quota ("Quotas for your Network Load Balancers"). @default 1000 */
  readonly targetsPerTargetGroup?: number;
  /**
   * The security groups of the pods' network interfaces, by address range (what EC2 would know
   * from the ENIs the pod IPs live on). @default none: targets are in no group, nothing filters them
   */
  readonly podSecurityGroups?: readonly { readonly cidr: string; readonly groupIds: readonly string[] }[];
}

const TWIN_CREDENTIALS = { accessKeyId: 'AKIDSLUICENLBTWIN', secretAccessKey: 'twin' };
export class NlbTwin implements FrontHook {
  readonly #o: NlbTwinOptions;
  readonly #elb: ElasticLoadBalancingV2Client;
  readonly #ec2: EC2Client;
  readonly #lbs = new Map<string, NlbState>();
  readonly #groups = new Map<string, GroupState>();
  readonly #networks = new Map<string, NetworkView>();
  readonly #firewall: TwinFirewall;
  #podSecurityGroups: NonNullable<NlbTwinOptions['podSecurityGroups']>;
  #nextAddress = 1;
  /** Mirror updates run one at a time, in the order moto accepted the calls. */
  #chain: Promise<unknown> = Promise.resolve();
  /** A mirror failed: the data plane may be behind moto until every NLB is mirrored again. */
  #stale = false;

  constructor(options: NlbTwinOptions) {
    this.#o = options;
    const config = { region: options.region, endpoint: options.moto, credentials: TWIN_CREDENTIALS };
    this.#elb = new ElasticLoadBalancingV2Client(config);
    this.#ec2 = new EC2Client(config);
    this.#firewall = new TwinFirewall(options.dataPlane, this.#ec2);
    this.#podSecurityGroups = options.podSecurityGroups ?? [];
  }

  /** Says which security groups the pods' interfaces are in from now on (targets registered later get them), and applies them. */
  setPodSecurityGroups(ranges: NonNullable<NlbTwinOptions['podSecurityGroups']>): Promise<void> {
    this.#podSecurityGroups = ranges;
    return this.refresh();
  }

  /** Reads moto's security groups again (after changes made past the front) and applies them. */
  refresh(): Promise<void> {
    const run = this.#chain.then(() => this.#syncSecurity());
    this.#chain = run.catch(() => undefined);
    return run;
  }

  /** The loopback address of the NLB with this DNS name (what a client resolving it would reach); undefined when unknown. */
  addressOf(dnsName: string): string | undefined {
    for (const lb of this.#lbs.values()) if (lb.dnsName === dnsName) return lb.address;
    return undefined;
  }

  close(): void {
    this.#elb.destroy();
    this.#ec2.destroy();
  }

  async before(call: HookCall): Promise<{ answer: HookAnswer } | { forwardBody: Buffer } | undefined> {
    if (call.service !== 'elasticloadbalancing') return undefined;
    await this.#chain;
    const p = call.params;
    switch (call.action) {
      case 'RegisterTargets': {
        const g = this.#groups.get(p.get('TargetGroupArn') ?? '');
        if (!g) return undefined;
        const registered = await this.#registeredKeys(g);
        const refusal = registrationRefusal(targetParams(p), g.port, registered, this.#networks.get(g.vpcId), this.#o.targetsPerTargetGroup ?? TARGETS_PER_TARGET_GROUP);
        return refusal ? { answer: elbRefusal(refusal.code, refusal.message) } : undefined;
      }
      case 'DeregisterTargets': {
        const g = this.#groups.get(p.get('TargetGroupArn') ?? '');
        if (!g) return undefined;
        // "DeregisterTargets": AWS accepts targets that are not registered; moto refuses them, so only the registered ones go on.
        const registered = await this.#registeredKeys(g);
        const targets = targetParams(p);
        const known = targets.filter((t) => registered.has(`${t.id}:${t.port ?? g.port}`));
        if (known.length === targets.length) return undefined;
        if (known.length === 0) return { answer: elbAnswer('DeregisterTargets') };
        return { forwardBody: withTargets(p, known) };
      }
      case 'DescribeTargetHealth': {
        const g = this.#groups.get(p.get('TargetGroupArn') ?? '');
        return g ? { answer: elbAnswer('DescribeTargetHealth', targetHealthXml(await healthEntries(g, await this.#o.dataPlane.targetHealth(g.dpName), this.#lbs, this.#networks.get(g.vpcId), targetParams(p)))) } : undefined;
      }
      case 'SetSecurityGroups': {
        const lb = this.#lbs.get(p.get('LoadBalancerArn') ?? '');
        // "SetSecurityGroups" (API Reference): not on a Network Load Balancer created without a security group.
        if (lb && lb.securityGroups.length === 0) {
          return {
            answer: elbRefusal(
              'InvalidConfigurationRequest',
              "You can't perform this operation on a Network Load Balancer unless you specified a security group for the load balancer when you created it.",
            ),
          };
        }
        return undefined;
      }
      default:
        return undefined;
    }
  }

  after(call: HookCall): Promise<void> {
    const run = this.#chain.then(async () => {
      // A mirror that failed half-way (the caller got a 500 and may never repeat the call, since
      // moto kept it) leaves the data plane behind moto: catch up on every NLB first.
      if (this.#stale) {
        await this.#syncEveryLoadBalancer();
        this.#stale = false;
      }
      await this.#mirror(call);
    });
    this.#chain = run.catch((error: unknown) => {
      this.#stale = true;
      console.error(`NLB twin: mirroring ${call.action} failed; every NLB is mirrored again before the next call: ${error instanceof Error ? error.message : String(error)}`);
    });
    return run;
  }

  /** Mirrors every NLB moto holds, with its listeners and their target groups. */
  async #syncEveryLoadBalancer(): Promise<void> {
    const found = ((await this.#elb.send(new DescribeLoadBalancersCommand({}))).LoadBalancers ?? []).filter((lb) => lb.Type === 'network');
    const live = new Set(found.map((lb) => lb.LoadBalancerArn ?? ''));
    for (const lb of [...this.#lbs.values()]) {
      if (live.has(lb.arn)) continue;
      for (const l of lb.listeners) await this.#o.dataPlane.deleteListener(l);
      this.#lbs.delete(lb.arn);
    }
    for (const lb of found) this.#rememberLoadBalancer(lb);
    for (const arn of this.#lbs.keys()) await this.#syncListeners(arn);
  }

  async #mirror(call: HookCall): Promise<void> {
    if (call.service === 'ec2') {
      if (/SecurityGroup/.test(call.action) && !call.action.startsWith('Describe')) await this.#syncSecurity();
      return;
    }
    if (call.service !== 'elasticloadbalancing') return;
    await this.#mirrorElb(call);
    if (['CreateLoadBalancer', 'SetSecurityGroups', 'DeleteLoadBalancer', 'CreateListener', 'DeleteListener', 'ModifyListener'].includes(call.action)) await this.#syncSecurity();
  }

  async #mirrorElb(call: HookCall): Promise<void> {
    const p = call.params;
    const dp = this.#o.dataPlane;
    switch (call.action) {
      case 'CreateLoadBalancer':
        return this.#syncLoadBalancer({ Names: [p.get('Name') ?? ''] });
      case 'SetSubnets':
      case 'SetIpAddressType':
        return this.#syncLoadBalancer({ LoadBalancerArns: [p.get('LoadBalancerArn') ?? ''] });
      case 'SetSecurityGroups':
        await this.#syncLoadBalancer({ LoadBalancerArns: [p.get('LoadBalancerArn') ?? ''] });
        return this.#syncListeners(p.get('LoadBalancerArn') ?? '');
      case 'DeleteLoadBalancer': {
        const lb = this.#lbs.get(p.get('LoadBalancerArn') ?? '');
        if (!lb) return;
        for (const l of lb.listeners) await dp.deleteListener(l);
        this.#lbs.delete(lb.arn);
        for (const g of this.#groups.values()) g.lbArns.delete(lb.arn);
        return;
      }
      case 'CreateListener':
        return this.#syncListeners(p.get('LoadBalancerArn') ?? '');
      case 'ModifyListener':
      case 'DeleteListener':
        return this.#syncListeners(lbArnOfListener(p.get('ListenerArn') ?? ''));
      case 'CreateTargetGroup':
        return this.#syncTargetGroup({ Names: [p.get('Name') ?? ''] });
      case 'ModifyTargetGroup':
      case 'ModifyTargetGroupAttributes':
        return this.#syncTargetGroup({ TargetGroupArns: [p.get('TargetGroupArn') ?? ''] });
      case 'DeleteTargetGroup': {
        const g = this.#groups.get(p.get('TargetGroupArn') ?? '');
        if (!g) return;
        await dp.deleteTargetGroup(g.dpName);
        this.#groups.delete(g.arn);
        return;
      }
      case 'RegisterTargets': {
        const g = this.#groups.get(p.get('TargetGroupArn') ?? '');
        if (!g) return;
        const targets = targetParams(p);
        for (const t of targets) g.zones.set(`${t.id}:${t.port ?? g.port}`, t.availabilityZone);
        await dp.registerTargets(
          g.dpName,
          targets.map((t) => ({ ip: t.id, port: t.port ?? g.port, tags: podTags(this.#podSecurityGroups, t.id) })),
        );
        return;
      }
      case 'DeregisterTargets': {
        const g = this.#groups.get(p.get('TargetGroupArn') ?? '');
        if (!g) return;
        await dp.deregisterTargets(
          g.dpName,
          targetParams(p).map((t) => ({ ip: t.id, port: t.port ?? g.port })),
        );
        return;
      }
      default:
        return;
    }
  }

  /** ip:port of the group's targets that are registered (not draining). */
  async #registeredKeys(g: GroupState): Promise<Set<string>> {
    const health = await this.#o.dataPlane.targetHealth(g.dpName);
    return new Set(health.filter((t) => t.state !== 'draining').map((t) => `${t.ip}:${t.port}`));
  }


  async #syncLoadBalancer(filter: { Names?: string[]; LoadBalancerArns?: string[] }): Promise<void> {
    const found = (await this.#elb.send(new DescribeLoadBalancersCommand(filter))).LoadBalancers ?? [];
    for (const lb of found) if (lb.Type === 'network') this.#rememberLoadBalancer(lb);
  }

  #rememberLoadBalancer(lb: LoadBalancer): NlbState {
    const arn = lb.LoadBalancerArn!;
    const zones = new Set((lb.AvailabilityZones ?? []).map((z) => z.ZoneName!).filter(Boolean));
    const known = this.#lbs.get(arn);
    if (known) {
      known.zones = zones;
      known.securityGroups = [...(lb.SecurityGroups ?? [])];
      return known;
    }
    const n = this.#nextAddress++;
    const state: NlbState = {
      arn,
      dnsName: lb.DNSName ?? '',
      address: `${this.#o.addressPrefix ?? '127.77'}.${(n >> 8) & 255}.${n & 255}`,
      vpcId: lb.VpcId ?? '',
      zones,
      securityGroups: [...(lb.SecurityGroups ?? [])],
      listeners: new Set(),
    };
    this.#lbs.set(arn, state);
    return state;
  }

  async #syncListeners(lbArn: string): Promise<void> {
    let lb = this.#lbs.get(lbArn);
    if (!lb) {
      await this.#syncLoadBalancer({ LoadBalancerArns: [lbArn] });
      lb = this.#lbs.get(lbArn);
      if (!lb) return;
    }
    const listeners = (await this.#elb.send(new DescribeListenersCommand({ LoadBalancerArn: lbArn }))).Listeners ?? [];
    const wanted = new Set<string>();
    for (const l of listeners) {
      const name = `nlb-listener-${arnId(l.ListenerArn!)}`;
      const tgArn = forwardTarget(l);
      // The data plane is TCP: a UDP listener has no twin (TLS is carried as TCP, unterminated).
      if (tgArn === undefined || l.Protocol === 'UDP' || l.Protocol === 'TCP_UDP') continue;
      let g = this.#groups.get(tgArn);
      if (!g) {
        await this.#syncTargetGroup({ TargetGroupArns: [tgArn] });
        g = this.#groups.get(tgArn);
        if (!g) continue;
      }
      g.lbArns.add(lbArn);
      await this.#o.dataPlane.putListener({ name, address: lb.address, port: l.Port!, targetGroup: g.dpName, tags: lb.securityGroups.map(nlbGroupTag) });
      wanted.add(name);
    }
    for (const name of lb.listeners) if (!wanted.has(name)) await this.#o.dataPlane.deleteListener(name);
    lb.listeners = wanted;
  }

  async #syncTargetGroup(filter: { Names?: string[]; TargetGroupArns?: string[] }): Promise<void> {
    const found = (await this.#elb.send(new DescribeTargetGroupsCommand(filter))).TargetGroups ?? [];
    for (const tg of found) await this.#mirrorTargetGroup(tg);
  }

  async #mirrorTargetGroup(tg: TargetGroup): Promise<void> {
    if (tg.TargetType !== 'ip' || tg.Protocol === 'UDP' || tg.Protocol === 'TCP_UDP') return;
    const arn = tg.TargetGroupArn!;
    const attributes = Object.fromEntries(
      ((await this.#elb.send(new DescribeTargetGroupAttributesCommand({ TargetGroupArn: arn }))).Attributes ?? []).map((a) => [a.Key, a.Value]),
    );
    const known = this.#groups.get(arn);
    const g: GroupState = known ?? {
      arn,
      dpName: `nlb-tg-${arnId(arn)}`,
      vpcId: tg.VpcId ?? '',
      port: tg.Port ?? 0,
      healthCheckPort: tg.HealthCheckPort ?? 'traffic-port',
      lbArns: new Set(tg.LoadBalancerArns ?? []),
      zones: new Map(),
    };
    g.healthCheckPort = tg.HealthCheckPort ?? 'traffic-port';
    for (const lbArn of tg.LoadBalancerArns ?? []) g.lbArns.add(lbArn);
    if (!this.#networks.has(g.vpcId)) this.#networks.set(g.vpcId, await readNetwork(this.#ec2, g.vpcId));
    ({ spec: g.spec, check: g.check } = groupSpecs(g, tg, attributes, this.#o.registrationDelayMs ?? 0));
    g.sourceTags = undefined;
    await applyGroupSource(this.#o.dataPlane, g, this.#lbs);
    this.#groups.set(arn, g);
  }



  /** The firewall from moto's security groups, and every group's traffic source. */
  async #syncSecurity(): Promise<void> {
    const lbs = [...this.#lbs.values()];
    await this.#firewall.sync({
      nlbGroups: new Set(lbs.flatMap((lb) => lb.securityGroups)),
      podGroups: new Set(this.#podSecurityGroups.flatMap((r) => r.groupIds)),
      vpcsWithoutGroups: [...new Set(lbs.filter((lb) => lb.securityGroups.length === 0).map((lb) => lb.vpcId))].map((vpcId) => ({ vpcId, cidrs: this.#networks.get(vpcId)?.cidrs ?? [] })),
    });
    for (const g of this.#groups.values()) await applyGroupSource(this.#o.dataPlane, g, this.#lbs);
  }


}
