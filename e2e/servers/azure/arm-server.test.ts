/**
 * The ARM test server's answers checked on the wire (raw HTTPS, no SDK): authentication,
 * api-version, ARM's error shapes, asynchronous operations on a fake clock, etags and
 * conditional writes, validation, pagination and faults.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { type ArmHttpClient, createArmHttpClient } from './arm-http-client.ts';
import { type ArmServer, startArmServer } from './arm-server.ts';
import { isObject, type Json, type JsonObject } from './json.ts';

const SUB = 'sub-1';
const RG = 'rg';
const NET = `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.Network`;
const VNET = `${NET}/virtualNetworks/pods`;

function lbBody(name: string, extra: { pools?: Json[]; rulePool?: string; sku?: string } = {}): JsonObject {
  const id = `${NET}/loadBalancers/${name}`;
  return {
    location: 'West Europe',
    sku: { name: extra.sku ?? 'Standard' },
    tags: { owner: 'sluice' },
    properties: {
      frontendIPConfigurations: [{ name: 'fe', properties: { subnet: { id: `${VNET}/subnets/default` } } }],
      backendAddressPools: extra.pools ?? [{ name: 'pool' }],
      probes: [{ name: 'probe', properties: { protocol: 'Tcp', port: 8080 } }],
      loadBalancingRules: [
        {
          name: 'rule',
          properties: {
            protocol: 'Tcp',
            frontendPort: 80,
            backendPort: 8080,
            frontendIPConfiguration: { id: `${id}/frontendIPConfigurations/fe` },
            backendAddressPool: { id: `${id}/backendAddressPools/${extra.rulePool ?? 'pool'}` },
            probe: { id: `${id}/probes/probe` },
          },
        },
      ],
    },
  };
}

function error(body: Json | undefined): { code: string; message: string } {
  assert.ok(isObject(body) && isObject(body['error']), `an ARM error body, got ${JSON.stringify(body)}`);
  return body['error'] as { code: string; message: string };
}

function props(body: Json | undefined): JsonObject {
  assert.ok(isObject(body) && isObject(body['properties']));
  return body['properties'] as JsonObject;
}

describe('ARM test server on the wire', () => {
  let clock = 1_000_000;
  let server: ArmServer;
  let arm: ArmHttpClient;

  before(async () => {
    server = await startArmServer({ now: () => clock, operations: { durationMs: 300 }, retryAfterSeconds: 1, discoveryProxy: false, pageSize: 2 });
    arm = createArmHttpClient(server);
    server.state.createResourceGroup(SUB, RG, 'westeurope');
    server.state.createVirtualNetwork(SUB, RG, 'pods', '10.244.0.0/16');
  });
  after(() => server.stop());
  beforeEach(() => server.faults.clear());

  /** Lets every running operation end. */
  const finishOperations = () => {
    clock += 1000;
    assert.equal(server.state.pendingOperations(), 0);
  };

  describe('authentication and api-version', () => {
    it('answers 401 AuthenticationFailed without a token, and InvalidAuthenticationToken for a forged one', async () => {
      const none = await arm.send('GET', `${NET}/loadBalancers`, { auth: false });
      assert.equal(none.status, 401);
      assert.equal(error(none.body).code, 'AuthenticationFailed');
      assert.match(none.headers['www-authenticate'] ?? '', /^Bearer /);
      const token = await arm.token();
      const forged = await arm.send('GET', `${NET}/loadBalancers`, { auth: false, headers: { Authorization: `Bearer ${token.slice(0, -4)}AAAA` } });
      assert.equal(forged.status, 401);
      assert.equal(error(forged.body).code, 'InvalidAuthenticationToken');
    });

    it('rejects a token whose lifetime is over', async () => {
      const token = await arm.token();
      clock += 2 * 3600 * 1000;
      try {
        const res = await arm.send('GET', `${NET}/loadBalancers`, { auth: false, headers: { Authorization: `Bearer ${token}` } });
        assert.equal(res.status, 401);
        assert.equal(error(res.body).code, 'ExpiredAuthenticationToken');
      } finally {
        clock -= 2 * 3600 * 1000;
      }
    });

    it('requires an api-version and accepts any date', async () => {
      const missing = await arm.send('GET', `${NET}/loadBalancers`, { apiVersion: null });
      assert.equal(missing.status, 400);
      assert.equal(error(missing.body).code, 'MissingApiVersionParameter');
      assert.equal((await arm.send('GET', `${NET}/loadBalancers`, { apiVersion: '2026-01-01' })).status, 200);
      assert.equal((await arm.send('GET', `${NET}/loadBalancers`, { apiVersion: 'latest' })).status, 400);
    });

    it('refuses a wrong client secret at the token endpoint as Entra does', async () => {
      const bad = createArmHttpClient({ ...server, identity: { ...server.identity, clientSecret: 'wrong' } });
      await assert.rejects(bad.token(), /401 .*invalid_client.*AADSTS7000215/);
    });
  });

  describe('not found', () => {
    it('answers ARM 404 shapes for a missing resource, group and subscription', async () => {
      const lb = await arm.send('GET', `${NET}/loadBalancers/x`);
      assert.equal(lb.status, 404);
      assert.deepEqual(error(lb.body), {
        code: 'ResourceNotFound',
        message: `The Resource 'Microsoft.Network/loadBalancers/x' under resource group '${RG}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
      });
      const group = await arm.send('GET', `/subscriptions/${SUB}/resourceGroups/nope/providers/Microsoft.Network/loadBalancers/x`);
      assert.deepEqual(error(group.body), { code: 'ResourceGroupNotFound', message: "Resource group 'nope' could not be found." });
      const sub = await arm.send('GET', '/subscriptions/other/resourceGroups/rg/providers/Microsoft.Network/publicIPAddresses');
      assert.equal(error(sub.body).code, 'SubscriptionNotFound');
      const child = await arm.send('GET', `${NET}/loadBalancers/x/backendAddressPools/p`);
      assert.equal(error(child.body).code, 'ParentResourceNotFound');
    });

    it('creates resource groups through ARM too', async () => {
      const res = await arm.send('PUT', `/subscriptions/${SUB}/resourcegroups/made-by-put`, { body: { location: 'westeurope' } });
      assert.equal(res.status, 201);
      assert.equal((await arm.send('GET', `/subscriptions/${SUB}/resourceGroups/made-by-put`)).status, 200);
    });
  });

  describe('asynchronous writes', () => {
    it('PUT answers 201 Updating with operation headers; the operation and the resource end Succeeded together', async () => {
      const put = await arm.send('PUT', `${NET}/loadBalancers/lb-a`, { body: lbBody('lb-a') });
      assert.equal(put.status, 201);
      assert.equal(props(put.body)['provisioningState'], 'Updating');
      assert.equal(put.headers['retry-after'], '1');
      const asyncUrl = put.headers['azure-asyncoperation']!;
      assert.match(asyncUrl, /\/providers\/Microsoft\.Network\/locations\/westeurope\/operations\/[0-9a-f-]+\?api-version=2024-05-01$/);
      assert.match(put.headers['location'] ?? '', /\/operationResults\//);
      const polling = await arm.send('GET', asyncUrl);
      assert.deepEqual(polling.body, { status: 'InProgress' });
      assert.equal((await arm.send('GET', put.headers['location']!)).status, 202);
      clock += 300;
      assert.deepEqual((await arm.send('GET', asyncUrl)).body, { status: 'Succeeded' });
      const get = await arm.send('GET', `${NET}/loadBalancers/lb-a`);
      assert.equal(props(get.body)['provisioningState'], 'Succeeded');
      assert.equal((get.body as JsonObject)['location'], 'westeurope');
      assert.deepEqual((get.body as JsonObject)['tags'], { owner: 'sluice' });
      const fe = (props(get.body)['frontendIPConfigurations'] as JsonObject[])[0]!;
      assert.equal((fe['properties'] as JsonObject)['privateIPAddress'], '10.244.0.4');
      const final = await arm.send('GET', put.headers['location']!);
      assert.equal(final.status, 200);
      assert.equal((final.body as JsonObject)['name'], 'lb-a');
    });

    it('PUT on an existing resource answers 200; DELETE answers 202, keeps it Deleting, then it is gone', async () => {
      const put = await arm.send('PUT', `${NET}/loadBalancers/lb-a`, { body: lbBody('lb-a') });
      assert.equal(put.status, 200);
      finishOperations();
      const del = await arm.send('DELETE', `${NET}/loadBalancers/lb-a`);
      assert.equal(del.status, 202);
      assert.ok(del.headers['azure-asyncoperation'] && del.headers['location']);
      assert.equal(props((await arm.send('GET', `${NET}/loadBalancers/lb-a`)).body)['provisioningState'], 'Deleting');
      finishOperations();
      assert.equal((await arm.send('GET', `${NET}/loadBalancers/lb-a`)).status, 404);
      assert.equal((await arm.send('DELETE', `${NET}/loadBalancers/lb-a`)).status, 204);
    });

    it('ends an operation Failed when a fault says so, and the resource with it', async () => {
      server.faults.failOperation(1, { error: { code: 'InternalServerError', message: 'injected' } });
      const put = await arm.send('PUT', `${NET}/loadBalancers/lb-f`, { body: lbBody('lb-f') });
      finishOperations();
      assert.deepEqual((await arm.send('GET', put.headers['azure-asyncoperation']!)).body, { status: 'Failed', error: { code: 'InternalServerError', message: 'injected' } });
      assert.equal(props((await arm.send('GET', `${NET}/loadBalancers/lb-f`)).body)['provisioningState'], 'Failed');
    });
  });

  describe('etags and conditional writes', () => {
    it('changes the etag on every write and shares it with children', async () => {
      const first = await arm.send('PUT', `${NET}/loadBalancers/lb-e`, { body: lbBody('lb-e') });
      finishOperations();
      const etag1 = (first.body as JsonObject)['etag'] as string;
      assert.match(etag1, /^W\/"[0-9a-f-]{36}"$/);
      const pool = await arm.send('GET', `${NET}/loadBalancers/lb-e/backendAddressPools/pool`);
      assert.equal((pool.body as JsonObject)['etag'], etag1);
      assert.equal((pool.body as JsonObject)['type'], 'Microsoft.Network/loadBalancers/backendAddressPools');
      const second = await arm.send('PUT', `${NET}/loadBalancers/lb-e`, { body: lbBody('lb-e'), headers: { 'If-Match': etag1 } });
      assert.equal(second.status, 200);
      assert.notEqual((second.body as JsonObject)['etag'], etag1);
      finishOperations();
    });

    it('answers 412 for a stale If-Match and for If-None-Match: * on an existing resource', async () => {
      const stale = await arm.send('PUT', `${NET}/loadBalancers/lb-e/backendAddressPools/pool`, {
        body: { properties: {} },
        headers: { 'If-Match': 'W/"00000000-0000-0000-0000-000000000000"' },
      });
      assert.equal(stale.status, 412);
      assert.equal(error(stale.body).code, 'PreconditionFailed');
      const exists = await arm.send('PUT', `${NET}/loadBalancers/lb-e`, { body: lbBody('lb-e'), headers: { 'If-None-Match': '*' } });
      assert.equal(exists.status, 412);
      const deleteStale = await arm.send('DELETE', `${NET}/loadBalancers/lb-e`, { headers: { 'If-Match': 'W/"nope"' } });
      assert.equal(deleteStale.status, 412);
    });

    it('reflects a pool PUT in the load balancer and a load balancer PUT in the pool', async () => {
      const address = (ip: string, adminState?: string) => ({ name: ip, properties: { ipAddress: ip, virtualNetwork: { id: VNET }, ...(adminState ? { adminState } : {}) } });
      const etag = (await arm.send('GET', `${NET}/loadBalancers/lb-e`)).body as JsonObject;
      const put = await arm.send('PUT', `${NET}/loadBalancers/lb-e/backendAddressPools/pool`, {
        body: { properties: { loadBalancerBackendAddresses: [address('10.244.1.1'), address('10.244.1.2', 'Down')] } },
        headers: { 'If-Match': String(etag['etag']) },
      });
      assert.equal(put.status, 200);
      assert.ok(put.headers['azure-asyncoperation']);
      finishOperations();
      const lb = await arm.send('GET', `${NET}/loadBalancers/lb-e`);
      const pool = (props(lb.body)['backendAddressPools'] as JsonObject[])[0]!;
      assert.equal(((pool['properties'] as JsonObject)['loadBalancerBackendAddresses'] as Json[]).length, 2);
      const body = lbBody('lb-e', { pools: [{ name: 'pool', properties: { loadBalancerBackendAddresses: [address('10.244.1.3', 'Up')] } }] });
      await arm.send('PUT', `${NET}/loadBalancers/lb-e`, { body });
      finishOperations();
      assert.deepEqual(
        server.state.backendPool(SUB, RG, 'lb-e', 'pool')?.addresses.map((a) => [a.ipAddress, a.adminState]),
        [['10.244.1.3', 'Up']],
      );
    });

    it('creates a new pool with 201 and If-None-Match: *', async () => {
      const res = await arm.send('PUT', `${NET}/loadBalancers/lb-e/backendAddressPools/extra`, { body: { properties: {} }, headers: { 'If-None-Match': '*' } });
      assert.equal(res.status, 201);
      finishOperations();
      const del = await arm.send('DELETE', `${NET}/loadBalancers/lb-e/backendAddressPools/extra`);
      assert.equal(del.status, 202);
      finishOperations();
      assert.equal((await arm.send('GET', `${NET}/loadBalancers/lb-e/backendAddressPools/extra`)).status, 404);
    });
  });

  describe('validation', () => {
    const cases: Array<[string, JsonObject, number, string, RegExp?]> = [
      ['an unknown sku', lbBody('lb-v', { sku: 'Premium' }), 400, 'InvalidRequestFormat'],
      ['a rule naming a missing pool', lbBody('lb-v', { rulePool: 'ghost' }), 400, 'InvalidResourceReference', /backendAddressPools\/ghost referenced by resource .*loadBalancingRules\/rule was not found/],
      [
        'a backend address without ipAddress',
        lbBody('lb-v', { pools: [{ name: 'pool', properties: { loadBalancerBackendAddresses: [{ name: 'a', properties: { virtualNetwork: { id: VNET } } }] } }] }),
        400,
        'InvalidBackendAddress',
      ],
      [
        'an address outside the virtual network',
        lbBody('lb-v', { pools: [{ name: 'pool', properties: { loadBalancerBackendAddresses: [{ name: 'a', properties: { ipAddress: '192.168.0.1', virtualNetwork: { id: VNET } } }] } }] }),
        400,
        'InvalidBackendAddress',
      ],
      [
        'an address in a missing virtual network',
        lbBody('lb-v', { pools: [{ name: 'pool', properties: { loadBalancerBackendAddresses: [{ name: 'a', properties: { ipAddress: '10.244.0.9', virtualNetwork: { id: `${NET}/virtualNetworks/ghost` } } }] } }] }),
        400,
        'InvalidResourceReference',
      ],
      [
        'an unknown adminState',
        lbBody('lb-v', { pools: [{ name: 'pool', properties: { loadBalancerBackendAddresses: [{ name: 'a', properties: { ipAddress: '10.244.0.9', virtualNetwork: { id: VNET }, adminState: 'Drain' } }] } }] }),
        400,
        'InvalidRequestFormat',
      ],
      [
        'addresses in a Basic load balancer',
        lbBody('lb-v', { sku: 'Basic', pools: [{ name: 'pool', properties: { loadBalancerBackendAddresses: [{ name: 'a', properties: { ipAddress: '10.244.0.9', virtualNetwork: { id: VNET } } }] } }] }),
        400,
        'IpBasedBackendPoolNotSupportedOnBasicSku',
      ],
      ['a body without location', { properties: {} }, 400, 'LocationRequired'],
    ];
    for (const [what, body, status, code, message] of cases) {
      it(`refuses ${what}`, async () => {
        const res = await arm.send('PUT', `${NET}/loadBalancers/lb-v`, { body });
        assert.equal(res.status, status, res.text);
        assert.equal(error(res.body).code, code);
        if (message) assert.match(error(res.body).message, message);
        assert.equal((await arm.send('GET', `${NET}/loadBalancers/lb-v`)).status, 404, 'nothing was created');
      });
    }

    it('refuses invalid JSON and an invalid name', async () => {
      assert.equal(error((await arm.send('PUT', `${NET}/loadBalancers/lb-v`, { body: '{"location":' })).body).code, 'InvalidRequestContent');
      assert.equal(error((await arm.send('PUT', `${NET}/loadBalancers/-bad-`, { body: lbBody('-bad-') })).body).code, 'InvalidResourceName');
    });

    it('refuses to delete a public IP a frontend holds', async () => {
      const pip = await arm.send('PUT', `${NET}/publicIPAddresses/held`, { body: { location: 'westeurope', sku: { name: 'Standard' } } });
      assert.match(String(props(pip.body)['ipAddress']), /^203\.0\.113\./);
      finishOperations();
      const body = lbBody('lb-p');
      ((body['properties'] as JsonObject)['frontendIPConfigurations'] as JsonObject[])[0]!['properties'] = { publicIPAddress: { id: `${NET}/publicIPAddresses/held` } };
      assert.equal((await arm.send('PUT', `${NET}/loadBalancers/lb-p`, { body })).status, 201);
      finishOperations();
      const del = await arm.send('DELETE', `${NET}/publicIPAddresses/held`);
      assert.equal(del.status, 400);
      assert.equal(error(del.body).code, 'PublicIPAddressInUse');
    });

    it('stores tags and replaces them with PATCH', async () => {
      const res = await arm.send('PATCH', `${NET}/loadBalancers/lb-e`, { body: { tags: { a: 'b' } } });
      assert.equal(res.status, 200);
      assert.deepEqual((res.body as JsonObject)['tags'], { a: 'b' });
    });

    it('answers 501 for an operation it does not model', async () => {
      const res = await arm.send('PUT', `${NET}/loadBalancers/lb-e/inboundNatRules/nat`, { body: { properties: {} } });
      assert.equal(res.status, 501);
    });
  });

  describe('lists and faults', () => {
    it('pages lists with an absolute nextLink', async () => {
      const first = await arm.send('GET', `${NET}/loadBalancers`);
      const page1 = first.body as JsonObject;
      assert.equal((page1['value'] as Json[]).length, 2);
      assert.match(String(page1['nextLink']), /^https:\/\/127\.0\.0\.1:\d+\/subscriptions\/.*\$skiptoken=/);
      const page2 = (await arm.send('GET', String(page1['nextLink']))).body as JsonObject;
      assert.ok((page2['value'] as Json[]).length >= 1);
    });

    it('throttles with 429 TooManyRequests and Retry-After, then serves', async () => {
      server.faults.throttleNext(1, 7);
      const res = await arm.send('GET', `${NET}/loadBalancers`);
      assert.equal(res.status, 429);
      assert.equal(res.headers['retry-after'], '7');
      assert.equal(error(res.body).code, 'TooManyRequests');
      assert.equal((await arm.send('GET', `${NET}/loadBalancers`)).status, 200);
    });

    it('fails with 5xx only the matching operations', async () => {
      server.faults.failNext(1, 503, { operation: 'PublicIPAddresses_List' });
      assert.equal((await arm.send('GET', `${NET}/loadBalancers`)).status, 200);
      const res = await arm.send('GET', `${NET}/publicIPAddresses`);
      assert.equal(res.status, 503);
      assert.equal(error(res.body).code, 'ServiceUnavailable');
      assert.equal(server.faults.pending(), 0);
    });

    it('logs every request with its operation and status', () => {
      const byOp = server.requests.byOperation();
      assert.ok((byOp['LoadBalancers_CreateOrUpdate'] ?? 0) > 0);
      assert.ok(server.requests.count((r) => r.status === 412) >= 3);
    });
  });
});

describe('ARM test server operation timing by polls', () => {
  it('stays InProgress for the configured number of status polls', async () => {
    const server = await startArmServer({ operations: { polls: 2 }, discoveryProxy: false });
    try {
      const arm = createArmHttpClient(server);
      server.state.createResourceGroup(SUB, RG, 'westeurope');
      const put = await arm.send('PUT', `${NET}/publicIPAddresses/p`, { body: { location: 'westeurope', sku: { name: 'Standard' } } });
      const url = put.headers['azure-asyncoperation']!;
      const seen: Json[] = [];
      for (let i = 0; i < 3; i++) seen.push(((await arm.send('GET', url)).body as JsonObject)['status']!);
      assert.deepEqual(seen, ['InProgress', 'InProgress', 'Succeeded']);
    } finally {
      await server.stop();
    }
  });
});
