/**
 * The Standard load balancer twin end to end through the real `@azure/arm-network`: what the
 * SDK writes becomes a listener on the frontend's (loopback) public IP, the pool's addresses
 * are probed at the probe's interval (time-scaled), adminState Down stops new flows and keeps
 * an established one, an idle flow ends at the rule's idle timeout (reset, or dropped
 * silently), and the rule-health API reports what the data plane's probes found.
 */
import assert from 'node:assert/strict';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { NetworkManagementClient } from '@azure/arm-network';
import { ClientSecretCredential } from '@azure/identity';
import { freeLoopbackPorts } from '@sluice/testbed/harness';
import { type ArmServer, startArmServer } from './arm-server.ts';

const SUB = '00000000-0000-0000-0000-0000000000bb';
const RG = 'twin';
const POLL = { updateIntervalInMs: 10 };
const lbId = `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.Network/loadBalancers/lb`;
const vnetId = `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.Network/virtualNetworks/pods`;
const BACKENDS = ['127.0.0.2', '127.0.0.3'];
// 5 s probes at x0.02: one probe every 100 ms.
const TIME_SCALE = 0.02;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function sdkFor(server: ArmServer): NetworkManagementClient {
  const credential = new ClientSecretCredential(server.identity.tenantId, server.identity.clientId, server.identity.clientSecret, {
    authorityHost: server.authorityHost,
    disableInstanceDiscovery: true,
    tlsOptions: { ca: server.caPem },
  });
  return new NetworkManagementClient(credential, SUB, { endpoint: server.endpoint, tlsOptions: { ca: server.caPem }, retryOptions: { retryDelayInMs: 10, maxRetryDelayInMs: 50 } });
}

/** A backend that greets each connection with its address, then echoes. */
async function backend(ip: string, port: number): Promise<Server> {
  const s = createServer((c) => {
    c.on('error', () => {});
    c.write(`${ip}\n`);
    c.pipe(c);
  });
  await new Promise<void>((r) => s.listen(port, ip, r));
  return s;
}

/** Connects and reads the greeting; undefined when the connection is reset, refused or silent for 1 s. */
function greet(host: string, port: number): Promise<{ who: string; socket: Socket } | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const timer = setTimeout(() => done(undefined), 1000);
    const done = (v: { who: string; socket: Socket } | undefined) => {
      clearTimeout(timer);
      if (!v) socket.destroy();
      resolve(v);
    };
    socket.on('error', () => done(undefined));
    socket.once('data', (d) => done({ who: d.toString().trim(), socket }));
  });
}

async function servedBy(host: string, port: number, n: number): Promise<Set<string>> {
  const seen = new Set<string>();
  for (let i = 0; i < n; i++) {
    const g = await greet(host, port);
    if (g) {
      seen.add(g.who);
      g.socket.destroy();
    } else seen.add('failed');
  }
  return seen;
}

describe('the Standard load balancer twin data plane', () => {
  let server: ArmServer;
  let client: NetworkManagementClient;
  const backends: Server[] = [];
  let frontendPort: number;
  let backendPort: number;
  let address: string;

  const health = async () => {
    const h = await client.loadBalancerLoadBalancingRules.beginHealthAndWait(RG, 'lb', 'rule', POLL);
    return Object.fromEntries((h.loadBalancerBackendAddresses ?? []).map((a) => [a.ipAddress, `${a.state}/${a.reason}`]));
  };
  const waitFor = async (what: string, check: () => Promise<boolean>) => {
    const deadline = performance.now() + 10_000;
    while (!(await check())) {
      if (performance.now() > deadline) assert.fail(`never: ${what}`);
      await sleep(50);
    }
  };
  const setPool = (states: Record<string, 'Up' | 'Down' | undefined>) =>
    client.loadBalancerBackendAddressPools.createOrUpdate(
      RG,
      'lb',
      'pool',
      { loadBalancerBackendAddresses: BACKENDS.map((ip) => ({ name: `pod-${ip}`, ipAddress: ip, virtualNetwork: { id: vnetId }, ...(states[ip] ? { adminState: states[ip] } : {}) })) },
      POLL,
    );

  before(async () => {
    [frontendPort = 0, backendPort = 0] = await freeLoopbackPorts(2);
    server = await startArmServer({ operations: { durationMs: 30 }, retryAfterSeconds: 0, dataPlane: { timeScale: TIME_SCALE } });
    server.state.createResourceGroup(SUB, RG, 'westeurope');
    client = sdkFor(server);
    // The pods' subnet has a group with only Azure's default rules: these clients (127.0.0.1) are in the
    // virtual network, so AllowVnetInBound lets them in (nsg.test.ts shows the rest).
    const nsg = await client.networkSecurityGroups.beginCreateOrUpdateAndWait(RG, 'pods-nsg', { location: 'westeurope' }, POLL);
    server.state.createVirtualNetwork(SUB, RG, 'pods', ['127.0.0.0/8'], { subnets: [{ name: 'default', addressPrefix: '127.0.0.0/8', networkSecurityGroupId: nsg.id! }] });
    for (const ip of BACKENDS) backends.push(await backend(ip, backendPort));
    const pip = await client.publicIPAddresses.beginCreateOrUpdateAndWait(RG, 'pip', { location: 'westeurope', sku: { name: 'Standard' }, publicIPAllocationMethod: 'Static' }, POLL);
    address = pip.ipAddress ?? '';
    await client.loadBalancers.beginCreateOrUpdateAndWait(
      RG,
      'lb',
      {
        location: 'westeurope',
        sku: { name: 'Standard' },
        frontendIPConfigurations: [{ name: 'fe', publicIPAddress: { id: pip.id! } }],
        backendAddressPools: [{ name: 'pool' }],
        probes: [{ name: 'probe', protocol: 'Tcp', port: backendPort, intervalInSeconds: 5, probeThreshold: 2 }],
        loadBalancingRules: [
          {
            name: 'rule',
            protocol: 'Tcp',
            frontendPort,
            backendPort,
            enableTcpReset: true,
            frontendIPConfiguration: { id: `${lbId}/frontendIPConfigurations/fe` },
            backendAddressPool: { id: `${lbId}/backendAddressPools/pool` },
            probe: { id: `${lbId}/probes/probe` },
          },
        ],
      },
      POLL,
    );
    await setPool({});
  });

  after(async () => {
    for (const b of backends) await new Promise((r) => b.close(r));
    await server?.stop();
  });

  it('gives public IPs loopback addresses and serves the rule on the frontend with every probed-up address', async () => {
    assert.match(address, /^127\.77\.0\.\d+$/);
    await waitFor('both addresses Up', async () => JSON.stringify(await health()) === JSON.stringify({ '127.0.0.2': 'Up/Up_Probe_Success', '127.0.0.3': 'Up/Up_Probe_Success' }));
    assert.deepEqual([...(await servedBy(address, frontendPort, 8))].sort(), BACKENDS);
    const group = (await server.dataPlane!.client.state()).targetGroups[0]!;
    // The probe's 5 s and probeThreshold 2 as programmed; the engine scales them.
    assert.deepEqual([group.healthCheck?.intervalMs, group.healthCheck?.healthyThreshold, group.healthCheck?.unhealthyThreshold, group.healthCheck?.source.tags], [5000, 2, 2, ['AzureLoadBalancer']]);
  });

  it('adminState Down: no new flows to the address, its established flow keeps working; health says Down_Admin', async () => {
    let kept: Socket | undefined;
    for (let i = 0; i < 10 && !kept; i++) {
      const g = await greet(address, frontendPort);
      if (g?.who === '127.0.0.3') kept = g.socket;
      else g?.socket.destroy();
    }
    assert.ok(kept, 'a flow to 127.0.0.3 was established');
    await setPool({ '127.0.0.3': 'Down' });
    await waitFor('127.0.0.3 Down_Admin', async () => (await health())['127.0.0.3'] === 'Down/Down_Admin');
    assert.deepEqual([...(await servedBy(address, frontendPort, 6))], ['127.0.0.2']);
    const echoed = new Promise<string>((r) => kept.once('data', (d) => r(d.toString())));
    kept.write('still here');
    assert.equal(await echoed, 'still here', 'the established flow to the Down address still carries data');
    kept.destroy();
    await setPool({});
    await waitFor('127.0.0.3 back Up', async () => (await health())['127.0.0.3'] === 'Up/Up_Probe_Success');
  });

  it('an address whose probe fails is marked down after probeThreshold probes and gets no new flows', async () => {
    const gone = backends[0]!;
    await new Promise((r) => gone.close(r));
    await waitFor('127.0.0.2 Down_Probe_Failure', async () => (await health())['127.0.0.2'] === 'Down/Down_Probe_Failure');
    assert.deepEqual([...(await servedBy(address, frontendPort, 6))], ['127.0.0.3']);
    backends[0] = await backend('127.0.0.2', backendPort);
  });

  it('adminState Up takes flows whatever the probe says (Up_Admin)', async () => {
    const gone = backends[1]!;
    await new Promise((r) => gone.close(r));
    await setPool({ '127.0.0.3': 'Up' });
    await waitFor('127.0.0.3 Up_Admin', async () => (await health())['127.0.0.3'] === 'Up/Up_Admin');
    assert.ok((await servedBy(address, frontendPort, 6)).has('failed'), 'flows are sent to the Up address although nothing listens there');
    backends[1] = await backend('127.0.0.3', backendPort);
    await setPool({});
  });

  it('the rule\'s idle timeout (4 minutes, 4.8 s here) ends an idle flow: with TCP reset both ends get a RST; without it the flow is dropped silently', async () => {
    const idleFlow = async () => {
      const g = await greet(address, frontendPort);
      assert.ok(g, 'a flow was established');
      const ended = new Promise<string>((r) => {
        g.socket.once('error', (e: NodeJS.ErrnoException) => r(e.code ?? e.message));
        g.socket.once('end', () => r('FIN'));
      });
      return { socket: g.socket, ended };
    };
    const reset = await idleFlow();
    const started = performance.now();
    assert.equal(await reset.ended, 'ECONNRESET', 'enableTcpReset: the client is reset');
    const waited = performance.now() - started;
    assert.ok(waited > 4000, `reset after the idle timeout, not before (${Math.round(waited)} ms)`);

    const lb = await client.loadBalancers.get(RG, 'lb');
    const rule = lb.loadBalancingRules![0]!;
    await client.loadBalancers.beginCreateOrUpdateAndWait(RG, 'lb', { ...lb, loadBalancingRules: [{ ...rule, enableTcpReset: false }] }, POLL);
    await server.dataPlane!.sync();
    const silent = await idleFlow();
    let outcome = 'nothing';
    void silent.ended.then((e) => {
      outcome = e;
    });
    await sleep(5500);
    const answer = new Promise<string>((r) => silent.socket.once('data', (d) => r(d.toString())));
    silent.socket.write('anyone?\n');
    assert.equal(await Promise.race([answer, sleep(1000).then(() => 'no answer')]), 'no answer', 'the flow is gone: what the client sends is dropped');
    assert.equal(outcome, 'nothing', 'and nothing told the client (no RST, no FIN)');
    silent.socket.destroy();
    await client.loadBalancers.beginCreateOrUpdateAndWait(RG, 'lb', { ...lb, loadBalancingRules: [rule] }, POLL);
  });

  it('removing the rule closes its listener', async () => {
    const lb = await client.loadBalancers.get(RG, 'lb');
    await client.loadBalancers.beginCreateOrUpdateAndWait(RG, 'lb', { ...lb, loadBalancingRules: [] }, POLL);
    await server.dataPlane!.sync();
    assert.equal((await server.dataPlane!.client.state()).listeners.length, 0);
    assert.equal(await greet(address, frontendPort), undefined);
  });
});

describe('the rule-health API switched off in a region', () => {
  it('answers 400 OperationNotSupportedInRegion there, and works elsewhere', async () => {
    const server = await startArmServer({ operations: { durationMs: 10 }, retryAfterSeconds: 0, ruleHealthUnavailableIn: ['westeurope'] });
    try {
      const client = sdkFor(server);
      server.state.createResourceGroup(SUB, RG, 'westeurope');
      for (const [name, location] of [
        ['off', 'westeurope'],
        ['on', 'northeurope'],
      ] as const) {
        const id = `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.Network/loadBalancers/${name}`;
        const pip = await client.publicIPAddresses.beginCreateOrUpdateAndWait(RG, `pip-${name}`, { location, sku: { name: 'Standard' }, publicIPAllocationMethod: 'Static' }, POLL);
        await client.loadBalancers.beginCreateOrUpdateAndWait(
          RG,
          name,
          {
            location,
            sku: { name: 'Standard' },
            frontendIPConfigurations: [{ name: 'fe', publicIPAddress: { id: pip.id! } }],
            backendAddressPools: [{ name: 'pool' }],
            loadBalancingRules: [
              { name: 'rule', protocol: 'Tcp', frontendPort: 80, backendPort: 80, frontendIPConfiguration: { id: `${id}/frontendIPConfigurations/fe` }, backendAddressPool: { id: `${id}/backendAddressPools/pool` } },
            ],
          },
          POLL,
        );
      }
      const refused = await client.loadBalancerLoadBalancingRules.beginHealthAndWait(RG, 'off', 'rule', POLL).then(
        () => undefined,
        (e: { statusCode?: number; code?: string }) => e,
      );
      assert.equal(refused?.statusCode, 400);
      assert.equal(refused?.code, 'OperationNotSupportedInRegion');
      const answered = await client.loadBalancerLoadBalancingRules.beginHealthAndWait(RG, 'on', 'rule', POLL);
      assert.deepEqual([answered.up, answered.down], [0, 0]);
    } finally {
      await server.stop();
    }
  });
});
