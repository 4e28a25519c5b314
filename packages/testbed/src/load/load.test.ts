import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { type AddressInfo, BlockList, isIPv6, type Socket } from 'node:net';
import { test } from 'node:test';
import { waitFor } from '../harness/wait.ts';
import { startLoad } from './load.ts';
import { DEFAULT_SOURCE } from './sources.ts';

/**
 * A listener on 127.0.0.1 answering `pod-a`; with `allowed` CIDRs, connections from any other
 * source are accepted and destroyed at once (a stand-in for source-range enforcement).
 */
async function server(t: { after(fn: () => unknown): void }, allowed?: readonly string[]): Promise<number> {
  const s = createServer((_req, res) => res.end('pod-a\n'));
  if (allowed) s.prependListener('connection', allowOnly(allowed));
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    s.closeAllConnections();
    s.close();
  });
  return (s.address() as AddressInfo).port;
}

function allowOnly(cidrs: readonly string[]): (socket: Socket) => void {
  const list = new BlockList();
  const type = (address: string) => (isIPv6(address) ? 'ipv6' : 'ipv4');
  for (const cidr of cidrs) {
    const [address, length] = cidr.split('/') as [string, string];
    list.addSubnet(address, Number(length), type(address));
  }
  return (socket) => {
    const from = socket.remoteAddress ?? '';
    if (!list.check(from, type(from))) socket.destroy();
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('a paced load stays within its rate; the closed loop does not pace', async (t) => {
  const port = await server(t);
  const rate = 20;
  const paced = startLoad({ host: '127.0.0.1', port, freshWorkers: 2, keepAliveWorkers: 2, ratePerSecond: rate });
  const closed = startLoad({ host: '127.0.0.1', port, freshWorkers: 2, keepAliveWorkers: 2 });
  await sleep(500);
  const [p, c] = await Promise.all([paced.stop(), closed.stop()]);
  // Slots up to 0.5 s plus each worker's one request in flight at stop; a slow machine only lowers it.
  const most = Math.ceil((rate * p.durationMs) / 1000) + 4;
  assert.ok(p.requests >= 1 && p.requests <= most, `paced: ${p.requests} requests in ${p.durationMs} ms, at most ${most} allowed`);
  assert.equal(p.failed, 0, JSON.stringify(p.failures));
  assert.deepEqual(Object.keys(p.byPod), ['pod-a']);
  assert.ok(c.requests > most, `closed loop: ${c.requests} requests, expected more than the paced ${most}`);
  assert.deepEqual(Object.keys(c.bySource), [DEFAULT_SOURCE], 'without sources the results are under the default source');
  assert.equal(c.bySource[DEFAULT_SOURCE]!.succeeded, c.requests);
});

test('a rate or lag outside the allowed range is refused with the value named', () => {
  const base = { host: '127.0.0.1', port: 1 };
  assert.throws(() => startLoad({ ...base, ratePerSecond: 0 }), /ratePerSecond 0 is invalid: allowed is a finite number above 0\./);
  assert.throws(() => startLoad({ ...base, ratePerSecond: Number.NaN }), /ratePerSecond NaN is invalid/);
  assert.throws(() => startLoad({ ...base, ratePerSecond: 10, maxLagMs: -1 }), /maxLagMs -1 is invalid/);
  assert.throws(() => startLoad({ ...base, ratePerSecond: 10, freshWorkers: 0, keepAliveWorkers: 0 }), /needs at least one worker/);
  assert.throws(() => startLoad({ ...base, sources: ['::1'] }), /source ::1 is IPv6 but host 127\.0\.0\.1 is IPv4/);
});

test('loopback sources: results per source, one served throughout and the other refused throughout', async (t) => {
  const port = await server(t, ['127.0.0.2/32']);
  const load = startLoad({
    host: '127.0.0.1',
    port,
    sources: ['127.0.0.2', '127.0.0.3'],
    freshWorkers: 2,
    keepAliveWorkers: 2,
    maxConnectionAgeMs: 50,
    pauseMs: 1,
    maxRequests: 200,
    maxDurationMs: 20_000,
  });
  await waitFor('200 requests', () => load.requests >= 200, { timeoutMs: 20_000, intervalMs: 20 });
  const result = await load.stop();
  assert.equal(result.requests, 200, 'maxRequests bounds the load exactly');
  const served = result.bySource['127.0.0.2']!;
  const refused = result.bySource['127.0.0.3']!;
  assert.ok(served.sent > 0 && served.succeeded === served.sent, `127.0.0.2: ${JSON.stringify(served)}`);
  assert.ok(served.latencyMs && served.latencyMs.p50 <= served.latencyMs.p90 && served.latencyMs.p99 <= served.latencyMs.max);
  assert.ok(refused.sent > 0 && refused.refused === refused.sent && refused.succeeded === 0, `127.0.0.3: ${JSON.stringify(refused)}`);
  assert.equal(refused.latencyMs, undefined);
  assert.equal(served.sent + refused.sent, result.requests);
  assert.equal(result.failed, refused.sent);
  assert.deepEqual(result.byPod, { 'pod-a': served.succeeded });
});

test('weighted sources share fresh requests by weight; a source of weight 0 sends nothing', async (t) => {
  const port = await server(t);
  const load = startLoad({
    host: '127.0.0.1',
    port,
    sources: [{ address: '127.0.0.2', weight: 3 }, '127.0.0.3', { address: '127.0.0.4', weight: 0 }],
    freshWorkers: 3,
    keepAliveWorkers: 0,
    pauseMs: 1,
    maxRequests: 120,
    maxDurationMs: 20_000,
  });
  await waitFor('120 requests', () => load.requests >= 120, { timeoutMs: 20_000, intervalMs: 20 });
  const { bySource, failed } = await load.stop();
  assert.equal(failed, 0);
  assert.deepEqual(
    Object.entries(bySource).map(([address, r]) => [address, r.sent, r.succeeded]),
    [
      ['127.0.0.2', 90, 90],
      ['127.0.0.3', 30, 30],
      ['127.0.0.4', 0, 0],
    ],
  );
});
