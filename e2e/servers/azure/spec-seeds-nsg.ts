/**
 * The spec replay's seeds for the network security group examples (see spec-seeds.ts for the
 * conventions): a GET or list implies the groups it shows exist with the rules it shows; a
 * create whose example answers 201 implies the group (or rule) does not exist yet.
 */
import { groups, net, put, type SeedContext } from './spec-seed-kit.ts';
import type { ExampleSeed } from './spec-seeds.ts';

/** rule1 as the examples show it. */
const RULE1 = {
  name: 'rule1',
  properties: { protocol: '*', sourcePortRange: '*', destinationPortRange: '80', sourceAddressPrefix: '*', destinationAddressPrefix: '*', access: 'Allow', priority: 130, direction: 'Inbound' },
};

async function testnsg(c: SeedContext, withRule: boolean): Promise<void> {
  groups(c, 'westus', 'rg1');
  await put(c, net('rg1', 'networkSecurityGroups', 'testnsg'), { location: 'westus', properties: { securityRules: withRule ? [RULE1] : [] } });
}

export const NSG_EXAMPLE_SEEDS: Readonly<Record<string, ExampleSeed>> = {
  'NetworkSecurityGroupCreate.json': {
    implies: 'rg1 exists; the group does not (hence 201)',
    seed: async (c) => groups(c, 'eastus', 'rg1'),
  },
  'NetworkSecurityGroupCreateWithRule.json': {
    implies: 'rg1 exists; the group does not (hence 201)',
    seed: async (c) => groups(c, 'eastus', 'rg1'),
  },
  'NetworkSecurityGroupGet.json': {
    implies: 'rg1/testnsg exists with rule1',
    seed: (c) => testnsg(c, true),
  },
  'NetworkSecurityGroupList.json': {
    implies: 'rg1 holds nsg1 and nsg3 without rules of their own',
    seed: async (c) => {
      groups(c, 'westus', 'rg1');
      for (const n of ['nsg1', 'nsg3']) await put(c, net('rg1', 'networkSecurityGroups', n), { location: 'westus' });
    },
  },
  'NetworkSecurityGroupListAll.json': {
    implies: 'the subscription holds nsg1 and nsg3 (in rg1) without rules of their own',
    seed: async (c) => {
      groups(c, 'westus', 'rg1');
      for (const n of ['nsg1', 'nsg3']) await put(c, net('rg1', 'networkSecurityGroups', n), { location: 'westus' });
    },
  },
  'NetworkSecurityGroupRuleCreate.json': {
    implies: 'rg1/testnsg exists without rule1 (hence 201)',
    seed: (c) => testnsg(c, false),
  },
  'NetworkSecurityGroupRuleGet.json': {
    implies: 'rg1/testnsg exists with rule1',
    seed: (c) => testnsg(c, true),
  },
  'NetworkSecurityGroupRuleList.json': {
    implies: 'rg1/testnsg exists with rule1 only',
    seed: (c) => testnsg(c, true),
  },
};
