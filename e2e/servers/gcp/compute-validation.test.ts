/**
 * What Compute refuses for a regional proxy Network Load Balancer, through the real
 * `@google-cloud/compute` clients: endpoints whose IP does not belong to the named VM, a
 * managed forwarding rule without an active proxy-only subnet, `sourceIpRanges` on a managed
 * forwarding rule, a CONNECTION backend without a capacity, overlapping ports on one address.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AddressesClient, ForwardingRulesClient, NetworkEndpointGroupsClient, RegionBackendServicesClient, RegionTargetTcpProxiesClient } from '@google-cloud/compute';
import { PassThroughClient } from 'google-auth-library';
import { type ComputeServer, startComputeServer } from './compute-server.ts';

const project = 'sluice-validation';
const region = 'us-central1';
const zone = 'us-central1-a';
type Refusal = { httpStatusCode?: number; message?: string };
const refused = (pattern: RegExp) => (e: Refusal) => {
  assert.equal(e.httpStatusCode, 400, String(e.message));
  assert.match(String(e.message), pattern);
  return true;
};

describe('Compute validation for regional proxy Network Load Balancers', () => {
  let server: ComputeServer;
  let opts: NonNullable<ConstructorParameters<typeof NetworkEndpointGroupsClient>[0]>;

  before(async () => {
    server = await startComputeServer();
    server.state.addZone(project, zone, region);
    server.state.addNetwork({ project, name: 'default' });
    server.state.addSubnetwork({ project, region, name: 'pods', network: 'default', ipCidrRange: '10.0.0.0/16' });
    server.state.addSubnetwork({ project, region, name: 'proxy-only', network: 'default', ipCidrRange: '10.129.0.0/23', purpose: 'REGIONAL_MANAGED_PROXY' });
    server.state.addInstance({ project, zone, name: 'node-1', network: 'default', subnetwork: 'pods', networkIP: '10.0.0.2', aliasIpRanges: ['10.255.0.0/24'] });
    opts = { ...server.clientOptions, authClient: new PassThroughClient() };
    await new NetworkEndpointGroupsClient(opts).insert({ project, zone, networkEndpointGroupResource: { name: 'neg', network: 'global/networks/default', subnetwork: `regions/${region}/subnetworks/pods`, defaultPort: 80 } });
    await new RegionBackendServicesClient(opts).insert({
      project,
      region,
      backendServiceResource: { name: 'bs', loadBalancingScheme: 'EXTERNAL_MANAGED', backends: [{ group: `zones/${zone}/networkEndpointGroups/neg`, balancingMode: 'CONNECTION', maxConnectionsPerEndpoint: 10 }] },
    });
    await new RegionTargetTcpProxiesClient(opts).insert({ project, region, targetTcpProxyResource: { name: 'px', service: 'bs' } });
  });

  after(async () => {
    await server.close();
  });

  it("an endpoint's IP must be the named VM's primary IP or in one of its alias ranges", async () => {
    const negs = new NetworkEndpointGroupsClient(opts);
    const attach = (ipAddress: string, instance: string) =>
      negs.attachNetworkEndpoints({ project, zone, networkEndpointGroup: 'neg', networkEndpointGroupsAttachEndpointsRequestResource: { networkEndpoints: [{ ipAddress, port: 80, instance }] } });
    await assert.rejects(attach('10.0.0.9', 'node-1'), refused(/'resource\.networkEndpoints\[0\]\.ipAddress': '10\.0\.0\.9'\. It is neither the primary IP \(10\.0\.0\.2\) nor in an alias IP range \(10\.255\.0\.0\/24\)/));
    await assert.rejects(attach('10.255.0.7', 'node-9'), refused(/instances\/node-9' was not found/));
    await attach('10.255.0.7', 'node-1');
    await attach('10.0.0.2', 'node-1');
    assert.deepEqual(server.state.networkEndpointGroups()[0]?.endpoints.map((e) => e.ipAddress), ['10.255.0.7', '10.0.0.2']);
  });

  it('a managed forwarding rule needs an active proxy-only subnet in its region and network', async () => {
    const east = 'us-east1';
    await new RegionBackendServicesClient(opts).insert({ project, region: east, backendServiceResource: { name: 'east', loadBalancingScheme: 'EXTERNAL_MANAGED' } });
    await new RegionTargetTcpProxiesClient(opts).insert({ project, region: east, targetTcpProxyResource: { name: 'east', service: 'east' } });
    await assert.rejects(
      new ForwardingRulesClient(opts).insert({
        project,
        region: east,
        forwardingRuleResource: { name: 'east', portRange: '80', loadBalancingScheme: 'EXTERNAL_MANAGED', network: 'global/networks/default', target: 'east' },
      }),
      refused(/An active proxy-only subnetwork \(purpose REGIONAL_MANAGED_PROXY, role ACTIVE\) is required in region us-east1 and network default/),
    );
  });

  it('sourceIpRanges only on EXTERNAL (passthrough) forwarding rules, as compute.proto documents', async () => {
    await assert.rejects(
      new ForwardingRulesClient(opts).insert({
        project,
        region,
        forwardingRuleResource: { name: 'ranged', portRange: '81', loadBalancingScheme: 'EXTERNAL_MANAGED', network: 'global/networks/default', target: 'px', sourceIpRanges: ['203.0.113.0/24'] },
      }),
      refused(/whose scheme is EXTERNAL, not EXTERNAL_MANAGED/),
    );
  });

  it('a CONNECTION backend needs a capacity (maxConnections or maxConnectionsPerEndpoint)', async () => {
    await assert.rejects(
      new RegionBackendServicesClient(opts).insert({
        project,
        region,
        backendServiceResource: { name: 'bare', loadBalancingScheme: 'EXTERNAL_MANAGED', backends: [{ group: `zones/${zone}/networkEndpointGroups/neg`, balancingMode: 'CONNECTION' }] },
      }),
      refused(/'resource\.backends\[0\]'.*maxConnections or maxConnectionsPerEndpoint/),
    );
  });

  it('forwarding rules share a reserved address when their ports do not overlap', async () => {
    await new AddressesClient(opts).insert({ project, region, addressResource: { name: 'shared' } });
    const [address] = await new AddressesClient(opts).get({ project, region, address: 'shared' });
    const rules = new ForwardingRulesClient(opts);
    const rule = (name: string, portRange: string) =>
      rules.insert({ project, region, forwardingRuleResource: { name, portRange, IPAddress: `regions/${region}/addresses/shared`, loadBalancingScheme: 'EXTERNAL_MANAGED', network: 'global/networks/default', target: 'px' } });
    await rule('one', '80');
    await rule('two', '443');
    await assert.rejects(rule('three', '400-500'), refused(/is already used by forwarding rule .*\/two on an overlapping port range/));
    assert.deepEqual(
      server.state.forwardingRules().map((r) => [r['name'], r['IPAddress']]),
      [
        ['one', address.address],
        ['two', address.address],
      ],
    );
    const [inUse] = await new AddressesClient(opts).get({ project, region, address: 'shared' });
    assert.equal(inUse.status, 'IN_USE');
    await assert.rejects(new AddressesClient(opts).delete({ project, region, address: 'shared' }), refused(/already being used by/));
  });
});
