import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { startLoad } from './load.ts';

async function server(t: { after(fn: () => unknown): void }): Promise<number> {
  const s = createServer((_req, res) => res.end('pod-a\n'));
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    s.closeAllConnections();
    s.close();
  });
  return (s.address() as AddressInfo).port;
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
});

test('a rate or lag outside the allowed range is refused with the value named', () => {
  const base = { host: '127.0.0.1', port: 1 };
  assert.throws(() => startLoad({ ...base, ratePerSecond: 0 }), /ratePerSecond 0 is invalid: allowed is a finite number above 0\./);
  assert.throws(() => startLoad({ ...base, ratePerSecond: Number.NaN }), /ratePerSecond NaN is invalid/);
  assert.throws(() => startLoad({ ...base, ratePerSecond: 10, maxLagMs: -1 }), /maxLagMs -1 is invalid/);
  assert.throws(() => startLoad({ ...base, ratePerSecond: 10, freshWorkers: 0, keepAliveWorkers: 0 }), /needs at least one worker/);
});
