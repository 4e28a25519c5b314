/**
 * Network security groups in the ARM test server, through the real `@azure/arm-network`:
 * what ARM refuses is refused with its code, the default rules are in every group, and the
 * twin's data plane enforces the subnet's group: the probes pass on the default
 * AllowAzureLoadBalancerInBound while client flows from outside the virtual network are
 * dropped (the trap), an Allow rule for the client's source opens the port, and a client
 * outside the rule's sources stays refused.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { NetworkManagementClient, type SecurityRule } from '@azure/arm-network';
import { ClientSecretCredential } from '@azure/identity';
import { freeLoopbackPorts } from '@sluice/testbed/harness';
import { type ArmServer, startArmServer } from './arm-server.ts';
import { complementV4 } from './nsg-firewall.ts';

const SUB = '00000000-0000-0000-0000-0000000000cc';
const RG = 'nsg';
const POLL = { updateIntervalInMs: 10 };
const lbId = `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.Network/loadBalancers/lb`;
const POD = '127.0.0.2';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Whether a client bound to `from` gets a greeting through the frontend within 1 s. */
function served(from: string, host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, localAddress: from });
    const done = (ok: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), 1000);
    socket.on('error', () => done(false));
    socket.once('data', () => done(true));
  });
}

async function rejection(p: Promise<unknown>): Promise<{ statusCode?: number; code?: string; message: string }> {
  try {
    await p;
  } catch (e) {
    return e as { statusCode?: number; code?: string; message: string };
  }
  assert.fail('expected the call to fail');
}

const rule = (priority: number, extra: Partial<SecurityRule> = {}): SecurityRule => ({
  protocol: 'Tcp',
  access: 'Allow',
  direction: 'Inbound',
  priority,
  sourceAddressPrefix: 'Internet',
  sourcePortRange: '*',
  destinationAddressPrefix: '*',
  destinationPortRange: '80',
  ...extra,
});

describe('network security groups', () => {
  let server: ArmServer;
  let client: NetworkManagementClient;
  let pod: import('node:net').Server;
  let frontendPort: number;
  let backendPort: number;
  let address: string;

  before(async () => {
    [frontendPort = 0, backendPort = 0] = await freeLoopbackPorts(2);
    server = await startArmServer({ operations: { durationMs: 20 }, retryAfterSeconds: 0, dataPlane: { timeScale: 0.02 } });
    server.state.createResourceGroup(SUB, RG, 'westeurope');
    const credential = new ClientSecretCredential(server.identity.tenantId, server.identity.clientId, server.identity.clientSecret, {
      authorityHost: server.authorityHost,
      disableInstanceDiscovery: true,
      tlsOptions: { ca: server.caPem },
    });
    client = new NetworkManagementClient(credential, SUB, { endpoint: server.endpoint, tlsOptions: { ca: server.caPem }, retryOptions: { maxRetries: 0 } });
    pod = (await import('node:net')).createServer((c) => {
      c.on('error', () => {});
      c.end('hello\n');
    });
    await new Promise<void>((r) => pod.listen(backendPort, POD, r));
  });
  after(async () => {
    await new Promise((r) => pod.close(r));
    await server.stop();
  });

  it('refuses what ARM refuses, each with its code', async () => {
    const cases: [SecurityRule[], string, RegExp][] = [
      [[rule(99)], 'SecurityRuleInvalidPriority', /Value provided: 99\. Allowed values are from 100 to 4096/],
      [[rule(4097)], 'SecurityRuleInvalidPriority', /Value provided: 4097/],
      [[{ ...rule(200), name: 'a' }, { ...rule(200), name: 'b' }], 'SecurityRuleConflict', /Security rule a conflicts with rule b\. Rules cannot have the same Priority and Direction/],
      [[rule(200, { sourceAddressPrefix: undefined, sourceAddressPrefixes: ['Internet'] })], 'SecurityRuleInvalidAddressPrefix', /"Internet"/],
      [[rule(200, { sourceAddressPrefixes: ['10.0.0.0/8'] })], 'SecurityRuleInvalidAddressPrefix', /both sourceAddressPrefix and sourceAddressPrefixes/],
      [[rule(200, { sourceAddressPrefix: 'Intranet' })], 'SecurityRuleInvalidAddressPrefix', /"Intranet"/],
      [[rule(200, { destinationPortRange: '70000' })], 'SecurityRuleInvalidPortRange', /"70000"/],
      [[rule(200, { destinationPortRange: '90-80' })], 'SecurityRuleInvalidPortRange', /"90-80"/],
    ];
    for (const [rules, code, message] of cases) {
      const e = await rejection(
        client.networkSecurityGroups.beginCreateOrUpdateAndWait(RG, 'bad', { location: 'westeurope', securityRules: rules.map((r, i) => ({ name: `r${i}`, ...r })) }, POLL),
      );
      assert.equal(e.statusCode, 400, `${code}: ${e.message}`);
      assert.equal(e.code, code);
      assert.match(e.message, message);
    }
    assert.equal(server.requests.entries().filter((r) => r.operation === 'NetworkSecurityGroups_CreateOrUpdate' && r.status < 300).length, 0, 'nothing was created');
    // The same priority in the other direction is fine.
    const ok = await client.networkSecurityGroups.beginCreateOrUpdateAndWait(
      RG,
      'two-ways',
      { location: 'westeurope', securityRules: [{ name: 'in', ...rule(200) }, { name: 'out', ...rule(200, { direction: 'Outbound' }) }] },
      POLL,
    );
    assert.deepEqual(ok.securityRules?.map((r) => r.name), ['in', 'out']);
  });

  it('puts the six default rules in every group, readable and never writable', async () => {
    const nsg = await client.networkSecurityGroups.beginCreateOrUpdateAndWait(RG, 'pods-nsg', { location: 'westeurope' }, POLL);
    assert.deepEqual(
      nsg.defaultSecurityRules?.map((r) => `${r.name} ${r.direction} ${r.priority} ${r.access}`),
      [
        'AllowVnetInBound Inbound 65000 Allow',
        'AllowAzureLoadBalancerInBound Inbound 65001 Allow',
        'DenyAllInBound Inbound 65500 Deny',
        'AllowVnetOutBound Outbound 65000 Allow',
        'AllowInternetOutBound Outbound 65001 Allow',
        'DenyAllOutBound Outbound 65500 Deny',
      ],
    );
    const one = await client.defaultSecurityRules.get(RG, 'pods-nsg', 'DenyAllInBound');
    assert.equal(one.sourceAddressPrefix, '*');
    const conflict = await rejection(client.securityRules.beginCreateOrUpdateAndWait(RG, 'two-ways', 'again', rule(200), POLL));
    assert.equal(conflict.code, 'SecurityRuleConflict');
  });

  it('shows the trap: probes pass, client flows from the Internet are dropped until a rule allows them; sources outside the rule stay refused', async () => {
    const nsg = await client.networkSecurityGroups.get(RG, 'pods-nsg');
    // The pods' network is 127.0.0.0/16 so that clients bound to 127.1.0.1 and 127.2.0.1 come from the Internet.
    server.state.createVirtualNetwork(SUB, RG, 'pods', ['127.0.0.0/16'], { subnets: [{ name: 'default', addressPrefix: '127.0.0.0/16', networkSecurityGroupId: nsg.id! }] });
    const pip = await client.publicIPAddresses.beginCreateOrUpdateAndWait(RG, 'pip', { location: 'westeurope', sku: { name: 'Standard' }, publicIPAllocationMethod: 'Static' }, POLL);
    address = pip.ipAddress!;
    await client.loadBalancers.beginCreateOrUpdateAndWait(
      RG,
      'lb',
      {
        location: 'westeurope',
        sku: { name: 'Standard' },
        frontendIPConfigurations: [{ name: 'fe', publicIPAddress: { id: pip.id! } }],
        backendAddressPools: [{ name: 'pool', loadBalancerBackendAddresses: [{ name: 'pod', ipAddress: POD, virtualNetwork: { id: `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.Network/virtualNetworks/pods` } }] }],
        probes: [{ name: 'probe', protocol: 'Tcp', port: backendPort, intervalInSeconds: 5, probeThreshold: 1 }],
        loadBalancingRules: [
          {
            name: 'rule',
            protocol: 'Tcp',
            frontendPort,
            backendPort,
            frontendIPConfiguration: { id: `${lbId}/frontendIPConfigurations/fe` },
            backendAddressPool: { id: `${lbId}/backendAddressPools/pool` },
            probe: { id: `${lbId}/probes/probe` },
          },
        ],
      },
      POLL,
    );
    const health = async () => (await client.loadBalancerLoadBalancingRules.beginHealthAndWait(RG, 'lb', 'rule', POLL)).loadBalancerBackendAddresses?.[0]?.state;
    const deadline = performance.now() + 10_000;
    while ((await health()) !== 'Up') {
      assert.ok(performance.now() < deadline, 'the probe passes on AllowAzureLoadBalancerInBound');
      await sleep(50);
    }
    assert.equal(await served('127.1.0.1', address, frontendPort), false, 'the probe passes but DenyAllInBound drops the client: the trap');

    await client.securityRules.beginCreateOrUpdateAndWait(RG, 'pods-nsg', 'allow-web', rule(500, { sourceAddressPrefix: undefined, sourceAddressPrefixes: ['127.1.0.0/24'], destinationAddressPrefixes: [POD], destinationAddressPrefix: undefined, destinationPortRange: String(backendPort) }), POLL);
    await server.dataPlane!.sync();
    assert.equal(await served('127.1.0.1', address, frontendPort), true, 'a client inside the rule source is served');
    assert.equal(await served('127.2.0.1', address, frontendPort), false, 'a client outside the rule source is still dropped');

    await client.securityRules.beginDeleteAndWait(RG, 'pods-nsg', 'allow-web', POLL);
    await server.dataPlane!.sync();
    assert.equal(await served('127.1.0.1', address, frontendPort), false, 'without the rule the client is dropped again');
  });

  it('takes Internet as the IPv4 space outside the virtual network', () => {
    assert.deepEqual(complementV4(['10.0.0.0/8']), ['0.0.0.0/5', '8.0.0.0/7', '11.0.0.0/8', '12.0.0.0/6', '16.0.0.0/4', '32.0.0.0/3', '64.0.0.0/2', '128.0.0.0/1']);
    assert.deepEqual(complementV4(['0.0.0.0/1', '128.0.0.0/1']), []);
  });
});
