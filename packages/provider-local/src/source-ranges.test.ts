/**
 * Source ranges: the pure filter (table-driven), then through the provider with real
 * sockets, clients bound to different loopback addresses (127.0.0.0/8 is all loopback).
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect } from 'node:net';
import { after, describe, test } from 'node:test';
import { isTerminalError, type ServiceSpecView } from '@sluice/core';
import { createEngine } from '@sluice/dataplane';
import { startBackend, waitFor } from '@sluice/dataplane/testing';
import { createLocalProvider, type ListenAddress } from './index.ts';
import { sourceRanges } from './source-ranges.ts';
import { backend, cluster, recordingLogger, service, signal } from './test-support/fixtures.ts';

describe('sourceRanges', () => {
  // What a client inside or outside them gets is the data plane's (its listener enforces the
  // ranges); the through-the-load-balancer tests below check it end to end.
  const cases: [string, readonly string[] | undefined, readonly string[]][] = [
    ['unset admits everyone', undefined, []],
    ['an empty list admits everyone', [], []],
    ['one /32', ['127.0.0.1/32'], ['127.0.0.1/32']],
    ['host bits are cleared, as Kubernetes reads the field', ['10.1.2.3/8'], ['10.0.0.0/8']],
    ['leading zeros are decimal', ['010.0.0.0/8'], ['10.0.0.0/8']],
    ['surrounding blanks are ignored', [' 127.0.0.1/32 '], ['127.0.0.1/32']],
    ['IPv6, canonical', ['FD00:0::/64', '::1/128'], ['fd00::/64', '::1/128']],
    ['::/0 stays IPv6', ['::/0'], ['::/0']],
    ['an IPv4-mapped range is the IPv4 range', ['::ffff:10.0.0.0/104'], ['10.0.0.0/8']],
    ['duplicates are one range', ['127.0.0.1/32', '127.0.0.1/32', '127.0.0.1/32'], ['127.0.0.1/32']],
  ];
  for (const [name, ranges, expected] of cases) {
    test(name, () => {
      assert.deepEqual(sourceRanges({ namespace: 'default', name: 'web', ...(ranges === undefined ? {} : { sourceRanges: ranges }) }), expected);
    });
  }

  test('an entry that is not a CIDR is a TerminalError naming the field and the value', () => {
    assert.throws(
      () => sourceRanges({ namespace: 'default', name: 'web', sourceRanges: ['127.0.0.1/32', '10.0.0.0/33'] }),
      (error: unknown) => {
        assert.ok(isTerminalError(error));
        assert.equal(error.field, 'spec.loadBalancerSourceRanges[1]');
        assert.equal(error.reason, 'InvalidSourceRange');
        assert.equal(
          error.message,
          'Service default/web source range "10.0.0.0/33" (spec.loadBalancerSourceRanges[1], or the annotation service.beta.kubernetes.io/load-balancer-source-ranges) is invalid because the prefix length "33" is not a whole number from 0 to 32: allowed are IPv4 and IPv6 CIDRs such as 203.0.113.0/24 or 2001:db8::/32.',
        );
        return true;
      },
    );
  });
});

/**
 * Connects from `localAddress` through the load balancer: the id of the backend that
 * answered, or `refused` when the connection ended (reset or closed) without a byte.
 */
async function from(localAddress: string, target: ListenAddress): Promise<string> {
  const socket = connect({ host: target.address, port: target.port, localAddress });
  socket.setEncoding('utf8');
  let received = '';
  socket.on('data', (chunk: string) => {
    received += chunk;
    if (received.includes('\n')) socket.destroy();
  });
  socket.on('error', () => {});
  // Not events.once: it rejects on the 'error' a reset emits before 'close'.
  await new Promise((resolve) => socket.once('close', resolve));
  return received.includes('\n') ? received.slice(0, received.indexOf('\n')) : 'refused';
}

async function fromEach(target: ListenAddress, clients: readonly string[]): Promise<Record<string, string>> {
  const outcomes: Record<string, string> = {};
  for (const client of clients) outcomes[client] = await from(client, target);
  return outcomes;
}

describe('source ranges through the load balancer', () => {
  const live = startBackend('live');
  after(async () => (await live).close());
  const clients = ['127.0.0.1', '127.0.0.2'];

  async function provider(t: { after(fn: () => Promise<void>): void }, options: Parameters<typeof createLocalProvider>[0] = {}) {
    const lb = createLocalProvider({ dataplane: 'embedded', intervalMs: 600_000, healthyThreshold: 1, ...options });
    t.after(() => lb.close());
    return lb;
  }

  async function listener(lb: ReturnType<typeof createLocalProvider>, svc: ServiceSpecView): Promise<ListenAddress> {
    const found = await lb.listenerAddress(svc, 'http');
    assert.ok(found, 'the listener exists');
    return found;
  }

  test('a client outside the ranges is reset at accept; no backend connection is opened', async (t) => {
    const backendServer = await live;
    const log = recordingLogger();
    const engine = createEngine({ log });
    t.after(() => engine.close());
    const lb = await provider(t, { log, dataplane: engine });
    const svc = service({ sourceRanges: ['127.0.0.1/32'] });
    await lb.ensureLoadBalancer(cluster, svc, [backend(backendServer.port, 'pod-1')], signal);
    const target = await listener(lb, svc);
    // The first health check is a backend connection too: let it land before counting.
    await waitFor('the first health check', async () => ((await lb.getBackendHealth(cluster, svc, signal))[0]?.health === 'healthy' ? true : undefined));

    const acceptedBefore = backendServer.accepted;
    assert.deepEqual(await fromEach(target, ['127.0.0.2', '127.0.0.2', '127.0.0.2']), { '127.0.0.2': 'refused' });
    assert.equal(backendServer.accepted, acceptedBefore, 'a refused client causes no backend connection');
    assert.deepEqual(await fromEach(target, clients), { '127.0.0.1': 'live', '127.0.0.2': 'refused' });
    assert.equal(backendServer.accepted, acceptedBefore + 1);

    const [counters] = (await engine.stats()).listeners;
    assert.equal(counters?.refusedSourceRange, 4, 'the listener counts every refusal');
    const refusals = log.entries.filter((e) => e.message === 'refused a client outside the source ranges');
    assert.equal(refusals.length, 4);
    assert.ok(refusals.every((e) => e.level === 'debug'), 'refusals are logged at debug only');
    assert.equal(refusals.at(-1)?.fields?.['client'], '127.0.0.2');
    const changes = log.entries.filter((e) => e.message === 'load balancer source ranges changed');
    assert.deepEqual(
      changes.map((e) => [e.level, e.fields?.['to']]),
      [['info', '127.0.0.1/32']],
    );
  });

  test('without ranges every client is served', async (t) => {
    const backendServer = await live;
    const lb = await provider(t);
    await lb.ensureLoadBalancer(cluster, service(), [backend(backendServer.port, 'pod-1')], signal);
    assert.deepEqual(await fromEach(await listener(lb, service()), clients), { '127.0.0.1': 'live', '127.0.0.2': 'live' });
  });

  test('ensureLoadBalancer changes the ranges for the next connection; open connections stay', async (t) => {
    const backendServer = await live;
    const log = recordingLogger();
    const lb = await provider(t, { log });
    const svc = (sourceRanges?: readonly string[]) => service(sourceRanges === undefined ? {} : { sourceRanges });
    const backends = [backend(backendServer.port, 'pod-1')];
    await lb.ensureLoadBalancer(cluster, svc(['127.0.0.1/32']), backends, signal);
    const target = await listener(lb, svc());

    // A connection from 127.0.0.1 opened under the old ranges outlives the change.
    const open = connect({ host: target.address, port: target.port, localAddress: '127.0.0.1' });
    open.setEncoding('utf8');
    open.on('error', () => {});
    const [greeting] = (await once(open, 'data')) as [string];
    assert.equal(greeting, 'live\n');
    t.after(() => open.destroy());

    await lb.ensureLoadBalancer(cluster, svc(['127.0.0.2/32']), backends, signal);
    assert.deepEqual(await lb.listenerAddress(svc(), 'http'), target, 'the same listener, not a new one');
    assert.deepEqual(await fromEach(target, clients), { '127.0.0.1': 'refused', '127.0.0.2': 'live' });
    open.write('still\n');
    const [echo] = (await once(open, 'data')) as [string];
    assert.equal(echo, 'live:still\n');

    await lb.ensureLoadBalancer(cluster, svc(['127.0.0.0/8']), backends, signal);
    assert.deepEqual(await fromEach(target, clients), { '127.0.0.1': 'live', '127.0.0.2': 'live' });
    await lb.ensureLoadBalancer(cluster, svc(), backends, signal);
    assert.deepEqual(await fromEach(target, clients), { '127.0.0.1': 'live', '127.0.0.2': 'live' });

    // updateLoadBalancer converges backends only; the ranges stay those of the last ensure.
    await lb.ensureLoadBalancer(cluster, svc(['127.0.0.1/32']), backends, signal);
    await lb.updateLoadBalancer(cluster, svc(), backends, signal);
    assert.deepEqual(await fromEach(target, clients), { '127.0.0.1': 'live', '127.0.0.2': 'refused' });

    const changes = log.entries.filter((e) => e.message === 'load balancer source ranges changed').map((e) => `${e.fields?.['from']} -> ${e.fields?.['to']}`);
    assert.deepEqual(changes, ['any -> 127.0.0.1/32', '127.0.0.1/32 -> 127.0.0.2/32', '127.0.0.2/32 -> 127.0.0.0/8', '127.0.0.0/8 -> any', 'any -> 127.0.0.1/32']);
  });

  test('a listener opened in the same ensure serves the new ranges from its first connection', async (t) => {
    const backendServer = await live;
    const lb = await provider(t);
    const one = service({ sourceRanges: ['127.0.0.1/32'] });
    await lb.ensureLoadBalancer(cluster, one, [backend(backendServer.port, 'pod-1')], signal);
    const two = service({
      sourceRanges: ['127.0.0.2/32'],
      ports: [
        { name: 'http', port: 0, protocol: 'TCP', targetPort: 8080 },
        { name: 'admin', port: 0, protocol: 'TCP', targetPort: 8081 },
      ],
    });
    await lb.ensureLoadBalancer(cluster, two, [backend(backendServer.port, 'pod-1'), backend(backendServer.port, 'pod-1', 1, 'admin')], signal);
    for (const port of ['http', 'admin']) {
      const target = await lb.listenerAddress(two, port);
      assert.ok(target);
      assert.deepEqual(await fromEach(target, clients), { '127.0.0.1': 'refused', '127.0.0.2': 'live' }, port);
    }
  });

  test('an invalid range rejects the ensure and changes nothing', async (t) => {
    const backendServer = await live;
    const lb = await provider(t);
    const good = service({ sourceRanges: ['127.0.0.1/32'] });
    await lb.ensureLoadBalancer(cluster, good, [backend(backendServer.port, 'pod-1')], signal);
    const bad = service({ sourceRanges: ['127.0.0.2/33'] });
    await assert.rejects(lb.ensureLoadBalancer(cluster, bad, [backend(backendServer.port, 'pod-1')], signal), (e: unknown) => isTerminalError(e));
    assert.deepEqual(await fromEach(await listener(lb, good), clients), { '127.0.0.1': 'live', '127.0.0.2': 'refused' });
    const fresh = service({ name: 'fresh', uid: 'uid-fresh', sourceRanges: ['nonsense'] });
    await assert.rejects(lb.ensureLoadBalancer(cluster, fresh, [], signal), (e: unknown) => isTerminalError(e));
    assert.deepEqual(await lb.getLoadBalancer(cluster, fresh, signal), { exists: false });
  });

  test('IPv6 and IPv4-mapped clients on a dual-stack listener', async (t) => {
    const backendServer = await live;
    const lb = await provider(t, { address: '::' });
    const svc = service({ sourceRanges: ['127.0.0.2/32', '::1/128'] });
    await lb.ensureLoadBalancer(cluster, svc, [backend(backendServer.port, 'pod-1')], signal);
    const { port } = await listener(lb, svc);
    // On '::' an IPv4 client shows as ::ffff:127.0.0.x and is judged by the IPv4 ranges.
    assert.deepEqual(await fromEach({ address: '127.0.0.1', port }, clients), { '127.0.0.1': 'refused', '127.0.0.2': 'live' });
    assert.equal(await from('::1', { address: '::1', port }), 'live');
    await lb.ensureLoadBalancer(cluster, service({ sourceRanges: ['127.0.0.0/8'] }), [backend(backendServer.port, 'pod-1')], signal);
    assert.equal(await from('::1', { address: '::1', port }), 'refused');
  });
});
