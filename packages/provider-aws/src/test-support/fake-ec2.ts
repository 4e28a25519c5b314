/**
 * The slice of EC2 the provider uses, for FakeAws (fake-aws.ts): VPCs and subnets (subnet
 * discovery, target placement) and security groups with their rules and rule tags (the
 * NLB's group, its client rules, the pods' groups). Answers in EC2's query-protocol XML
 * (`<ActionResponse>` with lower-camel elements and `<item>` lists).
 */
import type { QueryReply } from './query-server.ts';
import { ec2Error, ec2Response, el } from './xml.ts';

export interface FakeVpc {
  id: string;
  cidrBlock: string;
  associations: { cidr: string; state: string }[];
}

export interface FakeSubnet {
  id: string;
  zone: string;
  vpcId: string;
  tags: Record<string, string>;
}

export interface FakeSecurityGroup {
  id: string;
  name: string;
  vpcId: string;
  tags: Record<string, string>;
}

export interface FakeRule {
  id: string;
  groupId: string;
  protocol: string;
  fromPort: number;
  toPort: number;
  cidr?: string;
  fromGroup?: string;
  tags: Record<string, string>;
}

/** EC2's flattened lists: `Name.1`, `Name.2.Field`, `Name.1.Sub.2.Field`. */
function indexed(p: URLSearchParams, prefix: string): Record<string, string>[] {
  const out: Record<string, string>[] = [];
  for (let i = 1; ; i++) {
    const head = `${prefix}.${i}`;
    const entry: Record<string, string> = {};
    for (const [k, v] of p) if (k === head || k.startsWith(`${head}.`)) entry[k.slice(head.length + 1)] = v;
    if (Object.keys(entry).length === 0) return out;
    out.push(entry);
  }
}

function sub(entry: Record<string, string>, prefix: string): Record<string, string>[] {
  return indexed(new URLSearchParams(Object.entries(entry)), prefix);
}

function filters(p: URLSearchParams): { name: string; values: string[] }[] {
  return indexed(p, 'Filter').map((f) => ({ name: f['Name'] ?? '', values: sub(f, 'Value').map((v) => v[''] ?? '') }));
}

function tagSpec(p: URLSearchParams, resourceType: string): Record<string, string> {
  const spec = indexed(p, 'TagSpecification').find((s) => s['ResourceType'] === resourceType);
  return Object.fromEntries(spec ? sub(spec, 'Tag').map((t) => [t['Key'] ?? '', t['Value'] ?? '']) : []);
}

const tagSet = (tags: Record<string, string>) => `<tagSet>${Object.entries(tags).map(([k, v]) => `<item>${el('key', k)}${el('value', v)}</item>`).join('')}</tagSet>`;

/** Whether a resource with `tags` (and named fields) passes every filter. */
function matches(fields: Record<string, string | undefined>, tags: Record<string, string>, fs: { name: string; values: string[] }[]): boolean {
  return fs.every((f) => {
    if (f.name.startsWith('tag:')) return f.values.includes(tags[f.name.slice(4)] ?? '\u0000');
    if (f.name === 'tag-key') return f.values.some((v) => v in tags);
    return f.values.includes(fields[f.name] ?? '\u0000');
  });
}

export class FakeEc2 {
  readonly subnets: FakeSubnet[] = [
    { id: 'subnet-0a1', zone: 'us-east-1a', vpcId: 'vpc-1', tags: { 'kubernetes.io/role/internal-elb': '1' } },
    { id: 'subnet-0b1', zone: 'us-east-1b', vpcId: 'vpc-1', tags: { 'kubernetes.io/role/internal-elb': '1' } },
  ];
  /** vpc-1: 10.0.0.0/16 with the secondary 10.1.0.0/16 associated and 192.168.0.0/16 disassociated. */
  readonly vpcs: FakeVpc[] = [
    {
      id: 'vpc-1',
      cidrBlock: '10.0.0.0/16',
      associations: [
        { cidr: '10.0.0.0/16', state: 'associated' },
        { cidr: '10.1.0.0/16', state: 'associated' },
        { cidr: '192.168.0.0/16', state: 'disassociated' },
      ],
    },
  ];
  readonly securityGroups: FakeSecurityGroup[] = [];
  readonly rules: FakeRule[] = [];
  #ids = 0;

  #id(prefix: string): string {
    this.#ids += 1;
    return `${prefix}-${this.#ids.toString(16).padStart(12, '0')}`;
  }

  /** Adds a group directly (e.g. the pods' group, tagged for the cluster). */
  addSecurityGroup(name: string, tags: Record<string, string>, vpcId = 'vpc-1'): FakeSecurityGroup {
    const g = { id: this.#id('sg'), name, vpcId, tags };
    this.securityGroups.push(g);
    return g;
  }

  handle(action: string, p: URLSearchParams): QueryReply {
    const handler = this.#actions[action];
    if (!handler) return { status: 400, body: ec2Error('InvalidAction', `fake does not implement ${action}`) };
    const out = handler(p);
    return typeof out === 'string' ? { body: ec2Response(action, out) } : out;
  }

  readonly #actions: Record<string, (p: URLSearchParams) => string | QueryReply> = {
    DescribeVpcs: (p) => {
      const ids = indexed(p, 'VpcId').map((v) => v[''] ?? '');
      const found = this.vpcs.filter((v) => ids.length === 0 || ids.includes(v.id));
      if (found.length < ids.length) return { status: 400, body: ec2Error('InvalidVpcID.NotFound', `The vpc ID '${ids.join(', ')}' does not exist`) };
      const items = found.map(
        (v) =>
          `<item>${el('vpcId', v.id)}${el('state', 'available')}${el('cidrBlock', v.cidrBlock)}<cidrBlockAssociationSet>${v.associations
            .map((a, i) => `<item>${el('cidrBlock', a.cidr)}${el('associationId', `vpc-cidr-assoc-${i}`)}<cidrBlockState>${el('state', a.state)}</cidrBlockState></item>`)
            .join('')}</cidrBlockAssociationSet></item>`,
      );
      return `<vpcSet>${items.join('')}</vpcSet>`;
    },
    DescribeSubnets: (p) => {
      const ids = indexed(p, 'SubnetId').map((v) => v[''] ?? '');
      const found = this.subnets.filter((s) => (ids.length === 0 || ids.includes(s.id)) && matches({ 'vpc-id': s.vpcId }, s.tags, filters(p)));
      const items = found.map((s) => `<item>${el('subnetId', s.id)}${el('availabilityZone', s.zone)}${el('vpcId', s.vpcId)}${el('state', 'available')}${tagSet(s.tags)}</item>`);
      return `<subnetSet>${items.join('')}</subnetSet>`;
    },
    CreateSecurityGroup: (p) => {
      const name = p.get('GroupName') ?? '';
      const vpcId = p.get('VpcId') ?? '';
      if (this.securityGroups.some((g) => g.name === name && g.vpcId === vpcId)) {
        return { status: 400, body: ec2Error('InvalidGroup.Duplicate', `The security group '${name}' already exists for VPC '${vpcId}'`) };
      }
      const g = this.addSecurityGroup(name, tagSpec(p, 'security-group'), vpcId);
      return el('return', 'true') + el('groupId', g.id);
    },
    DescribeSecurityGroups: (p) => {
      const found = this.securityGroups.filter((g) => matches({ 'vpc-id': g.vpcId, 'group-id': g.id, 'group-name': g.name }, g.tags, filters(p)));
      return `<securityGroupInfo>${found.map((g) => `<item>${el('groupId', g.id)}${el('groupName', g.name)}${el('vpcId', g.vpcId)}${tagSet(g.tags)}</item>`).join('')}</securityGroupInfo>`;
    },
    DescribeSecurityGroupRules: (p) => {
      const found = this.rules.filter((r) => matches({ 'group-id': r.groupId }, r.tags, filters(p)));
      return `<securityGroupRuleSet>${found.map((r) => this.#ruleXml(r)).join('')}</securityGroupRuleSet>`;
    },
    AuthorizeSecurityGroupIngress: (p) => {
      const groupId = p.get('GroupId') ?? '';
      if (!this.securityGroups.some((g) => g.id === groupId)) return { status: 400, body: ec2Error('InvalidGroup.NotFound', `The security group '${groupId}' does not exist`) };
      const tags = tagSpec(p, 'security-group-rule');
      const added: FakeRule[] = [];
      for (const perm of indexed(p, 'IpPermissions')) {
        const base = { groupId, protocol: perm['IpProtocol'] ?? '', fromPort: Number(perm['FromPort']), toPort: Number(perm['ToPort']), tags };
        const sources: { cidr?: string | undefined; fromGroup?: string | undefined }[] = [
          ...sub(perm, 'IpRanges').map((r) => ({ cidr: r['CidrIp'] })),
          ...sub(perm, 'Ipv6Ranges').map((r) => ({ cidr: r['CidrIpv6'] })),
          ...sub(perm, 'Groups').map((r) => ({ fromGroup: r['GroupId'] })),
        ];
        for (const s of sources) {
          const dup = this.rules.some((r) => r.groupId === groupId && r.protocol === base.protocol && r.fromPort === base.fromPort && r.cidr === s.cidr && r.fromGroup === s.fromGroup);
          if (dup) return { status: 400, body: ec2Error('InvalidPermission.Duplicate', 'the specified rule already exists') };
          added.push({ id: this.#id('sgr'), ...base, ...(s.cidr ? { cidr: s.cidr } : {}), ...(s.fromGroup ? { fromGroup: s.fromGroup } : {}) });
        }
      }
      this.rules.push(...added);
      return el('return', 'true') + `<securityGroupRuleSet>${added.map((r) => this.#ruleXml(r)).join('')}</securityGroupRuleSet>`;
    },
    RevokeSecurityGroupIngress: (p) => {
      const groupId = p.get('GroupId') ?? '';
      const ids = indexed(p, 'SecurityGroupRuleId').map((v) => v[''] ?? '');
      const missing = ids.filter((id) => !this.rules.some((r) => r.id === id && r.groupId === groupId));
      if (missing.length > 0) return { status: 400, body: ec2Error('InvalidSecurityGroupRuleId.NotFound', `The security group rule ID '${missing[0]}' does not exist`) };
      for (const id of ids) this.rules.splice(this.rules.findIndex((r) => r.id === id), 1);
      return el('return', 'true');
    },
    DeleteSecurityGroup: (p) => {
      const groupId = p.get('GroupId') ?? '';
      const i = this.securityGroups.findIndex((g) => g.id === groupId);
      if (i < 0) return { status: 400, body: ec2Error('InvalidGroup.NotFound', `The security group '${groupId}' does not exist`) };
      if (this.rules.some((r) => r.fromGroup === groupId)) return { status: 400, body: ec2Error('DependencyViolation', `resource ${groupId} has a dependent object`) };
      this.securityGroups.splice(i, 1);
      for (let j = this.rules.length - 1; j >= 0; j--) if (this.rules[j]!.groupId === groupId) this.rules.splice(j, 1);
      return el('return', 'true');
    },
  };

  #ruleXml(r: FakeRule): string {
    return (
      `<item>${el('securityGroupRuleId', r.id)}${el('groupId', r.groupId)}${el('isEgress', 'false')}${el('ipProtocol', r.protocol)}${el('fromPort', r.fromPort)}${el('toPort', r.toPort)}` +
      `${r.cidr ? el(r.cidr.includes(':') ? 'cidrIpv6' : 'cidrIpv4', r.cidr) : ''}${r.fromGroup ? `<referencedGroupInfo>${el('groupId', r.fromGroup)}</referencedGroupInfo>` : ''}${tagSet(r.tags)}</item>`
    );
  }

  /** Whether an IPv4 address is in an associated block of the VPC (an unknown VPC holds everything). */
  holds(vpcId: string, ip: string): boolean {
    const vpc = this.vpcs.find((v) => v.id === vpcId);
    if (!vpc) return true;
    const n = (a: string) => a.split('.').reduce((acc, x) => acc * 256 + Number(x), 0);
    return vpc.associations.some((a) => {
      if (a.state !== 'associated') return false;
      const [base, bits] = a.cidr.split('/');
      const size = 2 ** (32 - Number(bits));
      return Math.floor(n(ip) / size) === Math.floor(n(base ?? '') / size);
    });
  }
}
