import assert from 'node:assert/strict';
import { test } from 'node:test';
import { activeProxyOnlySubnet, allows, type Firewall, firewallNeeds, missingRules } from './prerequisites.ts';

const NET = 'projects/p/global/networks/vpc';
const [hc, px] = firewallNeeds('10.129.0.0/23') as [ReturnType<typeof firewallNeeds>[0], ReturnType<typeof firewallNeeds>[0]];
const rule = (over: Firewall): Firewall => ({ name: 'r', network: `https://www.googleapis.com/compute/v1/${NET}`, direction: 'INGRESS', allowed: [{ IPProtocol: 'tcp' }], ...over });

test('a rule lets a need through only when it is an enabled ingress TCP allow of the network covering every source and port', () => {
  const cases: [string, Firewall, typeof hc, number[], boolean][] = [
    ['both probe ranges, any TCP port', rule({ sourceRanges: ['35.191.0.0/16', '130.211.0.0/22'] }), hc, [8080], true],
    ['a wider range covers both', rule({ sourceRanges: ['0.0.0.0/0'] }), hc, [8080], true],
    ['one probe range is not enough', rule({ sourceRanges: ['35.191.0.0/16'] }), hc, [8080], false],
    ['the port is listed', rule({ sourceRanges: ['10.129.0.0/23'], allowed: [{ IPProtocol: 'tcp', ports: ['8000-8100'] }] }), px, [8080], true],
    ['the port is not listed', rule({ sourceRanges: ['10.129.0.0/23'], allowed: [{ IPProtocol: 'tcp', ports: ['80'] }] }), px, [8080], false],
    ['ports unknown: a port list is not enough', rule({ sourceRanges: ['10.129.0.0/23'], allowed: [{ IPProtocol: 'tcp', ports: ['8080'] }] }), px, [], false],
    ['ports unknown: every TCP port will do', rule({ sourceRanges: ['10.129.0.0/23'] }), px, [], true],
    ['udp only', rule({ sourceRanges: ['10.129.0.0/23'], allowed: [{ IPProtocol: 'udp' }] }), px, [8080], false],
    ['all protocols', rule({ sourceRanges: ['10.129.0.0/23'], allowed: [{ IPProtocol: 'all' }] }), px, [8080], true],
    ['disabled', rule({ sourceRanges: ['10.129.0.0/23'], disabled: true }), px, [8080], false],
    ['egress', rule({ sourceRanges: ['10.129.0.0/23'], direction: 'EGRESS' }), px, [8080], false],
    ['another network', rule({ sourceRanges: ['10.129.0.0/23'], network: 'projects/p/global/networks/other' }), px, [8080], false],
    ['a deny rule', { ...rule({ sourceRanges: ['10.129.0.0/23'] }), allowed: [], denied: [{ IPProtocol: 'tcp' }] }, px, [8080], false],
  ];
  for (const [name, r, need, ports, want] of cases) assert.equal(allows(r, NET, need, ports), want, name);
});

test('missingRules names what no rule meets; the active proxy-only subnet of the network is found', () => {
  assert.deepEqual(
    missingRules([rule({ sourceRanges: ['10.129.0.0/23'] })], NET, [hc, px], [8080]).map((n) => n.key),
    ['hc'],
  );
  assert.equal(missingRules([rule({ sourceRanges: ['0.0.0.0/0'] })], NET, [hc, px], [8080]).length, 0);
  const subnets = [
    { name: 'backup', purpose: 'REGIONAL_MANAGED_PROXY', role: 'BACKUP', network: NET },
    { name: 'pods', purpose: 'PRIVATE', network: NET },
    { name: 'elsewhere', purpose: 'REGIONAL_MANAGED_PROXY', role: 'ACTIVE', network: 'projects/p/global/networks/other' },
  ];
  assert.equal(activeProxyOnlySubnet(subnets, NET), undefined);
  assert.equal(activeProxyOnlySubnet([...subnets, { name: 'active', purpose: 'REGIONAL_MANAGED_PROXY', role: 'ACTIVE', network: NET }], NET)?.name, 'active');
});

test("with the nodes' network tags known, a rule counts only when it targets every VM or one of those tags; unknown, its targets are trusted", () => {
  const tags = ['gke-pool-a'];
  const cases: [string, Firewall, boolean, boolean][] = [
    ['no targets: every VM', rule({ sourceRanges: ['10.129.0.0/23'] }), true, true],
    ['one of the nodes\' tags', rule({ sourceRanges: ['10.129.0.0/23'], targetTags: ['other', 'gke-pool-a'] }), true, true],
    ['another tag only', rule({ sourceRanges: ['10.129.0.0/23'], targetTags: ['bastion'] }), false, true],
    ['a service account target', rule({ sourceRanges: ['10.129.0.0/23'], targetServiceAccounts: ['sa@p.iam.gserviceaccount.com'] }), false, true],
  ];
  for (const [name, r, withTags, trusted] of cases) {
    assert.equal(allows(r, NET, px, [8080], tags), withTags, `${name}, tags known`);
    assert.equal(allows(r, NET, px, [8080]), trusted, `${name}, tags unknown`);
  }
});
