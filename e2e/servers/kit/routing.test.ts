/** The router, paging, request log and operation store: the pure parts of the kit. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OperationStore } from './operations.ts';
import { decodePageToken, type Page, pageAt } from './paging.ts';
import { RequestRecorder } from './request-log.ts';
import { matchRoute, route } from './router.ts';
import { manualClock } from './time.ts';

describe('router', () => {
  const routes = [
    route('GET', '/subscriptions/:sub/resourceGroups/:rg', 'ResourceGroups_Get', 'arm'),
    route('DELETE', '/subscriptions/:sub/resourceGroups/:rg', 'ResourceGroups_Delete', 'arm'),
    route('GET', '/compute/v1/projects/{project}/zones/{zone}', 'compute.zones.get', 'gce'),
    route('PUT', '/x/:name', 'X_Put', 'arm', { implemented: false }),
  ];
  const cases: { method: string; path: string; ignoreCase?: boolean; want: unknown }[] = [
    { method: 'GET', path: '/subscriptions/s1/resourceGroups/my%20rg', want: { op: 'ResourceGroups_Get', params: { sub: 's1', rg: 'my rg' } } },
    { method: 'get', path: '/subscriptions/s1/resourcegroups/rg', ignoreCase: true, want: { op: 'ResourceGroups_Get', params: { sub: 's1', rg: 'rg' } } },
    { method: 'GET', path: '/subscriptions/s1/resourcegroups/rg', want: 'none' },
    { method: 'PATCH', path: '/subscriptions/s1/resourceGroups/rg', want: ['GET', 'DELETE'] },
    { method: 'GET', path: '/compute/v1/projects/p/zones/us-central1-a', want: { op: 'compute.zones.get', params: { project: 'p', zone: 'us-central1-a' } } },
    { method: 'GET', path: '/compute/v1/projects/p/zones/%E0%A4%A', want: 'none' },
    { method: 'GET', path: '/compute/v1/projects/p/zones', want: 'none' },
  ];
  for (const c of cases) {
    it(`${c.method} ${c.path}${c.ignoreCase ? ' (ignoring case)' : ''}`, () => {
      const m = matchRoute(routes, c.method, c.path, { ignoreCase: c.ignoreCase ?? false });
      if (m.kind === 'match') assert.deepEqual({ op: m.route.operation, params: m.params }, c.want);
      else if (m.kind === 'method') assert.deepEqual(m.allowed, c.want);
      else assert.equal('none', c.want);
    });
  }

  it('marks routes that only answer "not implemented"', () => {
    assert.deepEqual(
      routes.map((r) => r.implemented),
      [true, true, true, false],
    );
  });
});

describe('paging', () => {
  it('walks a list by opaque tokens and refuses foreign ones', () => {
    const all = [1, 2, 3, 4, 5];
    const pages: number[][] = [];
    let offset: number | undefined = 0;
    while (offset !== undefined) {
      const p: Page<number> = pageAt(all, offset, 2);
      pages.push(p.items);
      offset = p.nextToken === undefined ? undefined : decodePageToken(p.nextToken);
    }
    assert.deepEqual(pages, [[1, 2], [3, 4], [5]]);
    assert.equal(decodePageToken('not-ours'), undefined);
    assert.deepEqual(pageAt(all, 0, 0).items, [1], 'a page holds at least one item');
  });
});

describe('request log', () => {
  it('counts by operation or predicate and tells subscribers as entries land', () => {
    const log = new RequestRecorder();
    const seen: number[] = [];
    const unsubscribe = log.subscribe((e) => seen.push(e.status));
    log.record({ method: 'GET', path: '/a', operation: 'A', status: 200, at: 1 });
    log.record({ method: 'GET', path: '/a', operation: 'A', status: 429, at: 2, fault: 'rate-limited' });
    unsubscribe();
    log.record({ method: 'PUT', path: '/b', operation: 'B', status: 0, at: 3, fault: 'drop' });
    assert.deepEqual(seen, [200, 429]);
    assert.equal(log.count('A'), 2);
    assert.equal(log.count((r) => r.fault !== undefined), 2);
    assert.deepEqual(log.byOperation(), { A: 2, B: 1 });
    log.clear();
    assert.equal(log.count(), 0);
  });
});

describe('operation store', () => {
  it('ends an operation when its time is up, in start order, applying each effect once', () => {
    const clock = manualClock(1_000);
    const ended: string[] = [];
    const ops = new OperationStore<string>({ now: clock.now, timing: { delayMs: 300 }, onEnd: (op) => ended.push(`${op.data}:${op.state}@${op.endedAt}`) });
    ops.start('a', 'first');
    clock.advance(100);
    ops.start('b', 'second', { fail: true });
    assert.equal(ops.get('a')?.state, 'running');
    clock.advance(300);
    assert.equal(ops.get('b')?.state, 'failed');
    assert.deepEqual(ended, ['first:succeeded@1400', 'second:failed@1400']);
    ops.settle();
    assert.equal(ended.length, 2, 'no effect runs twice');
    assert.throws(() => ops.start('a', 'again'), /operation a already exists/);
  });

  it('can need polls as well as time, and waits for a background result', async () => {
    const clock = manualClock();
    const ops = new OperationStore<string>({ now: clock.now, timing: { pollsBeforeDone: 1 } });
    let finish: () => void = () => {};
    ops.start('p', 'polled');
    ops.start('r', 'result', { ready: new Promise<void>((r) => (finish = r)) });
    assert.equal(ops.poll('p')?.state, 'running');
    assert.equal(ops.poll('p')?.state, 'succeeded');
    assert.equal(ops.poll('p')?.polls, 2, 'polls stop counting once it ended');
    ops.poll('r');
    assert.equal(ops.poll('r')?.state, 'running', 'not before its result is ready');
    finish();
    await Promise.resolve();
    assert.equal(ops.poll('r')?.state, 'succeeded');
    assert.deepEqual(
      ops.running().map((o) => o.id),
      [],
    );
  });

  it('wait blocks until due or the deadline, through the injected sleeper', async () => {
    const clock = manualClock();
    const slept: number[] = [];
    const ops = new OperationStore<string>({
      now: clock.now,
      timing: { pollsBeforeDone: 0, delayMs: 5_000 },
      sleep: async (ms) => {
        slept.push(ms);
        clock.advance(ms);
      },
    });
    ops.start('w', 'waited');
    clock.advance(1_000);
    assert.equal((await ops.wait('w', 120_000))?.state, 'succeeded');
    ops.start('x', 'deadline');
    assert.equal((await ops.wait('x', 2_000))?.state, 'running');
    assert.deepEqual(slept, [4_000, 2_000]);
    assert.equal(await ops.wait('missing', 1), undefined);
  });
});
