/**
 * Drives the real `@google-cloud/compute` REST clients against the test server, with
 * google-auth-library's PassThroughClient (no token) and `protocol: 'http'`.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { after, before, describe, it } from 'node:test';
import {
  ForwardingRulesClient,
  NetworkEndpointGroupsClient,
  NetworksClient,
  RegionBackendServicesClient,
  RegionHealthChecksClient,
  RegionOperationsClient,
  RegionTargetTcpProxiesClient,
  SubnetworksClient,
  ZoneOperationsClient,
} from '@google-cloud/compute';
import { PassThroughClient } from 'google-auth-library';
import { perWindow } from '../kit/limits.ts';
import { manualClock } from '../kit/time.ts';
import { type ComputeServer, startComputeServer } from './compute-server.ts';

const project = 'sluice-test';
const region = 'us-central1';
const zone = 'us-central1-a';

interface LatestOp {
  latestResponse: { name?: string | null; status?: unknown; error?: unknown };
}

describe('Compute REST test server with the real SDK', () => {
  let server: ComputeServer;
  let backend: Server;
  let backendPort: number;
  let opts: NonNullable<ConstructorParameters<typeof NetworkEndpointGroupsClient>[0]>;

  before(async () => {
    server = await startComputeServer({ operations: { pollsBeforeDone: 1 } });
    server.state.addZone(project, zone, region);
    server.state.addNetwork({ project, name: 'default' });
    server.state.addSubnetwork({ project, region, name: 'pods', network: 'default', ipCidrRange: '10.0.0.0/16' });
    server.state.addSubnetwork({ project, region, name: 'proxy-only', network: 'default', ipCidrRange: '10.129.0.0/23', purpose: 'REGIONAL_MANAGED_PROXY' });
    // The VM behind the endpoints: loopback stands in for an alias IP the server can probe.
    server.state.addInstance({ project, zone, name: 'node-1', network: 'default', subnetwork: 'pods', networkIP: '10.0.0.2', aliasIpRanges: ['127.0.0.1/32', '10.255.0.0/24'] });
    backend = createServer((s) => s.end());
    await new Promise<void>((r) => backend.listen(0, '127.0.0.1', () => r()));
    backendPort = (backend.address() as { port: number }).port;
    opts = { ...server.clientOptions, authClient: new PassThroughClient() };
  });

  after(async () => {
    await server.close();
    await new Promise<void>((r) => backend.close(() => r()));
  });

  async function waitZone(op: LatestOp): Promise<Record<string, unknown>> {
    const ops = new ZoneOperationsClient(opts);
    let cur = op.latestResponse as Record<string, unknown>;
    while (cur.status !== 'DONE') [cur] = (await ops.wait({ project, zone, operation: String(cur.name) })) as unknown as [Record<string, unknown>];
    return cur;
  }

  async function waitRegion(op: LatestOp): Promise<Record<string, unknown>> {
    const ops = new RegionOperationsClient(opts);
    let cur = op.latestResponse as Record<string, unknown>;
    while (cur.status !== 'DONE') [cur] = (await ops.get({ project, region, operation: String(cur.name) })) as unknown as [Record<string, unknown>];
    return cur;
  }

  it('runs the whole lifecycle', async () => {
    const negs = new NetworkEndpointGroupsClient(opts);
    const hcs = new RegionHealthChecksClient(opts);
    const bss = new RegionBackendServicesClient(opts);
    const proxies = new RegionTargetTcpProxiesClient(opts);
    const rules = new ForwardingRulesClient(opts);

    const [negOp] = await negs.insert({ project, zone, networkEndpointGroupResource: { name: 'neg-a', networkEndpointType: 'GCE_VM_IP_PORT', network: 'global/networks/default', subnetwork: `projects/${project}/regions/${region}/subnetworks/pods`, defaultPort: 8080 } });
    assert.equal((negOp as unknown as LatestOp).latestResponse.status, 'RUNNING');
    assert.equal((await waitZone(negOp as unknown as LatestOp)).status, 'DONE');

    const [hcOp] = await hcs.insert({ project, region, healthCheckResource: { name: 'hc', type: 'TCP', tcpHealthCheck: { port: 8080 } } });
    await waitRegion(hcOp as unknown as LatestOp);
    const negLink = `https://www.googleapis.com/compute/v1/projects/${project}/zones/${zone}/networkEndpointGroups/neg-a`;
    const [bsOp] = await bss.insert({
      project,
      region,
      backendServiceResource: { name: 'bs', protocol: 'TCP', loadBalancingScheme: 'EXTERNAL_MANAGED', healthChecks: [`projects/${project}/regions/${region}/healthChecks/hc`], backends: [{ group: negLink, balancingMode: 'CONNECTION', maxConnectionsPerEndpoint: 100 }], connectionDraining: { drainingTimeoutSec: 30 } },
    });
    await waitRegion(bsOp as unknown as LatestOp);
    const [pxOp] = await proxies.insert({ project, region, targetTcpProxyResource: { name: 'px', service: `projects/${project}/regions/${region}/backendServices/bs` } });
    await waitRegion(pxOp as unknown as LatestOp);
    const [frOp] = await rules.insert({ project, region, forwardingRuleResource: { name: 'fr', IPProtocol: 'TCP', portRange: '80', loadBalancingScheme: 'EXTERNAL_MANAGED', target: `projects/${project}/regions/${region}/targetTcpProxies/px` } });
    await waitRegion(frOp as unknown as LatestOp);
    const [fr] = await rules.get({ project, region, forwardingRule: 'fr' });
    assert.match(String(fr.IPAddress), /^203\.0\.113\.\d+$/);

    const [attach] = await negs.attachNetworkEndpoints({
      project,
      zone,
      networkEndpointGroup: 'neg-a',
      networkEndpointGroupsAttachEndpointsRequestResource: { networkEndpoints: [{ ipAddress: '127.0.0.1', port: backendPort, instance: 'node-1' }, { ipAddress: '10.255.0.9', port: 8080, instance: 'node-1' }] },
    });
    await waitZone(attach as unknown as LatestOp);
    const [neg] = await negs.get({ project, zone, networkEndpointGroup: 'neg-a' });
    assert.equal(Number(neg.size), 2);

    const listed = [];
    for await (const item of negs.listNetworkEndpointsAsync({ project, zone, networkEndpointGroup: 'neg-a', maxResults: 1 })) listed.push(item.networkEndpoint?.ipAddress);
    assert.deepEqual(listed, ['127.0.0.1', '10.255.0.9']);

    server.state.setHealth('10.255.0.9', 8080, 'UNHEALTHY');
    const [health] = await bss.getHealth({ project, region, backendService: 'bs', resourceGroupReferenceResource: { group: negLink } });
    const states = Object.fromEntries((health.healthStatus ?? []).map((h) => [h.ipAddress, h.healthState]));
    assert.deepEqual(states, { '127.0.0.1': 'HEALTHY', '10.255.0.9': 'UNHEALTHY' });
    // The same health, per endpoint and backend service, from listNetworkEndpoints with SHOW.
    const [shown] = await negs.listNetworkEndpoints({ project, zone, networkEndpointGroup: 'neg-a', networkEndpointGroupsListEndpointsRequestResource: { healthStatus: 'SHOW' } });
    assert.deepEqual(
      shown.map((i) => [i.networkEndpoint?.ipAddress, i.healths?.map((h) => [h.backendService?.backendService?.split('/').slice(-1)[0], h.healthState])]),
      [
        ['127.0.0.1', [['bs', 'HEALTHY']]],
        ['10.255.0.9', [['bs', 'UNHEALTHY']]],
      ],
    );
    const [skipped] = await negs.listNetworkEndpoints({ project, zone, networkEndpointGroup: 'neg-a', networkEndpointGroupsListEndpointsRequestResource: { healthStatus: 'SKIP' } });
    assert.ok(skipped.every((i) => (i.healths ?? []).length === 0));

    const [detach] = await negs.detachNetworkEndpoints({ project, zone, networkEndpointGroup: 'neg-a', networkEndpointGroupsDetachEndpointsRequestResource: { networkEndpoints: [{ ipAddress: '10.255.0.9', port: 8080, instance: 'node-1' }] } });
    await waitZone(detach as unknown as LatestOp);
    assert.deepEqual(server.state.networkEndpointGroups()[0]?.endpoints.map((e) => e.ipAddress), ['127.0.0.1']);

    // Fingerprints: a stale one is refused with 412, the current one accepted.
    const [bs] = await bss.get({ project, region, backendService: 'bs' });
    const [patched] = await bss.patch({ project, region, backendService: 'bs', backendServiceResource: { fingerprint: bs.fingerprint, connectionDraining: { drainingTimeoutSec: 60 } } });
    await waitRegion(patched as unknown as LatestOp);
    await assert.rejects(bss.update({ project, region, backendService: 'bs', backendServiceResource: { ...bs, fingerprint: bs.fingerprint } }), (e: { httpStatusCode?: number; message?: string }) => {
      assert.equal(e.httpStatusCode, 412);
      return true;
    });

    // Deleting in the wrong order: each dependency is still in use.
    const inUse = (e: { httpStatusCode?: number; message?: string }) => {
      assert.equal(e.httpStatusCode, 400);
      assert.match(String(e.message), /already being used by/);
      return true;
    };
    await assert.rejects(negs.delete({ project, zone, networkEndpointGroup: 'neg-a' }), inUse);
    await assert.rejects(hcs.delete({ project, region, healthCheck: 'hc' }), inUse);
    await assert.rejects(bss.delete({ project, region, backendService: 'bs' }), inUse);
    await assert.rejects(proxies.delete({ project, region, targetTcpProxy: 'px' }), inUse);

    for (const [op] of [
      await rules.delete({ project, region, forwardingRule: 'fr' }),
      await proxies.delete({ project, region, targetTcpProxy: 'px' }),
      await bss.delete({ project, region, backendService: 'bs' }),
      await hcs.delete({ project, region, healthCheck: 'hc' }),
    ]) {
      await waitRegion(op as unknown as LatestOp);
    }
    const [negDel] = await negs.delete({ project, zone, networkEndpointGroup: 'neg-a' });
    await waitZone(negDel as unknown as LatestOp);
    assert.equal(server.state.networkEndpointGroups().length, 0);
    assert.equal(server.state.backendServices().length, 0);
  });

  it('answers 404, 409, 400 and 429 as GCE does', async () => {
    const negs = new NetworkEndpointGroupsClient(opts);
    await assert.rejects(negs.get({ project, zone, networkEndpointGroup: 'missing' }), (e: { httpStatusCode?: number; message?: string }) => {
      assert.equal(e.httpStatusCode, 404);
      assert.match(String(e.message), /The resource 'projects\/sluice-test\/zones\/us-central1-a\/networkEndpointGroups\/missing' was not found/);
      return true;
    });
    const [op] = await negs.insert({ project, zone, networkEndpointGroupResource: { name: 'dup', defaultPort: 80 } });
    await waitZone(op as unknown as LatestOp);
    await assert.rejects(negs.insert({ project, zone, networkEndpointGroupResource: { name: 'dup' } }), (e: { httpStatusCode?: number }) => e.httpStatusCode === 409);
    await assert.rejects(
      negs.attachNetworkEndpoints({ project, zone, networkEndpointGroup: 'dup', networkEndpointGroupsAttachEndpointsRequestResource: { networkEndpoints: [{ ipAddress: '10.0.0.1', port: 80 }] } }),
      (e: { httpStatusCode?: number; message?: string }) => e.httpStatusCode === 400 && /instance/.test(String(e.message)),
    );
    server.faults.throttleNext(1);
    await assert.rejects(negs.get({ project, zone, networkEndpointGroup: 'dup' }, { retry: null } as never), (e: { httpStatusCode?: number; message?: string }) => {
      assert.equal(e.httpStatusCode, 429);
      assert.match(String(e.message), /Quota exceeded/);
      return true;
    });
    server.faults.failOperation(1);
    const [failing] = await negs.delete({ project, zone, networkEndpointGroup: 'dup' });
    const done = await waitZone(failing as unknown as LatestOp);
    assert.ok(done.error, 'a failed operation carries an error');
    assert.equal(server.state.networkEndpointGroups().length, 1, 'a failed operation changes nothing');
  });

  it('paginates lists', async () => {
    const negs = new NetworkEndpointGroupsClient(opts);
    for (const name of ['p-1', 'p-2', 'p-3']) {
      const [op] = await negs.insert({ project, zone, networkEndpointGroupResource: { name, defaultPort: 80 } });
      await waitZone(op as unknown as LatestOp);
    }
    const [firstPage, nextRequest] = await negs.list({ project, zone, maxResults: 2 }, { autoPaginate: false });
    assert.equal(firstPage.length, 2);
    assert.ok(nextRequest?.pageToken);
    const names = [];
    for await (const n of negs.listAsync({ project, zone, maxResults: 2 })) names.push(n.name);
    assert.deepEqual(names, ['dup', 'p-1', 'p-2', 'p-3']);
  });

  it('logs requests by REST method and finds no proto violations', () => {
    assert.ok(server.requests.count('compute.networkEndpointGroups.attachNetworkEndpoints') >= 1);
    assert.ok(server.requests.count('compute.regionBackendServices.getHealth') >= 1);
    const checked = server.protoCheck.checkedMethods();
    assert.ok(checked.some((m) => m.rpc === 'NetworkEndpointGroups.ListNetworkEndpoints'));
    assert.deepEqual(checked.filter((m) => m.violations.length > 0), []);
    if (process.env.GCP_PROTO_SUMMARY) console.log(server.protoCheck.summary());
  });
});

describe('Compute rate quotas with the real SDK', () => {
  const clock = manualClock(0);
  let server: ComputeServer;
  let subnets: SubnetworksClient;
  /** gRPC's RESOURCE_EXHAUSTED, which google-gax maps HTTP 429 to. */
  const RESOURCE_EXHAUSTED = 8;
  const subnetGets = () =>
    server.requests
      .entries()
      .filter((r) => r.operation === 'compute.subnetworks.get')
      .map((r) => [r.status, r.fault]);

  before(async () => {
    // Compute's per-minute windows, with regional reads cut to 2 a minute so a few calls use them up.
    server = await startComputeServer({ rateLimits: { now: clock.now, limits: { reads_per_region: perWindow(2, 60_000) } } });
    server.state.addNetwork({ project, name: 'default' });
    server.state.addSubnetwork({ project, region, name: 'pods', network: 'default', ipCidrRange: '10.0.0.0/16' });
    server.state.addSubnetwork({ project, region: 'europe-west1', name: 'pods-eu', network: 'default', ipCidrRange: '10.1.0.0/16' });
    subnets = new SubnetworksClient({ ...server.clientOptions, authClient: new PassThroughClient() });
  });

  after(async () => {
    await server.close();
  });

  it('answers 429 rateLimitExceeded past the window, which the default retry settings do not retry', async () => {
    await subnets.get({ project, region, subnetwork: 'pods' });
    await subnets.get({ project, region, subnetwork: 'pods' });
    await assert.rejects(subnets.get({ project, region, subnetwork: 'pods' }), (e: { code?: number; httpStatusCode?: number; message?: string }) => {
      assert.equal(e.httpStatusCode, 429);
      assert.equal(e.code, RESOURCE_EXHAUSTED);
      assert.match(String(e.message), /Quota exceeded for quota metric 'Read requests per region' and limit 'Read requests per minute per region'/);
      return true;
    });
    assert.deepEqual(subnetGets(), [
      [200, undefined],
      [200, undefined],
      [429, 'rate-limited'],
    ]);
    const [eu] = await subnets.get({ project, region: 'europe-west1', subnetwork: 'pods-eu' });
    assert.equal(eu.name, 'pods-eu', 'another region has its own quota');
  });

  it('is retried when the call asks to retry RESOURCE_EXHAUSTED, and passes in the next minute', async () => {
    // The quota refills at the start of the next minute: the clock gets there when the server throttles.
    const stop = server.requests.subscribe((r) => {
      if (r.fault === 'rate-limited') clock.set(60_000);
    });
    server.requests.clear();
    try {
      const retry = {
        retryCodes: [RESOURCE_EXHAUSTED],
        backoffSettings: { initialRetryDelayMillis: 10, retryDelayMultiplier: 1, maxRetryDelayMillis: 10, initialRpcTimeoutMillis: 5_000, rpcTimeoutMultiplier: 1, maxRpcTimeoutMillis: 5_000, totalTimeoutMillis: 10_000 },
      };
      const [subnet] = await subnets.get({ project, region, subnetwork: 'pods' }, { retry } as never);
      assert.equal(subnet.name, 'pods');
    } finally {
      stop();
    }
    assert.deepEqual(subnetGets(), [
      [429, 'rate-limited'],
      [200, undefined],
    ]);
  });

  it('answers 403 rateLimitExceeded, as the Compute quota page states, when asked to', async () => {
    const strict = await startComputeServer({ throttleStatus: 403, rateLimits: { limits: { global_reads: perWindow(0, 60_000) } } });
    try {
      strict.state.addNetwork({ project, name: 'default' });
      const networks = new NetworksClient({ ...strict.clientOptions, authClient: new PassThroughClient() });
      await assert.rejects(networks.get({ project, network: 'default' }), (e: { httpStatusCode?: number; message?: string }) => {
        assert.equal(e.httpStatusCode, 403);
        assert.match(String(e.message), /Quota exceeded for quota metric 'Read requests' and limit 'Read requests per minute'/);
        return true;
      });
    } finally {
      await strict.close();
    }
  });
});
