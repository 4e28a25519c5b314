/**
 * The twin's Microsoft.Authorization permissions API with the real
 * `@azure/arm-authorization` client: the caller's roles listed page by page for a resource
 * (the SDK's empty parentResourcePath included) and for a resource group; without
 * `Microsoft.Authorization/permissions/read` ARM's 403 AuthorizationFailed; and the matching
 * rules for Actions, NotActions and wildcards.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AuthorizationManagementClient } from '@azure/arm-authorization';
import { ClientSecretCredential } from '@azure/identity';
import { type ArmServer, startArmServer } from './arm-server.ts';
import { granted } from './permissions.ts';

const SUB = '00000000-0000-0000-0000-0000000000ab';
const RG = 'perm-rg';
const WRITE_RULE = 'Microsoft.Network/networkSecurityGroups/securityRules/write';

describe('the permissions API of the ARM test server', () => {
  let server: ArmServer;
  let client: AuthorizationManagementClient;

  before(async () => {
    server = await startArmServer({ retryAfterSeconds: 0, pageSize: 2 });
    server.state.createResourceGroup(SUB, RG, 'westeurope');
    const credential = new ClientSecretCredential(server.identity.tenantId, server.identity.clientId, server.identity.clientSecret, {
      authorityHost: server.authorityHost,
      disableInstanceDiscovery: true,
      tlsOptions: { ca: server.caPem },
    });
    // A loopback server stands in for ARM: the token is for ARM's audience, as the provider asks (tokenScope).
    client = new AuthorizationManagementClient(credential, SUB, { endpoint: server.endpoint, $host: server.endpoint, credentialScopes: ['https://management.azure.com/.default'], tlsOptions: { ca: server.caPem }, retryOptions: { retryDelayInMs: 10, maxRetryDelayInMs: 50 } });
  });

  after(async () => {
    await server.stop();
  });

  const list = async (pager: AsyncIterable<unknown>) => {
    const out: unknown[] = [];
    for await (const p of pager) out.push(p);
    return out;
  };

  it('lists the caller\'s roles for a resource, every page, and for its resource group', async () => {
    const roles = [{ actions: ['Microsoft.Network/*/read'] }, { actions: [WRITE_RULE] }, { actions: ['Microsoft.Authorization/permissions/read'], notActions: ['Microsoft.Network/*/delete'] }];
    server.setCallerRoles(roles);
    const forResource = await list(client.permissions.listForResource(RG, 'Microsoft.Network', '', 'networkSecurityGroups', 'nsg'));
    assert.deepEqual(
      forResource,
      roles.map((r) => ({ actions: r.actions, notActions: r.notActions ?? [], dataActions: [], notDataActions: [] })),
      'three roles over two pages (page size 2)',
    );
    assert.equal(server.requests.count('AzurePermissionsForResource_List'), 2);
    assert.equal((await list(client.permissions.listForResourceGroup(RG))).length, 3);
  });

  it('answers 403 AuthorizationFailed without Microsoft.Authorization/permissions/read, naming the action and scope', async () => {
    server.setCallerRoles([{ actions: ['Microsoft.Network/*'] }]);
    await assert.rejects(list(client.permissions.listForResource(RG, 'Microsoft.Network', '', 'networkSecurityGroups', 'nsg')), (e: { statusCode?: number; code?: string; message: string }) => {
      assert.equal(e.statusCode, 403);
      assert.equal(e.code, 'AuthorizationFailed');
      assert.match(e.message, /perform action 'Microsoft\.Authorization\/permissions\/read' over scope '\/subscriptions\/[^']+\/providers\/Microsoft\.Network\/networkSecurityGroups\/nsg'/);
      return true;
    });
    server.setCallerRoles(undefined);
  });

  it('answers 404 ResourceGroupNotFound for a group that does not exist', async () => {
    await assert.rejects(list(client.permissions.listForResourceGroup('no-such-rg')), (e: { statusCode?: number; code?: string }) => e.statusCode === 404 && e.code === 'ResourceGroupNotFound');
  });

  it('grants an action some role\'s Actions match and its NotActions do not; wildcards and case as Azure', () => {
    const roles = [{ actions: ['Microsoft.Network/*'], notActions: ['Microsoft.Network/*/delete'] }, { actions: ['*/read'] }];
    assert.equal(granted(roles, WRITE_RULE), true);
    assert.equal(granted(roles, 'microsoft.network/networksecuritygroups/securityrules/WRITE'), true);
    assert.equal(granted(roles, 'Microsoft.Network/networkSecurityGroups/securityRules/delete'), false, 'taken back by NotActions');
    assert.equal(granted(roles, 'Microsoft.Authorization/permissions/read'), true, 'by */read of the second role');
    assert.equal(granted(roles, 'Microsoft.Compute/virtualMachines/write'), false);
    assert.equal(granted([{ actions: ['Microsoft.Network/loadBalancers/read'] }], 'Microsoft.Network/loadBalancers/readX'), false, 'no wildcard, no prefix match');
  });
});
