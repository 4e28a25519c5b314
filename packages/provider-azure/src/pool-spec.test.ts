import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LoadBalancerBackendAddress } from '@azure/arm-network';
import { isTerminalError } from '@sluice/core';
import { backendPortsOf, sameAddresses, wantedAddresses, writableAddress } from './pool-spec.ts';

const VNET = '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v';
const b = (ip: string, weight = 1) => ({ ip, weight });

test('the wanted list: weight > 0 is adminState None, weight 0 is Down, absent is removed; sorted by name', () => {
  assert.deepEqual(wantedAddresses([b('10.0.0.2', 0), b('10.0.0.1', 3)], VNET), [
    { name: 'sluice-ip-10-0-0-1', ipAddress: '10.0.0.1', virtualNetwork: { id: VNET }, adminState: 'None' },
    { name: 'sluice-ip-10-0-0-2', ipAddress: '10.0.0.2', virtualNetwork: { id: VNET }, adminState: 'Down' },
  ]);
  assert.deepEqual(wantedAddresses([], VNET), []);
  assert.deepEqual(
    wantedAddresses([b('10.0.0.1', 0), b('10.0.0.1', 1)], VNET).map((a) => a.adminState),
    ['None'],
    'one entry per IP; serving wins',
  );
});

test('pool diff: equal lists need no write, any difference does', () => {
  const wanted = wantedAddresses([b('10.0.0.1'), b('10.0.0.2', 0)], VNET);
  const asAzureReturnsIt: LoadBalancerBackendAddress[] = [
    { name: 'sluice-ip-10-0-0-2', ipAddress: '10.0.0.2', virtualNetwork: { id: VNET.toUpperCase() }, adminState: 'Down', inboundNatRulesPortMapping: [] },
    { name: 'sluice-ip-10-0-0-1', ipAddress: '10.0.0.1', virtualNetwork: { id: VNET } },
  ];
  assert.ok(sameAddresses(asAzureReturnsIt, wanted), 'order, ID case, read-only fields and an absent adminState (None) do not matter');
  const cases: [string, typeof asAzureReturnsIt][] = [
    ['one missing', asAzureReturnsIt.slice(0, 1)],
    ['one extra', [...asAzureReturnsIt, { name: 'sluice-ip-10-0-0-3', ipAddress: '10.0.0.3', virtualNetwork: { id: VNET } }]],
    ['drained one serving', [asAzureReturnsIt[0]!, { ...asAzureReturnsIt[1]!, adminState: 'Down' }]],
    ['admin state Up set by hand', [asAzureReturnsIt[0]!, { ...asAzureReturnsIt[1]!, adminState: 'Up' }]],
    ['another virtual network', [asAzureReturnsIt[0]!, { ...asAzureReturnsIt[1]!, virtualNetwork: { id: `${VNET}2` } }]],
    ['another IP under the name', [asAzureReturnsIt[0]!, { ...asAzureReturnsIt[1]!, ipAddress: '10.0.0.9' }]],
  ];
  for (const [name, current] of cases) assert.ok(!sameAddresses(current, wanted), name);
  assert.ok(sameAddresses(undefined, []));
  assert.ok(!sameAddresses(undefined, wanted));
});

test('writableAddress keeps what a PUT may carry and drops read-only fields', () => {
  assert.deepEqual(
    writableAddress({ name: 'ip-1', ipAddress: '10.0.0.1', virtualNetwork: { id: VNET }, adminState: 'Down', inboundNatRulesPortMapping: [{ inboundNatRuleName: 'x' }], networkInterfaceIPConfiguration: { id: 'n' } }),
    { name: 'ip-1', ipAddress: '10.0.0.1', virtualNetwork: { id: VNET }, adminState: 'Down' },
  );
});

test('backend ports: one per Service port; mixed target ports are a TerminalError naming the port', () => {
  const svc = { namespace: 'shop', name: 'web' };
  assert.deepEqual(
    [...backendPortsOf(svc, [{ servicePort: 'http', port: 8080 }, { servicePort: 'http', port: 8080 }, { servicePort: 'dns', port: 5353 }])],
    [
      ['http', 8080],
      ['dns', 5353],
    ],
  );
  assert.throws(
    () => backendPortsOf(svc, [{ servicePort: 'dns', port: 53 }, { servicePort: 'http', port: 9090 }, { servicePort: 'http', port: 8080 }, { servicePort: 'http', port: 8081 }]),
    (e: unknown) => isTerminalError(e) && e.reason === 'MixedTargetPorts' && e.message.startsWith('Service shop/web port http has backends on different target ports (8080, 8081, 9090)'),
  );
});
