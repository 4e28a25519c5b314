import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LoadBalancer as AzureLb } from '@azure/arm-network';
import { desiredLoadBalancer, loadBalancerMatches, portSpecs } from './lb-spec.ts';

const LB = '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/loadBalancers/lb';
const SETTINGS = { probeIntervalSeconds: 5, probeThreshold: 2, idleTimeoutMinutes: 4 };
const TAGS = { 'sluice-managed-by': 'sluice', 'sluice-cluster': 'c1', 'sluice-service-uid': 'u1' };
const PORTS = [
  { name: 'http', port: 80, protocol: 'TCP' as const, targetPort: 8080 },
  { name: 'dns', port: 53, protocol: 'UDP' as const, targetPort: 'dns' },
];

function desired(overrides: Partial<Parameters<typeof desiredLoadBalancer>[0]> = {}): AzureLb {
  return desiredLoadBalancer({
    lbId: LB,
    location: 'westeurope',
    tags: TAGS,
    frontend: { publicIpId: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/publicIPAddresses/lb-pip' },
    ports: portSpecs(PORTS, new Map([['dns', 5353]]), undefined),
    settings: SETTINGS,
    ...overrides,
  });
}

test('backend ports come from the backends, else a numeric targetPort, else the rule, else the Service port', () => {
  const current: AzureLb = { loadBalancingRules: [{ name: 'dns', backendPort: 9953 }] };
  assert.deepEqual(portSpecs(PORTS, new Map([['dns', 5353]]), current), [
    { name: 'http', child: 'http', protocol: 'Tcp', frontendPort: 80, backendPort: 8080 },
    { name: 'dns', child: 'dns', protocol: 'Udp', frontendPort: 53, backendPort: 5353 },
  ]);
  assert.equal(portSpecs(PORTS, new Map(), current)[1]?.backendPort, 9953);
  assert.equal(portSpecs(PORTS, new Map(), undefined)[1]?.backendPort, 53);
  assert.equal(portSpecs(PORTS, new Map([['http', 9000]]), undefined)[0]?.backendPort, 9000, 'the backends win over the targetPort');
});

test('the desired body: Standard SKU, one frontend, and per port a pool, a TCP probe and a rule wired by ID', () => {
  const lb = desired();
  assert.deepEqual(lb.sku, { name: 'Standard', tier: 'Regional' });
  assert.deepEqual(lb.tags, TAGS);
  assert.deepEqual(lb.frontendIPConfigurations, [{ name: 'frontend', publicIPAddress: { id: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/publicIPAddresses/lb-pip' } }]);
  assert.deepEqual(lb.backendAddressPools, [
    { name: 'http', loadBalancerBackendAddresses: [] },
    { name: 'dns', loadBalancerBackendAddresses: [] },
  ]);
  assert.deepEqual(lb.probes?.[1], { name: 'dns', protocol: 'Tcp', port: 5353, intervalInSeconds: 5, probeThreshold: 2 });
  assert.deepEqual(lb.loadBalancingRules, [
    {
      name: 'http',
      protocol: 'Tcp',
      frontendPort: 80,
      backendPort: 8080,
      frontendIPConfiguration: { id: `${LB}/frontendIPConfigurations/frontend` },
      backendAddressPool: { id: `${LB}/backendAddressPools/http` },
      probe: { id: `${LB}/probes/http` },
      enableFloatingIP: false,
      disableOutboundSnat: true,
      enableTcpReset: true,
      idleTimeoutInMinutes: 4,
    },
    {
      name: 'dns',
      protocol: 'Udp',
      frontendPort: 53,
      backendPort: 5353,
      frontendIPConfiguration: { id: `${LB}/frontendIPConfigurations/frontend` },
      backendAddressPool: { id: `${LB}/backendAddressPools/dns` },
      probe: { id: `${LB}/probes/dns` },
      enableFloatingIP: false,
      disableOutboundSnat: true,
    },
  ]);
  const internal = desired({ frontend: { subnetId: '/subnets/x' } });
  assert.deepEqual(internal.frontendIPConfigurations, [{ name: 'frontend', subnet: { id: '/subnets/x' }, privateIPAllocationMethod: 'Dynamic' }]);
});

test('an existing LB keeps its region, its foreign tags and its pools\' addresses in the PUT', () => {
  const address = { name: 'ip-10-0-0-1', ipAddress: '10.0.0.1', virtualNetwork: { id: '/v' }, adminState: 'Down' as const, inboundNatRulesPortMapping: [] };
  const current: AzureLb = { location: 'northeurope', tags: { team: 'shop', ...TAGS }, backendAddressPools: [{ name: 'http', loadBalancerBackendAddresses: [address] }] };
  const lb = desired({ current });
  assert.equal(lb.location, 'northeurope');
  assert.deepEqual(lb.tags, { team: 'shop', ...TAGS });
  assert.deepEqual(lb.backendAddressPools?.[0]?.loadBalancerBackendAddresses, [{ name: 'ip-10-0-0-1', ipAddress: '10.0.0.1', virtualNetwork: { id: '/v' }, adminState: 'Down' }]);
});

test('matching: what Azure returns for the desired body matches; each difference Sluice sets does not', () => {
  const want = desired();
  // Azure answers with ids, etags, read-only back-references, other order and other ID case.
  const returned: AzureLb = { ...JSON.parse(JSON.stringify(want)), etag: 'W/"x"' };
  returned.tags = { ...want.tags, extra: 'kept' };
  returned.loadBalancingRules!.reverse();
  returned.loadBalancingRules![0]!.backendAddressPool!.id = returned.loadBalancingRules![0]!.backendAddressPool!.id!.toUpperCase();
  returned.backendAddressPools![0]!.loadBalancerBackendAddresses = [{ name: 'ip-1', ipAddress: '10.0.0.1' }];
  (returned.probes![0] as { loadBalancingRules?: unknown }).loadBalancingRules = [{ id: 'x' }];
  assert.ok(loadBalancerMatches(returned, want));

  const variants: [string, (lb: AzureLb) => void][] = [
    ['probe interval', (lb) => (lb.probes![0]!.intervalInSeconds = 15)],
    ['probe threshold', (lb) => (lb.probes![0]!.probeThreshold = 3)],
    ['probe path added by hand', (lb) => (lb.probes![0]!.requestPath = '/healthz')],
    ['idle timeout', (lb) => (lb.loadBalancingRules![0]!.idleTimeoutInMinutes = 30)],
    ['tcp reset', (lb) => (lb.loadBalancingRules![0]!.enableTcpReset = false)],
    ['floating IP', (lb) => (lb.loadBalancingRules![0]!.enableFloatingIP = true)],
    ['outbound SNAT', (lb) => (lb.loadBalancingRules![0]!.disableOutboundSnat = false)],
    ['backend port', (lb) => (lb.loadBalancingRules![1]!.backendPort = 1)],
    ['frontend IP', (lb) => (lb.frontendIPConfigurations![0]!.publicIPAddress = { id: '/other' })],
    ['a port removed', (lb) => lb.loadBalancingRules!.pop()],
    ['a pool missing', (lb) => lb.backendAddressPools!.pop()],
    ['an ownership tag', (lb) => (lb.tags = { ...lb.tags, 'sluice-service-uid': 'u2' })],
  ];
  for (const [name, change] of variants) {
    const lb: AzureLb = JSON.parse(JSON.stringify(want));
    change(lb);
    assert.ok(!loadBalancerMatches(lb, want), name);
  }
});
