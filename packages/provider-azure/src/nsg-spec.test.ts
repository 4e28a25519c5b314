import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SecurityRule } from '@azure/arm-network';
import type { ServiceSpecView } from '@sluice/core';
import { isTerminalError } from '@sluice/core';
import { desiredRules, planRules, rulePrefix } from './nsg-spec.ts';
import { resolveOptions } from './options.ts';

const SVC: ServiceSpecView = { namespace: 'shop', name: 'web', uid: 'uid-1', annotations: {}, ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 }] };
const PORTS = [{ name: 'http', protocol: 'Tcp' as const, backendPort: 8080, destination: ['10.0.0.5', '10.0.0.4'] }];
const RANGE = { min: 3000, max: 3002 };
const ENV = {
  AZURE_SUBSCRIPTION_ID: 'sub-1',
  AZURE_RESOURCE_GROUP: 'rg-1',
  AZURE_LOCATION: 'westeurope',
  AZURE_VNET_ID: '/subscriptions/sub-1/resourceGroups/rg-1/providers/Microsoft.Network/virtualNetworks/pods',
};

test('one Allow rule per port: Internet without source ranges, the ranges with them; destination the pods addresses, port the backend port', () => {
  const open = desiredRules({ clusterName: 'c1', service: SVC, ports: PORTS });
  const [name, rule] = [...open][0]!;
  assert.equal(name, `${rulePrefix('c1', SVC)}http`);
  assert.deepEqual(
    [rule.access, rule.direction, rule.protocol, rule.sourceAddressPrefix, rule.destinationAddressPrefixes, rule.destinationPortRange],
    ['Allow', 'Inbound', 'Tcp', 'Internet', ['10.0.0.4', '10.0.0.5'], '8080'],
  );
  const one = [...desiredRules({ clusterName: 'c1', service: { ...SVC, sourceRanges: ['203.0.113.0/24'] }, ports: [{ ...PORTS[0]!, destination: ['10.0.0.4'] }] }).values()][0]!;
  assert.deepEqual([one.sourceAddressPrefix, one.sourceAddressPrefixes, one.destinationAddressPrefix], ['203.0.113.0/24', undefined, '10.0.0.4']);
  assert.equal(desiredRules({ clusterName: 'c1', service: SVC, ports: [{ ...PORTS[0]!, destination: [] }] }).size, 0, 'a port without pods has no rule');
  const two = [...desiredRules({ clusterName: 'c1', service: { ...SVC, sourceRanges: ['203.0.113.0/24', '198.51.100.7/32'] }, ports: PORTS}).values()][0]!;
  assert.deepEqual([two.sourceAddressPrefix, two.sourceAddressPrefixes], [undefined, ['203.0.113.0/24', '198.51.100.7/32']]);
});

test('priorities: the lowest free one in the range, kept once given; foreign rules untouched; a full range refuses', () => {
  const desired = desiredRules({ clusterName: 'c1', service: SVC, ports: PORTS});
  const foreign: SecurityRule = { name: 'team-b', priority: 3000, direction: 'Inbound', access: 'Allow', protocol: '*' };
  const outbound: SecurityRule = { name: 'out', priority: 3001, direction: 'Outbound', access: 'Allow', protocol: '*' };
  const first = planRules([foreign, outbound], desired, rulePrefix('c1', SVC), RANGE)!;
  assert.deepEqual(first.put.map((r) => [r.name, r.priority]), [[`${rulePrefix('c1', SVC)}http`, 3001]], 'an outbound rule does not take an inbound priority');
  assert.deepEqual(first.remove, []);
  const written = first.put[0]!;
  assert.deepEqual(planRules([foreign, written], desired, rulePrefix('c1', SVC), RANGE), { put: [], remove: [] }, 'nothing to write when the rule is there');
  const ranged = desiredRules({ clusterName: 'c1', service: { ...SVC, sourceRanges: ['198.51.100.0/24'] }, ports: PORTS});
  const update = planRules([foreign, written], ranged, rulePrefix('c1', SVC), RANGE)!;
  assert.deepEqual(update.put.map((r) => [r.priority, r.sourceAddressPrefix]), [[3001, '198.51.100.0/24']], 'changed ranges rewrite the rule at its priority');
  const stale: SecurityRule = { ...written, name: `${rulePrefix('c1', SVC)}old` };
  assert.deepEqual(planRules([foreign, written, stale], desired, rulePrefix('c1', SVC), RANGE)!.remove, [stale.name], 'a port the Service lost loses its rule');
  const full = [3000, 3001, 3002].map((p) => ({ name: `x${p}`, priority: p, direction: 'Inbound', access: 'Deny', protocol: '*' }) as SecurityRule);
  assert.equal(planRules(full, desired, rulePrefix('c1', SVC), RANGE), undefined);
});

test('the network security group options: a name or an id, a priority range within 100-4096, one sentence when malformed', () => {
  assert.deepEqual(resolveOptions({ clusterName: 'c1', networkSecurityGroup: 'aks-agentpool-nsg' }, ENV).securityGroup, { resourceGroup: 'rg-1', name: 'aks-agentpool-nsg' });
  assert.deepEqual(
    resolveOptions({ clusterName: 'c1' }, { ...ENV, SLUICE_AZURE_NSG: '/subscriptions/s/resourceGroups/MC_rg/providers/Microsoft.Network/networkSecurityGroups/n1' }).securityGroup,
    { resourceGroup: 'MC_rg', name: 'n1' },
  );
  assert.deepEqual(resolveOptions({ clusterName: 'c1', nsgPriorities: '500-599' }, ENV).securityRulePriorities, { min: 500, max: 599 });
  const sentence = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      assert.ok(isTerminalError(e));
      return (e as Error).message;
    }
    assert.fail('expected a TerminalError');
  };
  assert.equal(
    sentence(() => resolveOptions({ clusterName: 'c1', nsgPriorities: '50-5000' }, ENV)),
    'Azure provider --azure-nsg-priorities (option nsgPriorities) is "50-5000", but it must be a range min-max within 100-4096, such as 3000-3999.',
  );
  assert.equal(
    sentence(() => resolveOptions({ clusterName: 'c1' }, { ...ENV, SLUICE_AZURE_NSG: 'bad name' })),
    'Azure provider SLUICE_AZURE_NSG (option networkSecurityGroup) is "bad name", but it must be a network security group name (1 to 80 letters, digits, underscores, periods and hyphens) or its resource ID.',
  );
});
