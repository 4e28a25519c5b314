/**
 * The real `@azure/identity` and `@azure/arm-network` against the ARM test server, in
 * process: the credential gets its token from the server's identity endpoint (the CA is
 * passed through the pipelines' `tlsOptions`, and instance discovery is disabled as the
 * provider does), and the SDK's pollers, pager, retry policy and error mapping run on what
 * the server answers.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { NetworkManagementClient } from '@azure/arm-network';
import { ClientSecretCredential } from '@azure/identity';
import { bucket } from '../kit/limits.ts';
import { manualClock } from '../kit/time.ts';
import { type ArmServer, startArmServer } from './arm-server.ts';
import type { JsonObject } from './json.ts';

const SUB = '00000000-0000-0000-0000-0000000000aa';
const RG = 'sluice-e2e';
const POLL = { updateIntervalInMs: 10 };
const lbId = (name: string) => `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.Network/loadBalancers/${name}`;
const pipId = (name: string) => `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.Network/publicIPAddresses/${name}`;
const vnetId = `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.Network/virtualNetworks/pods`;

interface RestErrorLike {
  name: string;
  statusCode?: number;
  code?: string;
  message: string;
  response?: { headers: { get(name: string): string | undefined } };
}

async function rejection(p: Promise<unknown>): Promise<RestErrorLike> {
  try {
    await p;
  } catch (e) {
    return e as RestErrorLike;
  }
  assert.fail('expected the call to fail');
}

function lbBody(name: string, pip: string, port: number) {
  const id = lbId(name);
  return {
    location: 'westeurope',
    sku: { name: 'Standard' as const },
    tags: { 'sluice-cluster': 'e2e' },
    frontendIPConfigurations: [{ name: 'fe', publicIPAddress: { id: pipId(pip) } }],
    backendAddressPools: [{ name: 'pool' }],
    probes: [{ name: 'probe', protocol: 'Tcp' as const, port, intervalInSeconds: 5, probeThreshold: 1 }],
    loadBalancingRules: [
      {
        name: 'rule',
        protocol: 'Tcp' as const,
        frontendPort: 80,
        backendPort: port,
        frontendIPConfiguration: { id: `${id}/frontendIPConfigurations/fe` },
        backendAddressPool: { id: `${id}/backendAddressPools/pool` },
        probe: { id: `${id}/probes/probe` },
      },
    ],
  };
}

describe('the ARM test server with the real Azure SDK', () => {
  let server: ArmServer;
  let client: NetworkManagementClient;
  let listener: Server;
  let port: number;

  before(async () => {
    server = await startArmServer({ operations: { durationMs: 60 }, retryAfterSeconds: 0, pageSize: 2 });
    server.state.createResourceGroup(SUB, RG, 'westeurope');
    // Loopback stands in for pod IPs here, so the health probe has something real to reach.
    server.state.createVirtualNetwork(SUB, RG, 'pods', ['10.244.0.0/16', '127.0.0.0/8']);
    const credential = new ClientSecretCredential(server.identity.tenantId, server.identity.clientId, server.identity.clientSecret, {
      authorityHost: server.authorityHost,
      disableInstanceDiscovery: true,
      tlsOptions: { ca: server.caPem },
    });
    client = new NetworkManagementClient(credential, SUB, {
      endpoint: server.endpoint,
      tlsOptions: { ca: server.caPem },
      retryOptions: { retryDelayInMs: 10, maxRetryDelayInMs: 50 },
    });
    listener = createServer((s) => s.end());
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    port = (listener.address() as { port: number }).port;
  });

  after(async () => {
    await new Promise((resolve) => listener.close(resolve));
    await server.stop();
  });

  it('gets its token from the server and creates a public IP through the poller', async () => {
    const pip = await client.publicIPAddresses.createOrUpdate(RG, 'pip1', { location: 'westeurope', sku: { name: 'Standard' }, publicIPAllocationMethod: 'Static' }, POLL);
    assert.equal(pip.provisioningState, 'Succeeded');
    assert.match(pip.ipAddress ?? '', /^203\.0\.113\.\d+$/);
    assert.ok(server.requests.count('Entra_Token') >= 1);
    assert.ok(server.requests.count('AsyncOperation_Get') >= 2, 'the poller saw InProgress before Succeeded');
  });

  it('creates a load balancer with frontend, probe, rule and pool', async () => {
    const lb = await client.loadBalancers.createOrUpdate(RG, 'lb1', lbBody('lb1', 'pip1', port), POLL);
    assert.equal(lb.provisioningState, 'Succeeded');
    assert.equal(lb.backendAddressPools?.[0]?.id, `${lbId('lb1')}/backendAddressPools/pool`);
    assert.deepEqual(lb.backendAddressPools?.[0]?.loadBalancingRules, [{ id: `${lbId('lb1')}/loadBalancingRules/rule` }]);
    assert.equal(lb.frontendIPConfigurations?.[0]?.etag, lb.etag);
    assert.deepEqual(lb.tags, { 'sluice-cluster': 'e2e' });
    const pip = await client.publicIPAddresses.get(RG, 'pip1');
    assert.equal(pip.ipConfiguration?.id, `${lbId('lb1')}/frontendIPConfigurations/fe`);
  });

  it('replaces a backend pool with addresses and admin states, and reads it back', async () => {
    const pool = await client.loadBalancerBackendAddressPools.createOrUpdate(
      RG,
      'lb1',
      'pool',
      {
        loadBalancerBackendAddresses: [
          { name: 'pod-a', ipAddress: '127.0.0.1', virtualNetwork: { id: vnetId } },
          { name: 'pod-b', ipAddress: '10.244.0.7', virtualNetwork: { id: vnetId }, adminState: 'Down' },
        ],
      },
      POLL,
    );
    assert.equal(pool.provisioningState, 'Succeeded');
    const got = await client.loadBalancerBackendAddressPools.get(RG, 'lb1', 'pool');
    assert.deepEqual(
      got.loadBalancerBackendAddresses?.map((a) => [a.name, a.ipAddress, a.adminState, a.virtualNetwork?.id]),
      [
        ['pod-a', '127.0.0.1', undefined, vnetId],
        ['pod-b', '10.244.0.7', 'Down', vnetId],
      ],
    );
    assert.deepEqual(
      server.state.backendPool(SUB, RG, 'lb1', 'pool')?.addresses.map((a) => [a.ipAddress, a.adminState]),
      [
        ['127.0.0.1', 'None'],
        ['10.244.0.7', 'Down'],
      ],
    );
    const lb = await client.loadBalancers.get(RG, 'lb1');
    assert.equal(lb.etag, got.etag, 'a pool carries its load balancer etag');
  });

  it('surfaces a stale If-Match as a RestError with status 412', async () => {
    const before = await client.loadBalancerBackendAddressPools.get(RG, 'lb1', 'pool');
    await client.loadBalancerBackendAddressPools.createOrUpdate(RG, 'lb1', 'pool', { loadBalancerBackendAddresses: before.loadBalancerBackendAddresses ?? [] }, POLL);
    const error = await rejection(
      client.loadBalancerBackendAddressPools.createOrUpdate(RG, 'lb1', 'pool', { loadBalancerBackendAddresses: [] }, { ...POLL, requestOptions: { headers: { 'If-Match': before.etag ?? '' } } }),
    );
    assert.equal(error.name, 'RestError');
    assert.equal(error.statusCode, 412);
    assert.equal(error.code, 'PreconditionFailed');
    assert.equal(server.state.backendPool(SUB, RG, 'lb1', 'pool')?.addresses.length, 2, 'the rejected write changed nothing');
  });

  it('reports backend health per address from probes, admin state and overrides', async () => {
    const health = await client.loadBalancerLoadBalancingRules.health(RG, 'lb1', 'rule', POLL);
    assert.deepEqual(health.loadBalancerBackendAddresses?.map((a) => [a.ipAddress, a.state, a.reason]), [
      ['127.0.0.1', 'Up', 'Up_Probe_Success'],
      ['10.244.0.7', 'Down', 'Down_Admin'],
    ]);
    assert.equal(health.up, 1);
    server.state.setHealth('127.0.0.1', 'Down');
    const again = await client.loadBalancerLoadBalancingRules.health(RG, 'lb1', 'rule', POLL);
    assert.deepEqual([again.up, again.down], [0, 2]);
    server.state.setHealth('127.0.0.1', undefined);
  });

  it('retries a 429 after its Retry-After', async () => {
    server.faults.throttleNext(1, 1, { operation: 'LoadBalancers_Get' });
    const started = performance.now();
    const lb = await client.loadBalancers.get(RG, 'lb1');
    assert.equal(lb.name, 'lb1');
    assert.ok(performance.now() - started >= 900, 'the SDK waited for Retry-After: 1');
    const gets = server.requests.entries().filter((r) => r.operation === 'LoadBalancers_Get').slice(-2);
    assert.deepEqual(
      gets.map((r) => r.status),
      [429, 200],
    );
  });

  it('retries a 500 and sees an operation that ends Failed', async () => {
    server.faults.failNext(1, 500, { operation: 'PublicIPAddresses_Get' });
    assert.equal((await client.publicIPAddresses.get(RG, 'pip1')).name, 'pip1');
    const gets = server.requests.entries().filter((r) => r.operation === 'PublicIPAddresses_Get').slice(-2);
    assert.deepEqual(
      gets.map((r) => r.status),
      [500, 200],
    );
    server.faults.failOperation(1, { error: { code: 'InternalServerError', message: 'the test said so' } }, { operation: 'PublicIPAddresses_CreateOrUpdate' });
    const error = await rejection(client.publicIPAddresses.createOrUpdate(RG, 'pip-failed', { location: 'westeurope', sku: { name: 'Standard' } }, POLL));
    assert.match(error.message, /long-running operation has failed.*the test said so/);
    const props = server.state.publicIpAddress(SUB, RG, 'pip-failed')?.['properties'] as JsonObject | undefined;
    assert.equal(props?.['provisioningState'], 'Failed');
  });

  it('pages through lists with nextLink', async () => {
    await client.publicIPAddresses.createOrUpdate(RG, 'pip2', { location: 'westeurope', sku: { name: 'Standard' } }, POLL);
    const names: string[] = [];
    for await (const p of client.publicIPAddresses.list(RG)) names.push(p.name ?? '');
    assert.deepEqual(names.sort(), ['pip-failed', 'pip1', 'pip2']);
    const lists = server.requests.entries().filter((r) => r.operation === 'PublicIPAddresses_List');
    assert.equal(lists.length, 2, 'two pages of two');
  });

  it('deletes through the poller, after which GET is 404', async () => {
    await client.loadBalancers.delete(RG, 'lb1', POLL);
    const error = await rejection(client.loadBalancers.get(RG, 'lb1'));
    assert.equal(error.statusCode, 404);
    assert.equal(error.code, 'ResourceNotFound');
    const pip = await client.publicIPAddresses.get(RG, 'pip1');
    assert.equal(pip.ipConfiguration, undefined, 'the public IP is free again');
    await client.publicIPAddresses.delete(RG, 'pip1', POLL);
    assert.equal((await rejection(client.publicIPAddresses.get(RG, 'pip1'))).statusCode, 404);
  });
});

describe('ARM throttling with the real Azure SDK', () => {
  const clock = manualClock(0);
  let server: ArmServer;
  let credential: ClientSecretCredential;
  const client = (retryOptions: { maxRetries?: number; retryDelayInMs?: number }) =>
    new NetworkManagementClient(credential, SUB, { endpoint: server.endpoint, tlsOptions: { ca: server.caPem }, retryOptions });
  const vnetGets = () =>
    server.requests
      .entries()
      .filter((r) => r.operation === 'VirtualNetworks_Get')
      .map((r) => [r.status, r.fault]);

  before(async () => {
    // ARM's documented buckets, with the per-principal read bucket shrunk to 2 tokens and 1 per second so a few calls empty it.
    server = await startArmServer({ rateLimits: { now: clock.now, limits: { subscriptionReads: bucket(2, 1) } }, discoveryProxy: false });
    server.state.createResourceGroup(SUB, RG, 'westeurope');
    server.state.createVirtualNetwork(SUB, RG, 'pods', '10.244.0.0/16');
    credential = new ClientSecretCredential(server.identity.tenantId, server.identity.clientId, server.identity.clientSecret, {
      authorityHost: server.authorityHost,
      disableInstanceDiscovery: true,
      tlsOptions: { ca: server.caPem },
    });
  });

  after(async () => {
    await server.stop();
  });

  it('counts reads down in x-ms-ratelimit-remaining-subscription-reads, then answers 429 SubscriptionRequestsThrottled with Retry-After', async () => {
    const noRetry = client({ maxRetries: 0 });
    const remaining: (string | undefined)[] = [];
    const onResponse = (r: { headers: { get(name: string): string | undefined } }) => remaining.push(r.headers.get('x-ms-ratelimit-remaining-subscription-reads'));
    await noRetry.virtualNetworks.get(RG, 'pods', { onResponse });
    await noRetry.virtualNetworks.get(RG, 'pods', { onResponse });
    assert.deepEqual(remaining, ['1', '0']);
    const error = await rejection(noRetry.virtualNetworks.get(RG, 'pods'));
    assert.equal(error.statusCode, 429);
    assert.equal(error.code, 'SubscriptionRequestsThrottled');
    assert.match(error.message, new RegExp(`Number of 'read' requests for subscription '${SUB}' actor '${server.identity.clientId}' exceeded\\. Please try again after '1' seconds`));
    assert.equal(error.response?.headers.get('retry-after'), '1');
    assert.deepEqual(vnetGets().at(-1), [429, 'rate-limited']);
  });

  it('is retried by the SDK after Retry-After and passes once the bucket refilled', async () => {
    const sdk = client({ retryDelayInMs: 10 });
    // A second passes for the bucket whenever the server throttles: one token back.
    const stop = server.requests.subscribe((r) => {
      if (r.fault === 'rate-limited') clock.advance(1_000);
    });
    try {
      server.requests.clear();
      const vnet = await sdk.virtualNetworks.get(RG, 'pods');
      assert.equal(vnet.name, 'pods');
    } finally {
      stop();
    }
    assert.deepEqual(vnetGets(), [
      [429, 'rate-limited'],
      [200, undefined],
    ]);
  });

  it('keeps writes in their own bucket: a write passes while reads are exhausted', async () => {
    const noRetry = client({ maxRetries: 0 });
    assert.equal((await rejection(noRetry.virtualNetworks.get(RG, 'pods'))).statusCode, 429);
    const before = server.rateLimits?.remaining('subscriptionWrites', `${SUB}/${server.identity.clientId}`);
    const error = await rejection(noRetry.publicIPAddresses.beginCreateOrUpdate(RG, 'pip-w', { location: 'westeurope', sku: { name: 'Standard' } }).then((p) => p.pollUntilDone()));
    assert.equal(error.statusCode, 429, 'the poll (a read) is throttled');
    assert.equal(server.requests.entries().find((r) => r.operation === 'PublicIPAddresses_CreateOrUpdate')?.status, 201, 'the PUT itself passed');
    assert.equal(server.rateLimits?.remaining('subscriptionWrites', `${SUB}/${server.identity.clientId}`), (before ?? 0) - 1);
  });

  it('retries a dropped connection; a request held past its timeout fails as the SDK times it out, unanswered', async () => {
    server.rateLimits?.reset();
    const sdk = client({ retryDelayInMs: 10 });
    server.requests.clear();
    server.faults.dropNext(1, 'VirtualNetworks_Get');
    assert.equal((await sdk.virtualNetworks.get(RG, 'pods')).name, 'pods');
    // Each attempt took a read token; two more attempts need a full bucket again.
    server.rateLimits?.reset();
    server.faults.timeoutNext(1, 'VirtualNetworks_Get');
    // core-rest-pipeline aborts a request at its timeout and does not retry the abort.
    const error = await rejection(sdk.virtualNetworks.get(RG, 'pods', { requestOptions: { timeout: 300 } }));
    assert.equal(error.name, 'AbortError');
    assert.equal((await sdk.virtualNetworks.get(RG, 'pods')).name, 'pods');
    assert.deepEqual(vnetGets(), [
      [0, 'drop'],
      [200, undefined],
      [0, 'timeout'],
      [200, undefined],
    ]);
  });
});
