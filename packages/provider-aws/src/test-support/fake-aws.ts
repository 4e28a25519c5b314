/**
 * A recording fake of the slice of ELBv2 and EC2 the provider uses, answering with the
 * published response shapes (see xml.ts). Unlike moto it models what real NLBs do over
 * time and under load: new targets start `initial` (Elb.RegistrationInProgress),
 * deregistered ones stay `draining` (Target.DeregistrationInProgress) until the test ends
 * the delay, and any action can be made to fail with a given AWS error, once or always.
 */
import { FakeEc2, type FakeSubnet, type FakeVpc } from './fake-ec2.ts';
import { AwsFault, type FakeFailure, type FakeListener, type FakeLoadBalancer, type FakeTargetGroup, listenerXml, loadBalancerXml, tagsFrom, targetGroupXml } from './fake-elb.ts';
import type { QueryCall, QueryReply } from './query-server.ts';
import { ec2Error, el, elbError, elbResponse, memberList, members, stringList } from './xml.ts';

export type { FakeRule, FakeSecurityGroup, FakeSubnet, FakeVpc } from './fake-ec2.ts';
export type { FakeFailure, FakeListener, FakeLoadBalancer, FakeTarget, FakeTargetGroup } from './fake-elb.ts';

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';

type Handler = (p: URLSearchParams) => string;

export class FakeAws {
  readonly loadBalancers: FakeLoadBalancer[] = [];
  readonly targetGroups: FakeTargetGroup[] = [];
  readonly listeners: FakeListener[] = [];
  /** VPCs, subnets and security groups (fake-ec2.ts). */
  readonly ec2 = new FakeEc2();
  /** Every action received, in order (`elbv2:` and `ec2:` prefixes dropped). */
  readonly actions: string[] = [];
  readonly #failures = new Map<string, FakeFailure & { seen: number }>();
  #ids = 0;

  /** Makes calls of `action` fail with an AWS error (see {@link FakeFailure}). */
  fail(action: string, failure: FakeFailure): void {
    this.#failures.set(action, { ...failure, seen: 0 });
  }

  /** Sets one registered target's health, as AWS would after health checks ran. */
  setHealth(ip: string, port: number, state: string, reason?: string, description?: string): void {
    for (const tg of this.targetGroups) {
      const t = tg.targets.get(`${ip}:${port}`);
      if (t) Object.assign(t, { state, reason, description });
    }
  }

  /** Ends every deregistration delay: draining targets disappear. */
  finishDraining(): void {
    for (const tg of this.targetGroups) for (const [k, t] of tg.targets) if (t.state === 'draining') tg.targets.delete(k);
  }

  handle(call: QueryCall): QueryReply {
    this.actions.push(call.action);
    const failure = this.#failures.get(call.action);
    if (failure) {
      failure.seen += 1;
      const after = failure.after ?? 0;
      if (failure.seen > after && failure.seen <= after + (failure.times ?? Number.POSITIVE_INFINITY)) {
        const body = call.service === 'ec2' ? ec2Error(failure.code, failure.message) : elbError(failure.code, failure.message, (failure.status ?? 400) >= 500 ? 'Receiver' : 'Sender');
        return { status: failure.status ?? 400, body, ...(failure.headers ? { headers: failure.headers } : {}) };
      }
    }
    if (call.service === 'ec2') return this.ec2.handle(call.action, call.params);
    const handler = (this.#elb as Record<string, Handler | undefined>)[call.action];
    if (!handler) return { status: 400, body: elbError('InvalidAction', `fake does not implement ${call.action}`) };
    try {
      return { body: handler(call.params) };
    } catch (error) {
      if (error instanceof AwsFault) return { status: 400, body: elbError(error.code, error.message) };
      throw error;
    }
  }

  /** Adds a load balancer directly, e.g. a foreign one with Sluice's name. */
  addLoadBalancer(name: string, tags: Record<string, string>, scheme = 'internal'): FakeLoadBalancer {
    const id = this.#id();
    const lb = { arn: `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:loadbalancer/net/${name}/${id}`, name, dnsName: `${name}-${id}.elb.${REGION}.amazonaws.com`, scheme, vpcId: 'vpc-1', subnets: ['subnet-0a1'], attributes: { 'load_balancing.cross_zone.enabled': 'false' }, tags };
    this.loadBalancers.push(lb);
    return lb;
  }

  get subnets(): FakeSubnet[] {
    return this.ec2.subnets;
  }

  get vpcs(): FakeVpc[] {
    return this.ec2.vpcs;
  }

  #id(): string {
    this.#ids += 1;
    return this.#ids.toString(16).padStart(16, '0');
  }

  #tg(arn: string | null): FakeTargetGroup {
    const tg = this.targetGroups.find((g) => g.arn === arn);
    if (!tg) throw new AwsFault('TargetGroupNotFound', 'One or more target groups not found');
    return tg;
  }

  #lb(arn: string | null): FakeLoadBalancer {
    const lb = this.loadBalancers.find((l) => l.arn === arn);
    if (!lb) throw new AwsFault('LoadBalancerNotFound', 'One or more load balancers not found');
    return lb;
  }

  #tagsOf(arn: string): Record<string, string> | undefined {
    return (this.loadBalancers.find((x) => x.arn === arn) ?? this.targetGroups.find((x) => x.arn === arn) ?? this.listeners.find((x) => x.arn === arn))?.tags;
  }

  readonly #elb: Record<string, Handler> = {
    DescribeLoadBalancers: (p) => {
      const names = stringList(p, 'Names');
      const found = names.length === 0 ? this.loadBalancers : this.loadBalancers.filter((l) => names.includes(l.name));
      if (names.length > 0 && found.length !== names.length) throw new AwsFault('LoadBalancerNotFound', 'One or more load balancers not found');
      return elbResponse('DescribeLoadBalancers', members('LoadBalancers', found.map((l) => loadBalancerXml(this.subnets, l))));
    },
    CreateLoadBalancer: (p) => {
      const name = p.get('Name') ?? '';
      if (this.loadBalancers.some((l) => l.name === name)) throw new AwsFault('DuplicateLoadBalancerName', 'A load balancer with the same name already exists');
      const subnets = stringList(p, 'Subnets');
      const lb = this.addLoadBalancer(name, tagsFrom(p), p.get('Scheme') ?? 'internet-facing');
      lb.subnets = subnets;
      lb.vpcId = this.subnets.find((s) => s.id === subnets[0])?.vpcId ?? 'vpc-1';
      lb.securityGroups = stringList(p, 'SecurityGroups');
      return elbResponse('CreateLoadBalancer', members('LoadBalancers', [loadBalancerXml(this.subnets, lb)]));
    },
    DeleteLoadBalancer: (p) => {
      const arn = p.get('LoadBalancerArn');
      const i = this.loadBalancers.findIndex((l) => l.arn === arn);
      if (i >= 0) this.loadBalancers.splice(i, 1);
      for (let j = this.listeners.length - 1; j >= 0; j--) if (this.listeners[j]!.lbArn === arn) this.listeners.splice(j, 1);
      return elbResponse('DeleteLoadBalancer');
    },
    SetSubnets: (p) => {
      const lb = this.#lb(p.get('LoadBalancerArn'));
      lb.subnets = stringList(p, 'Subnets');
      return elbResponse('SetSubnets', members('AvailabilityZones', lb.subnets.map((s) => el('ZoneName', this.subnets.find((x) => x.id === s)?.zone ?? 'us-east-1a') + el('SubnetId', s))));
    },
    DescribeLoadBalancerAttributes: (p) => {
      const lb = this.#lb(p.get('LoadBalancerArn'));
      return elbResponse('DescribeLoadBalancerAttributes', members('Attributes', Object.entries(lb.attributes).map(([k, v]) => el('Key', k) + el('Value', v))));
    },
    ModifyLoadBalancerAttributes: (p) => {
      const lb = this.#lb(p.get('LoadBalancerArn'));
      for (const a of memberList(p, 'Attributes')) lb.attributes[a['Key'] ?? ''] = a['Value'] ?? '';
      return elbResponse('ModifyLoadBalancerAttributes', members('Attributes', Object.entries(lb.attributes).map(([k, v]) => el('Key', k) + el('Value', v))));
    },
    DescribeTags: (p) => {
      const arns = stringList(p, 'ResourceArns');
      const descriptions = arns.map((arn) => {
        const tags = this.#tagsOf(arn);
        if (!tags) throw new AwsFault('LoadBalancerNotFound', `Resource ${arn} not found`);
        return el('ResourceArn', arn) + members('Tags', Object.entries(tags).map(([k, v]) => el('Key', k) + el('Value', v)));
      });
      return elbResponse('DescribeTags', members('TagDescriptions', descriptions));
    },
    DescribeTargetGroups: (p) => {
      const names = stringList(p, 'Names');
      const lbArn = p.get('LoadBalancerArn');
      let found = this.targetGroups;
      if (lbArn) {
        this.#lb(lbArn);
        const attached = new Set(this.listeners.filter((l) => l.lbArn === lbArn).map((l) => l.targetGroupArn));
        found = found.filter((g) => attached.has(g.arn));
      }
      if (names.length > 0) {
        found = found.filter((g) => names.includes(g.name));
        if (found.length !== names.length) throw new AwsFault('TargetGroupNotFound', 'One or more target groups not found');
      }
      return elbResponse('DescribeTargetGroups', members('TargetGroups', found.map((g) => targetGroupXml(this.listeners, g))));
    },
    CreateTargetGroup: (p) => {
      const name = p.get('Name') ?? '';
      if (this.targetGroups.some((g) => g.name === name)) throw new AwsFault('DuplicateTargetGroupName', 'A target group with the same name exists');
      const health: Record<string, string> = {};
      for (const k of ['HealthCheckProtocol', 'HealthCheckPort', 'HealthCheckPath', 'HealthCheckIntervalSeconds', 'HealthCheckTimeoutSeconds', 'HealthyThresholdCount', 'UnhealthyThresholdCount']) {
        const v = p.get(k);
        if (v !== null) health[k] = v;
      }
      const tg: FakeTargetGroup = {
        arn: `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:targetgroup/${name}/${this.#id()}`,
        name,
        protocol: p.get('Protocol') ?? 'TCP',
        port: Number(p.get('Port')),
        vpcId: p.get('VpcId') ?? '',
        targetType: p.get('TargetType') ?? 'instance',
        health,
        // What ELBv2 documents for a new group (preserve_client_ip: off for TCP/TLS ip groups, on for UDP).
        attributes: {
          'deregistration_delay.timeout_seconds': '300',
          'deregistration_delay.connection_termination.enabled': 'false',
          'proxy_protocol_v2.enabled': 'false',
          'preserve_client_ip.enabled': p.get('Protocol') === 'UDP' ? 'true' : 'false',
        },
        tags: tagsFrom(p),
        targets: new Map(),
      };
      this.targetGroups.push(tg);
      return elbResponse('CreateTargetGroup', members('TargetGroups', [targetGroupXml(this.listeners, tg)]));
    },
    ModifyTargetGroup: (p) => {
      const tg = this.#tg(p.get('TargetGroupArn'));
      for (const [k, v] of p) if (k.startsWith('HealthCheck') || k.endsWith('ThresholdCount')) tg.health[k] = v;
      return elbResponse('ModifyTargetGroup', members('TargetGroups', [targetGroupXml(this.listeners, tg)]));
    },
    DescribeTargetGroupAttributes: (p) => {
      const tg = this.#tg(p.get('TargetGroupArn'));
      return elbResponse('DescribeTargetGroupAttributes', members('Attributes', Object.entries(tg.attributes).map(([k, v]) => el('Key', k) + el('Value', v))));
    },
    ModifyTargetGroupAttributes: (p) => {
      const tg = this.#tg(p.get('TargetGroupArn'));
      for (const a of memberList(p, 'Attributes')) {
        if (a['Key'] === 'preserve_client_ip.enabled' && tg.protocol === 'UDP' && a['Value'] !== 'true') {
          throw new AwsFault('InvalidConfigurationRequest', 'Client IP preservation cannot be disabled for UDP target groups');
        }
        tg.attributes[a['Key'] ?? ''] = a['Value'] ?? '';
      }
      return elbResponse('ModifyTargetGroupAttributes', members('Attributes', Object.entries(tg.attributes).map(([k, v]) => el('Key', k) + el('Value', v))));
    },
    DeleteTargetGroup: (p) => {
      const arn = p.get('TargetGroupArn');
      if (this.listeners.some((l) => l.targetGroupArn === arn)) throw new AwsFault('ResourceInUse', `Target group '${arn}' is currently in use by a listener or a rule`);
      const i = this.targetGroups.findIndex((g) => g.arn === arn);
      if (i >= 0) this.targetGroups.splice(i, 1);
      return elbResponse('DeleteTargetGroup');
    },
    DescribeListeners: (p) => {
      const lb = this.#lb(p.get('LoadBalancerArn'));
      return elbResponse('DescribeListeners', members('Listeners', this.listeners.filter((l) => l.lbArn === lb.arn).map((l) => listenerXml(l))));
    },
    CreateListener: (p) => {
      const lb = this.#lb(p.get('LoadBalancerArn'));
      const port = Number(p.get('Port'));
      if (this.listeners.some((l) => l.lbArn === lb.arn && l.port === port)) throw new AwsFault('DuplicateListener', 'A listener already exists on this port for this load balancer');
      const l: FakeListener = {
        arn: `${lb.arn.replace(':loadbalancer/', ':listener/')}/${this.#id()}`,
        lbArn: lb.arn,
        port,
        protocol: p.get('Protocol') ?? 'TCP',
        targetGroupArn: this.#tg(memberList(p, 'DefaultActions')[0]?.['TargetGroupArn'] ?? null).arn,
        tags: tagsFrom(p),
      };
      const cert = memberList(p, 'Certificates')[0]?.['CertificateArn'];
      if (cert) l.certificateArn = cert;
      this.listeners.push(l);
      return elbResponse('CreateListener', members('Listeners', [listenerXml(l)]));
    },
    ModifyListener: (p) => {
      const l = this.listeners.find((x) => x.arn === p.get('ListenerArn'));
      if (!l) throw new AwsFault('ListenerNotFound', 'One or more listeners not found');
      l.protocol = p.get('Protocol') ?? l.protocol;
      l.port = Number(p.get('Port') ?? l.port);
      l.targetGroupArn = this.#tg(memberList(p, 'DefaultActions')[0]?.['TargetGroupArn'] ?? null).arn;
      const cert = memberList(p, 'Certificates')[0]?.['CertificateArn'];
      if (cert) l.certificateArn = cert;
      else delete l.certificateArn;
      return elbResponse('ModifyListener', members('Listeners', [listenerXml(l)]));
    },
    DeleteListener: (p) => {
      const i = this.listeners.findIndex((x) => x.arn === p.get('ListenerArn'));
      if (i < 0) throw new AwsFault('ListenerNotFound', 'One or more listeners not found');
      this.listeners.splice(i, 1);
      return elbResponse('DeleteListener');
    },
    DescribeTargetHealth: (p) => {
      const tg = this.#tg(p.get('TargetGroupArn'));
      const items = [...tg.targets.entries()].map(([k, t]) => {
        const [ip, port] = k.split(':');
        const health = el('State', t.state) + el('Reason', t.reason) + el('Description', t.description);
        return `<Target>${el('Id', ip)}${el('Port', port)}${el('AvailabilityZone', t.zone)}</Target>${el('HealthCheckPort', port)}<TargetHealth>${health}</TargetHealth>`;
      });
      return elbResponse('DescribeTargetHealth', members('TargetHealthDescriptions', items));
    },
    RegisterTargets: (p) => {
      const tg = this.#tg(p.get('TargetGroupArn'));
      const targets = memberList(p, 'Targets');
      // As the ELBv2 API reference has it (TargetDescription): outside the VPC the zone must be `all`; inside it is detected.
      for (const t of targets) {
        const inVpc = this.ec2.holds(tg.vpcId, t['Id'] ?? '');
        if (!inVpc && t['AvailabilityZone'] !== 'all') throw new AwsFault('ValidationError', `The IP address '${t['Id']}' is outside the VPC of the target group: its Availability Zone must be all`);
        if (inVpc && t['AvailabilityZone'] === 'all') throw new AwsFault('ValidationError', `The IP address '${t['Id']}' is in the VPC of the target group: its Availability Zone cannot be all`);
      }
      for (const t of targets) {
        tg.targets.set(`${t['Id']}:${t['Port']}`, {
          state: 'initial',
          reason: 'Elb.RegistrationInProgress',
          description: 'Target registration is in progress',
          ...(t['AvailabilityZone'] ? { zone: t['AvailabilityZone'] } : {}),
        });
      }
      return elbResponse('RegisterTargets');
    },
    DeregisterTargets: (p) => {
      const tg = this.#tg(p.get('TargetGroupArn'));
      for (const t of memberList(p, 'Targets')) {
        const target = tg.targets.get(`${t['Id']}:${t['Port']}`);
        if (!target) throw new AwsFault('InvalidTarget', 'The specified target does not exist or is not in the same VPC as the target group.');
        Object.assign(target, { state: 'draining', reason: 'Target.DeregistrationInProgress', description: 'Target deregistration is in progress' });
      }
      return elbResponse('DeregisterTargets');
    },
  };
}
