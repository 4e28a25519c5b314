/**
 * For each published example the server implements: what its parameters imply already
 * exists, and how to create it (through the state API for what ARM only reads, through ARM
 * itself for load balancers and public IPs). A GET example implies the resource exists with
 * what the example shows; back-references in an example (a pool's `loadBalancingRules`, a
 * public IP's `ipConfiguration`) imply the resources that cause them. A PUT that answers
 * 200 in the example implies the resource exists; one that answers 201 implies it does not.
 *
 * Where an example's request is malformed, the correction is explicit here and printed with
 * the replay row.
 */
import { isObject, type Json, type JsonObject } from './json.ts';
import { addresses, existingPublicIp, groups, HTTP_PROBE, lbBody, net, put, ref, rg1Lb, SUB, type SeedContext, testrgLbWithRule, vnetlb } from './spec-seed-kit.ts';

export type { SeedContext };

export interface ExampleSeed {
  /** What the example implies exists, in a sentence (printed in the replay's notes). */
  readonly implies: string;
  readonly seed: (c: SeedContext) => Promise<void>;
  /** A correction to the example's request body, with the reason. */
  readonly adjust?: (example: JsonObject, body: Json | undefined) => { body: Json | undefined; note: string };
}

export const EXAMPLE_SEEDS: Readonly<Record<string, ExampleSeed>> = {
  'LBBackendAddressPoolWithBackendAddressesGet.json': {
    implies: 'testrg/lb exists with pool backend holding address1 and address2 (in rg1/vnetlb), used by rule rulelb',
    seed: (c) => testrgLbWithRule(c, { name: 'backend', properties: { loadBalancerBackendAddresses: addresses() } }),
  },
  'LBBackendAddressPoolWithBackendAddressesPut.json': {
    implies: 'testrg/lb exists with an empty pool backend used by rule rulelb (hence 200), and rg1/vnetlb exists',
    seed: (c) => testrgLbWithRule(c, { name: 'backend', properties: {} }),
  },
  'LoadBalancerBackendAddressPoolDelete.json': {
    implies: 'testrg/lb exists with an unused pool backend',
    seed: async (c) => {
      groups(c, 'eastus', 'testrg', 'rg1');
      const subnet = vnetlb(c, 'rg1');
      await put(c, net('testrg', 'loadBalancers', 'lb'), lbBody('testrg', 'lb', { frontend: { name: 'fe', properties: { subnet: ref(subnet) } }, pools: [{ name: 'backend' }] }));
    },
  },
  'LoadBalancerBackendAddressPoolGet.json': {
    implies: 'testrg/lb exists with pool backend used by rule rulelb, and NIC testrg/nic (ipconfig default-ip-config) in that pool',
    seed: async (c) => {
      await testrgLbWithRule(c, { name: 'backend' });
      c.state.createNetworkInterface(SUB, 'testrg', 'nic', {
        subnetId: net('rg1', 'virtualNetworks/vnetlb/subnets/subnetlb'),
        ipConfigurationName: 'default-ip-config',
        backendPoolIds: [net('testrg', 'loadBalancers/lb/backendAddressPools/backend')],
      });
    },
  },
  'LoadBalancerCreateWithSyncModePropertyOnPool.json': {
    implies: 'rg1 and rg1/vnetlb with subnet subnetlb exist; the load balancer does not (hence 201)',
    seed: async (c) => {
      groups(c, 'eastus', 'rg1');
      vnetlb(c, 'rg1');
    },
  },
  'LoadBalancerCreateWithZones.json': {
    implies: 'rg1 and rg1/vnetlb with subnet subnetlb exist; the load balancer does not (hence 201)',
    seed: async (c) => {
      groups(c, 'eastus', 'rg1');
      vnetlb(c, 'rg1');
    },
  },
  'LoadBalancerDelete.json': {
    implies: 'rg1/lb exists',
    seed: async (c) => {
      groups(c, 'eastus', 'rg1');
      const subnet = vnetlb(c, 'rg1');
      await put(c, net('rg1', 'loadBalancers', 'lb'), lbBody('rg1', 'lb', { frontend: { name: 'fe', properties: { subnet: ref(subnet) } } }));
    },
  },
  'LoadBalancerFrontendIPConfigurationGet.json': {
    implies: 'testrg/lb exists with a private frontend `frontend` in testrg/vnetlb/subnetlb, used by rule rulelb and inbound NAT rule inrlb',
    seed: async (c) => {
      groups(c, 'eastus', 'testrg');
      const subnet = vnetlb(c, 'testrg');
      const id = net('testrg', 'loadBalancers', 'lb');
      await put(
        c,
        id,
        lbBody('testrg', 'lb', {
          frontend: { name: 'frontend', properties: { subnet: ref(subnet) } },
          pools: [{ name: 'pool' }],
          rule: { name: 'rulelb', pool: 'pool' },
          natRules: [{ name: 'inrlb', properties: { frontendIPConfiguration: ref(`${id}/frontendIPConfigurations/frontend`), protocol: 'Tcp', frontendPort: 3389, backendPort: 3389 } }],
        }),
      );
    },
  },
  'LoadBalancerGetInboundNatRulePortMapping.json': {
    implies: 'rg1/lb exists (westus) with address 10.0.0.4 in pool be-lb and an inbound NAT rule with frontend ports 3389-4000 on that pool',
    seed: async (c) => {
      groups(c, 'westus', 'rg1');
      const subnet = vnetlb(c, 'rg1');
      const pool = { name: 'be-lb', properties: { loadBalancerBackendAddresses: [{ name: '8bec96ef-0a6a-45b8-9860-4ffde7bf3572', properties: { ipAddress: '10.0.0.4', subnet: ref(subnet) } }] } };
      const nat = { frontendPort: 0, backendPort: 3389, enableTcpReset: true, frontendPortRangeStart: 3389, frontendPortRangeEnd: 4000, backendAddressPool: ref(net('rg1', 'loadBalancers/lb/backendAddressPools/be-lb')) };
      await put(c, net('rg1', 'loadBalancers', 'lb'), rg1Lb(subnet, nat, pool));
    },
  },
  'LoadBalancerUpdateTags.json': {
    implies: 'rg1/lb exists (westus) with fe-lb, be-lb, rulelb, probe-lb and in-nat-rule',
    seed: async (c) => {
      groups(c, 'westus', 'rg1');
      const subnet = vnetlb(c, 'rg1');
      await put(c, net('rg1', 'loadBalancers', 'lb'), rg1Lb(subnet, { frontendPort: 3389, backendPort: 3389 }, { name: 'be-lb' }));
    },
  },
  'LoadBalancerHealth.json': {
    implies: 'rg1/lb1 exists with rule rulelb whose pool holds NIC1 (ipConfig, 10.1.0.4), which the probe finds Up (set with state.setHealth)',
    seed: async (c) => {
      groups(c, 'eastus', 'rg1');
      c.state.createVirtualNetwork(SUB, 'rg1', 'vnet', '10.1.0.0/16', {
        subnets: [
          { name: 'default', addressPrefix: '10.1.0.0/24' },
          { name: 'lb', addressPrefix: '10.1.1.0/24' },
        ],
      });
      const subnet = net('rg1', 'virtualNetworks/vnet/subnets/default');
      await put(
        c,
        net('rg1', 'loadBalancers', 'lb1'),
        lbBody('rg1', 'lb1', {
          frontend: { name: 'fe', properties: { subnet: ref(net('rg1', 'virtualNetworks/vnet/subnets/lb')) } },
          pools: [{ name: 'pool' }],
          probe: { name: 'probe', properties: { protocol: 'Tcp', port: 80 } },
          rule: { name: 'rulelb', pool: 'pool' },
        }),
      );
      c.state.createNetworkInterface(SUB, 'rg1', 'NIC1', { subnetId: subnet, ipConfigurationName: 'ipConfig', privateIPAddress: '10.1.0.4', backendPoolIds: [net('rg1', 'loadBalancers/lb1/backendAddressPools/pool')] });
      c.state.setHealth('10.1.0.4', 'Up');
    },
  },
  'LoadBalancerOutboundRuleGet.json': {
    implies: 'testrg/lb1 exists with a public frontend lbfrontend, pool bepool1 and outbound rule rule1',
    seed: async (c) => {
      groups(c, 'eastus', 'testrg');
      await put(c, net('testrg', 'publicIPAddresses', 'pip'), { location: 'eastus', sku: { name: 'Standard' }, properties: { publicIPAllocationMethod: 'Static' } });
      const id = net('testrg', 'loadBalancers', 'lb1');
      await put(
        c,
        id,
        lbBody('testrg', 'lb1', {
          frontend: { name: 'lbfrontend', properties: { publicIPAddress: ref(net('testrg', 'publicIPAddresses', 'pip')) } },
          pools: [{ name: 'bepool1' }],
          outboundRules: [
            {
              name: 'rule1',
              properties: {
                frontendIPConfigurations: [ref(`${id}/frontendIPConfigurations/lbfrontend`)],
                backendAddressPool: ref(`${id}/backendAddressPools/bepool1`),
                protocol: 'Tcp',
                allocatedOutboundPorts: 64,
                idleTimeoutInMinutes: 15,
                enableTcpReset: true,
              },
            },
          ],
        }),
      );
    },
  },
  'LoadBalancerProbeGet.json': {
    implies: 'testrg/lb exists with HTTP probe probe1 used by rule rulelb',
    seed: async (c) => {
      groups(c, 'eastus', 'testrg');
      const subnet = vnetlb(c, 'testrg');
      await put(
        c,
        net('testrg', 'loadBalancers', 'lb'),
        lbBody('testrg', 'lb', { frontend: { name: 'fe', properties: { subnet: ref(subnet) } }, pools: [{ name: 'pool' }], probe: { name: 'probe1', properties: HTTP_PROBE }, rule: { name: 'rulelb', pool: 'pool' } }),
      );
    },
  },
  'PublicIpAddressCreateCustomizedValues.json': {
    implies: 'rg1/test-ip exists (Standard, Global, zone 1), held by NIC testDNS649 (its ipConfiguration), hence 200',
    seed: (c) =>
      existingPublicIp(c, 'test-ip', { location: 'eastus', zones: ['1'], sku: { name: 'Standard', tier: 'Global' }, properties: { publicIPAllocationMethod: 'Static' } }, 'testDNS649'),
    adjust: (example, body) => {
      const zones = (example['parameters'] as JsonObject)['zones'];
      return {
        body: isObject(body) ? { ...body, zones: zones ?? null } : body,
        note: 'the example puts `zones` beside the body in its parameters; the replay sends it in the body, where the API takes it',
      };
    },
  },
  'PublicIpAddressCreateDefaults.json': {
    implies: 'rg1/test-ip exists with defaults, held by NIC testDNS649 (its ipConfiguration), hence 200',
    seed: (c) => existingPublicIp(c, 'test-ip', { location: 'eastus' }, 'testDNS649'),
  },
  'PublicIpAddressDelete.json': {
    implies: 'rg1/test-ip exists and nothing holds it',
    seed: (c) => existingPublicIp(c, 'test-ip', { location: 'eastus' }),
  },
  'PublicIpAddressGet.json': {
    implies: 'rg1/testDNS-ip exists with DDoS protection and IP tags, held by NIC testDNS649',
    seed: (c) =>
      existingPublicIp(
        c,
        'testDNS-ip',
        {
          location: 'westus',
          properties: {
            ddosSettings: { protectionMode: 'Enabled', ddosProtectionPlan: ref(net('rg1', 'ddosProtectionPlans/test-plan')) },
            ipTags: [
              { ipTagType: 'FirstPartyUsage', tag: 'SQL' },
              { ipTagType: 'FirstPartyUsage', tag: 'Storage' },
            ],
          },
        },
        'testDNS649',
      ),
  },
  'PublicIpAddressList.json': {
    implies: 'rg1 holds testDNS-ip (on NIC testDNS649) and ip03, ip04 with DNS labels, on frontends of load balancer testLb',
    seed: async (c) => {
      const vni = { protectionMode: 'VirtualNetworkInherited' };
      await existingPublicIp(
        c,
        'testDNS-ip',
        { location: 'westus', properties: { ddosSettings: vni, ipTags: [{ ipTagType: 'FirstPartyUsage', tag: 'SQL' }, { ipTagType: 'FirstPartyUsage', tag: 'Storage' }] } },
        'testDNS649',
      );
      await put(c, net('rg1', 'publicIPAddresses', 'ip03'), { location: 'westus', properties: { ddosSettings: vni, dnsSettings: { domainNameLabel: 'testlbl' } } });
      await put(c, net('rg1', 'publicIPAddresses', 'ip04'), { location: 'westus', properties: { ddosSettings: vni, dnsSettings: { domainNameLabel: 'testlbl', domainNameLabelScope: 'TenantReuse' } } });
      const frontends = [
        { name: 'LoadBalancerFrontEnd', properties: { publicIPAddress: ref(net('rg1', 'publicIPAddresses', 'ip03')) } },
        { name: 'LoadBalancerFrontEnd2', properties: { publicIPAddress: ref(net('rg1', 'publicIPAddresses', 'ip04')) } },
      ];
      await put(c, net('rg1', 'loadBalancers', 'testLb'), { location: 'westus', properties: { frontendIPConfigurations: frontends } });
    },
  },
};
