import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import { type AddressInfo, BlockList, isIPv6, type Socket } from 'node:net';
import { after, before, test } from 'node:test';
import { type ClientNetwork, createClientNetwork } from '../harness/client-network.ts';
import { startContainerProcess } from '../harness/container-process.ts';
import type { IpFamily } from '../harness/ip-family.ts';
import { listNamespaces } from '../harness/netns-cleanup.ts';
import { createPodNetwork, type PodNetwork } from '../harness/pod-network.ts';
import { waitFor } from '../harness/wait.ts';
import { type LoadOptions, startLoad } from './load.ts';
import { startLoadInNamespace } from './namespace-load.ts';

/**
 * An HTTP listener on `host` answering `host`; connections from sources outside `allowed` are
 * accepted and destroyed at once (the test's own stand-in for source-range enforcement).
 */
async function listener(t: { after(fn: () => unknown): void }, host: string, allowed: readonly string[]): Promise<number> {
  const list = new BlockList();
  const type = (address: string) => (isIPv6(address) ? 'ipv6' : 'ipv4');
  for (const cidr of allowed) {
    const [address, length] = cidr.split('/') as [string, string];
    list.addSubnet(address, Number(length), type(address));
  }
  const s = createServer((_req, res) => res.end('host\n'));
  s.prependListener('connection', (socket: Socket) => {
    const from = socket.remoteAddress ?? '';
    if (!list.check(from, type(from))) socket.destroy();
  });
  await new Promise<void>((resolve) => s.listen(0, host, resolve));
  t.after(() => {
    s.closeAllConnections();
    s.close();
  });
  return (s.address() as AddressInfo).port;
}

/** Bounded: a few hundred requests at most, 20 s at most. */
const BOUNDS = { freshWorkers: 2, keepAliveWorkers: 2, maxConnectionAgeMs: 50, pauseMs: 1, maxDurationMs: 20_000 } as const;

/** Runs a load in the client namespace until it has sent `maxRequests`, and returns its result. */
async function loadFromClients(clients: ClientNetwork, options: LoadOptions & { maxRequests: number }) {
  const load = startLoadInNamespace(clients, { ...BOUNDS, ...options });
  await waitFor(`${options.maxRequests} requests from ${clients.namespace}`, () => load.requests >= options.maxRequests, { timeoutMs: 25_000, intervalMs: 50 });
  return load.stop();
}

let pods: PodNetwork;
let clients: ClientNetwork;
before(async () => {
  pods = await createPodNetwork();
  clients = await createClientNetwork({ podNetwork: pods });
});
after(async () => {
  await clients?.destroy();
  await pods?.destroy();
});

for (const family of ['IPv4', 'IPv6'] as const satisfies IpFamily[]) {
  test(`${family}: a listener on the host end serves one client address and refuses the other, per source`, async (t) => {
    const host = family === 'IPv4' ? clients.hostIp : clients.hostIp6!;
    const [allowed, refused] = clients.addresses(family) as [string, string];
    const port = await listener(t, host, [`${allowed}/${family === 'IPv4' ? 32 : 128}`]);
    const result = await loadFromClients(clients, { host, port, sources: [allowed, refused], maxRequests: 200 });
    assert.equal(result.requests, 200);
    const ok = result.bySource[allowed]!;
    const no = result.bySource[refused]!;
    assert.ok(ok.sent > 0 && ok.succeeded === ok.sent && ok.latencyMs !== undefined, `${allowed}: ${JSON.stringify(ok)}`);
    assert.ok(no.sent > 0 && no.refused === no.sent && no.succeeded === 0, `${refused}: ${JSON.stringify(no)}`);
    assert.equal(ok.sent + no.sent, 200);
    assert.deepEqual(result.byPod, { host: ok.succeeded });
  });
}

test('the host side is a source too: a load from the host beside one from the namespace', async (t) => {
  const port = await listener(t, clients.hostIp, [`${clients.cidr}`]);
  const [inside] = clients.addresses('IPv4') as [string];
  const fromHost = startLoad({ ...BOUNDS, host: clients.hostIp, port, sources: ['127.0.0.1'], maxRequests: 50 });
  const fromClients = await loadFromClients(clients, { host: clients.hostIp, port, sources: [inside], maxRequests: 50 });
  await waitFor('50 requests from the host', () => fromHost.requests >= 50, { timeoutMs: 20_000, intervalMs: 20 });
  const hostResult = await fromHost.stop();
  assert.equal(fromClients.bySource[inside]!.succeeded, 50, 'a client address inside the allowed range is served');
  assert.equal(hostResult.bySource['127.0.0.1']!.refused, 50, 'the host, outside the range, is refused');
});

for (const family of ['IPv4', 'IPv6'] as const satisfies IpFamily[]) {
  test(`${family}: clients reach a pod over their own link to the pod network`, async () => {
    const podIp = pods.allocate(undefined, family);
    const app = startContainerProcess({ network: pods, env: { POD_NAME: 'pod-c', POD_IP: podIp, PORT: '8080' } });
    try {
      await app.started;
      const sources = clients.addresses(family);
      const result = await loadFromClients(clients, { host: podIp, port: 8080, sources, maxRequests: 60 });
      assert.deepEqual(result.byPod, { 'pod-c': 60 }, JSON.stringify(result.failures));
      for (const source of sources) assert.ok(result.bySource[source]!.succeeded > 0, `${source}: ${JSON.stringify(result.bySource[source])}`);
    } finally {
      app.signal('SIGKILL');
      await app.exit;
      pods.release(podIp);
    }
  });
}

test('a source the namespace lacks fails each of its requests, counted as other errors with the cause', async (t) => {
  const port = await listener(t, clients.hostIp, [clients.cidr]);
  const [present] = clients.addresses('IPv4') as [string];
  const absent = clients.cidr.replace(/\.0\.0\/16$/, '.9.9');
  // Fresh connections only, so that the sources alternate request by request.
  const result = await loadFromClients(clients, { host: clients.hostIp, port, sources: [present, absent], keepAliveWorkers: 0, maxRequests: 40 });
  assert.equal(result.bySource[present]!.succeeded, 20);
  assert.deepEqual(result.bySource[absent], { sent: 20, succeeded: 0, refused: 0, timedOut: 0, otherErrors: 20 });
  assert.equal(result.failures['EADDRNOTAVAIL'], 20);
});

test('destroying the network under a running load stops its worker: stop() says so, and nothing is left', async (t) => {
  const doomed = await createClientNetwork({ removeStale: false, addresses: 1 });
  const port = await listener(t, doomed.hostIp, [doomed.cidr]);
  const load = startLoadInNamespace(doomed, { ...BOUNDS, host: doomed.hostIp, port, sources: doomed.addresses('IPv4'), maxRequests: 100_000 });
  await waitFor('the load to run', () => load.requests > 0, { timeoutMs: 20_000, intervalMs: 20 });
  await doomed.destroy();
  await assert.rejects(load.stop(), new RegExp(`load worker in namespace ${doomed.namespace} exited \\(SIGKILL\\) without a result`));
  assert.ok(!listNamespaces().includes(doomed.namespace), 'the namespace is gone');
  assert.doesNotMatch(execFileSync('ip', ['-br', 'link'], { encoding: 'utf8' }), new RegExp(`^${doomed.hostLink}[@ ]`, 'm'), 'the host link is gone');
});
