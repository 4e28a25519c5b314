/**
 * Keeps the data plane's firewall equal to moto's security groups (security-group-firewall.ts
 * says how): reads every inbound rule from moto's EC2, computes the rules, and puts or deletes
 * only the ones that differ from what it put last.
 */
import { DescribeSecurityGroupRulesCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { type DataPlane, type FirewallRule, parseAddress, parseRange, rangeContains } from '@sluice/dataplane';
import { type FirewallInput, type SecurityGroupRuleView, securityGroupFirewall } from './security-group-firewall.ts';

/** Whether every address of `inner` lies in `outer`. */
export function cidrCovers(outer: string, inner: string): boolean {
  const o = parseRange(outer, { hostBits: 'clear' });
  const i = parseRange(inner, { hostBits: 'clear' });
  if (!('range' in o) || !('range' in i) || o.range.family !== i.range.family || o.range.prefix > i.range.prefix) return false;
  const first = parseAddress(inner.slice(0, inner.indexOf('/')));
  return first !== undefined && rangeContains(o.range, first);
}

export class TwinFirewall {
  readonly #dp: DataPlane;
  readonly #ec2: EC2Client;
  readonly #applied = new Map<string, string>();

  constructor(dataPlane: DataPlane, ec2: EC2Client) {
    this.#dp = dataPlane;
    this.#ec2 = ec2;
  }

  async sync(input: Omit<FirewallInput, 'rules' | 'covers'>): Promise<void> {
    const rules: SecurityGroupRuleView[] = [];
    let token: string | undefined;
    do {
      const page = await this.#ec2.send(new DescribeSecurityGroupRulesCommand({ ...(token ? { NextToken: token } : {}) }));
      for (const r of page.SecurityGroupRules ?? []) {
        if (r.IsEgress) continue;
        rules.push({ id: r.SecurityGroupRuleId ?? '', groupId: r.GroupId ?? '', protocol: r.IpProtocol ?? '-1', fromPort: r.FromPort ?? -1, toPort: r.ToPort ?? -1, cidr: r.CidrIpv4 ?? r.CidrIpv6, fromGroup: r.ReferencedGroupInfo?.GroupId });
      }
      token = page.NextToken;
    } while (token);
    const wanted: FirewallRule[] = securityGroupFirewall({ ...input, rules, covers: cidrCovers });
    const names = new Set(wanted.map((r) => r.name));
    for (const rule of wanted) {
      const text = JSON.stringify(rule);
      if (this.#applied.get(rule.name) === text) continue;
      await this.#dp.putFirewallRule(rule);
      this.#applied.set(rule.name, text);
    }
    for (const name of [...this.#applied.keys()]) {
      if (names.has(name)) continue;
      await this.#dp.deleteFirewallRule(name);
      this.#applied.delete(name);
    }
  }
}
