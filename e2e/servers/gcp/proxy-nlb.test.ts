/**
 * The proxy-NLB twin end to end on loopback: Compute resources programmed into an in-process
 * data plane engine (time-scaled), real TCP through the forwarding rule's address, health as
 * getHealth reports it, the VPC firewall in the path of health checks and proxies, PROXY v1,
 * and NEG detach.
 */
import assert from 'node:assert/strict';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createEngine, type DataPlaneEngine } from '@sluice/dataplane';
import { type ComputeServer, startComputeServer } from './compute-server.ts';

const project = 'twin-test';
const region = 'us-central1';
const zone = 'us-central1-a';
const P = `/compute/v1/projects/${project}`;
const R = `${P}/regions/${region}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('proxy-NLB twin', () => {
  let engine: DataPlaneEngine;
  let server: ComputeServer;
  let backend: Server;
  let backendPort: number;
  let frontPort: number;
  /** What each backend connection received first (the PROXY header line). */
  const firstLines: string[] = [];
  const open = new Set<Socket>();

  before(async () => {
    // x0.02: a 1 s check interval runs as 20 ms, a 10 s draining timeout as 200 ms.
    engine = createEngine({ timeScale: 0.02 });
    server = await startComputeServer({ dataPlane: engine, addressBlock: '127.77.0.0/24' });
    server.state.addZone(project, zone, region);
    server.state.addNetwork({ project, name: 'default' });
    server.state.addSubnetwork({ project, region, name: 'pods', network: 'default', ipCidrRange: '10.0.0.0/16' });
    server.state.addSubnetwork({ project, region, name: 'proxy-only', network: 'default', ipCidrRange: '10.129.0.0/23', purpose: 'REGIONAL_MANAGED_PROXY' });
    server.state.addInstance({ project, zone, name: 'node-1', network: 'default', subnetwork: 'pods', networkIP: '10.0.0.2', aliasIpRanges: ['127.0.0.1/32'], tags: ['pods'] });
    backend = createServer((s) => {
      open.add(s);
      s.on('error', () => {});
      s.once('close', () => open.delete(s));
      s.once('data', (chunk) => {
        const text = chunk.toString('latin1');
        if (text.startsWith('PROXY ')) firstLines.push(text.slice(0, text.indexOf('\r\n')));
        s.write('hello\n');
      });
    });
    await new Promise<void>((r) => backend.listen(0, '127.0.0.1', () => r()));
    backendPort = (backend.address() as { port: number }).port;
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
    frontPort = (probe.address() as { port: number }).port;
    await new Promise<void>((r) => probe.close(() => r()));
  });

  after(async () => {
    for (const s of open) s.destroy();
    await server.close();
    await engine.close();
    await new Promise<void>((r) => backend.close(() => r()));
  });

  async function call(method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
    const res = await fetch(`${server.url}${path}`, { method, headers: { 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const json = (await res.json()) as Record<string, unknown>;
    assert.equal(res.status, 200, `${method} ${path}: ${JSON.stringify(json)}`);
    return json;
  }

  async function health(): Promise<string | undefined> {
    const got = await call('POST', `${R}/backendServices/bs/getHealth`, { group: `zones/${zone}/networkEndpointGroups/neg` });
    return (got.healthStatus as { healthState?: string }[] | undefined)?.[0]?.healthState;
  }

  async function until(what: string, check: () => Promise<boolean>): Promise<void> {
    const deadline = performance.now() + 5_000;
    while (!(await check())) {
      if (performance.now() > deadline) assert.fail(`timed out waiting for ${what}`);
      await sleep(20);
    }
  }

  /** One connection through the forwarding rule: the backend's answer, or the error. */
  function through(ip: string): Promise<string> {
    return new Promise((resolve) => {
      const s = connect({ host: ip, port: frontPort }, () => s.write('hi\n'));
      let got = '';
      s.on('data', (d) => {
        got += d.toString();
        s.end();
      });
      s.on('close', () => resolve(got || 'closed'));
      s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
      s.setTimeout(2000, () => s.destroy());
    });
  }

  it('serves a forwarding rule once the firewall lets health checks and proxies reach the pods', async () => {
    await call('POST', `${R}/healthChecks`, { name: 'hc', type: 'TCP', tcpHealthCheck: { portSpecification: 'USE_SERVING_PORT' }, checkIntervalSec: 1, timeoutSec: 1 });
    await call('POST', `${P}/zones/${zone}/networkEndpointGroups`, { name: 'neg', networkEndpointType: 'GCE_VM_IP_PORT', network: 'global/networks/default', subnetwork: `regions/${region}/subnetworks/pods` });
    await call('POST', `${R}/backendServices`, {
      name: 'bs',
      loadBalancingScheme: 'EXTERNAL_MANAGED',
      healthChecks: ['hc'],
      connectionDraining: { drainingTimeoutSec: 10 },
      backends: [{ group: `zones/${zone}/networkEndpointGroups/neg`, balancingMode: 'CONNECTION', maxConnectionsPerEndpoint: 100 }],
    });
    await call('POST', `${R}/targetTcpProxies`, { name: 'px', service: 'bs', proxyHeader: 'PROXY_V1' });
    await call('POST', `${R}/forwardingRules`, { name: 'fr', portRange: String(frontPort), loadBalancingScheme: 'EXTERNAL_MANAGED', network: 'global/networks/default', target: 'px' });
    const ip = String((await call('GET', `${R}/forwardingRules/fr`)).IPAddress);
    assert.match(ip, /^127\.77\.0\.\d+$/);
    await call('POST', `${P}/zones/${zone}/networkEndpointGroups/neg/attachNetworkEndpoints`, { networkEndpoints: [{ ipAddress: '127.0.0.1', port: backendPort, instance: 'node-1' }] });

    // The implied ingress deny: health checks never reach the endpoint.
    await sleep(300);
    assert.equal(await health(), 'UNHEALTHY');
    const [target] = await engine.targetHealth(`projects/${project}/regions/${region}/backendServices/bs#PROXY_V1`);
    assert.equal(target?.state, 'unhealthy');

    // Google's probe ranges allowed: healthy. Proxies still denied: a client is cut off.
    await call('POST', `${P}/global/firewalls`, { name: 'allow-hc', sourceRanges: ['35.191.0.0/16', '130.211.0.0/22'], targetTags: ['pods'], allowed: [{ IPProtocol: 'tcp' }] });
    await until('HEALTHY', async () => (await health()) === 'HEALTHY');
    assert.notEqual(await through(ip), 'hello\n', 'the proxy-only subnet is not allowed yet');

    await call('POST', `${P}/global/firewalls`, { name: 'allow-proxies', sourceRanges: ['10.129.0.0/23'], targetTags: ['pods'], allowed: [{ IPProtocol: 'tcp', ports: [String(backendPort)] }] });
    assert.equal(await through(ip), 'hello\n');
    assert.match(firstLines.at(-1) ?? '', new RegExp(`^PROXY TCP4 127\\.0\\.0\\.1 ${ip.replaceAll('.', '\\.')} \\d+ ${frontPort}$`));

    // A higher-priority deny wins over the allow.
    await call('POST', `${P}/global/firewalls`, { name: 'deny-all', priority: 10, sourceRanges: ['0.0.0.0/0'], denied: [{ IPProtocol: 'all' }] });
    await until('UNHEALTHY under the deny', async () => (await health()) === 'UNHEALTHY');
    await call('DELETE', `${P}/global/firewalls/deny-all`);
    await until('HEALTHY again', async () => (await health()) === 'HEALTHY');
  });

  it('detaching an endpoint stops new connections at once; open ones get the draining timeout', async () => {
    const ip = String((await call('GET', `${R}/forwardingRules/fr`)).IPAddress);
    // A connection held open across the detach.
    const held = connect({ host: ip, port: frontPort });
    const closed = new Promise<number>((resolve) => held.once('close', () => resolve(performance.now())));
    held.on('error', () => {});
    await new Promise<void>((resolve) => held.once('data', () => resolve()).write('hi\n'));
    const detachedAt = performance.now();
    await call('POST', `${P}/zones/${zone}/networkEndpointGroups/neg/detachNetworkEndpoints`, { networkEndpoints: [{ ipAddress: '127.0.0.1', port: backendPort, instance: 'node-1' }] });
    assert.equal(await health(), undefined, 'a detached endpoint is no longer reported');
    const [draining] = await engine.targetHealth(`projects/${project}/regions/${region}/backendServices/bs#PROXY_V1`);
    assert.equal(draining?.state, 'draining', 'the open connection keeps the endpoint draining');
    assert.notEqual(await through(ip), 'hello\n', 'no new connection goes to a detached endpoint');
    // drainingTimeoutSec 10 at x0.02: the held connection is closed after about 200 ms.
    const waited = (await closed) - detachedAt;
    assert.ok(waited >= 150 && waited < 3000, `the held connection closed ${Math.round(waited)} ms after the detach`);
  });

  it('deleting the forwarding rule closes its listener', async () => {
    const ip = String((await call('GET', `${R}/forwardingRules/fr`)).IPAddress);
    await call('DELETE', `${R}/forwardingRules/fr`);
    assert.equal((await engine.state()).listeners.length, 0);
    assert.equal(await through(ip), 'ECONNREFUSED');
  });
});
