import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FakeClock } from '../testing/fake-clock.ts';
import { Backoff } from './backoff.ts';
import { WorkQueue } from './work-queue.ts';

async function drain(q: WorkQueue): Promise<string[]> {
  const out: string[] = [];
  while (q.length > 0) {
    const k = await q.get();
    if (k === undefined) break;
    out.push(k);
    q.done(k);
  }
  return out;
}

describe('WorkQueue', () => {
  test('dedups a key added many times before it is taken', async () => {
    const q = new WorkQueue({ clock: new FakeClock() });
    for (const k of ['a', 'b', 'a', 'a', 'c', 'b']) q.add(k);
    assert.deepEqual(await drain(q), ['a', 'b', 'c']);
  });

  test('one in flight per key: a key re-added while processing comes back only after done', async () => {
    const q = new WorkQueue({ clock: new FakeClock() });
    q.add('a');
    const first = await q.get();
    assert.equal(first, 'a');
    q.add('a');
    q.add('a');
    assert.equal(q.length, 0, 'not handed out while in flight');
    q.add('b');
    assert.equal(await q.get(), 'b');
    q.done('b');
    q.done('a');
    assert.equal(q.length, 1);
    assert.equal(await q.get(), 'a');
  });

  test('get waits for a key and resolves undefined on shutdown', async () => {
    const q = new WorkQueue({ clock: new FakeClock() });
    const pending = q.get();
    q.add('x');
    assert.equal(await pending, 'x');
    const waiting = q.get();
    q.shutDown();
    assert.equal(await waiting, undefined);
  });

  test('get resolves undefined when its signal aborts', async () => {
    const q = new WorkQueue({ clock: new FakeClock() });
    const ac = new AbortController();
    const waiting = q.get(ac.signal);
    ac.abort();
    assert.equal(await waiting, undefined);
    q.add('y');
    assert.equal(await q.get(), 'y', 'an aborted waiter does not swallow keys');
  });

  test('addAfter fires on the clock and keeps the earliest deadline', async () => {
    const clock = new FakeClock();
    const q = new WorkQueue({ clock });
    q.addAfter('a', 1000);
    q.addAfter('a', 300);
    q.addAfter('a', 5000);
    clock.advance(299);
    assert.equal(q.length, 0);
    clock.advance(1);
    assert.equal(q.length, 1);
    assert.deepEqual(await drain(q), ['a']);
    clock.advance(10_000);
    assert.equal(q.length, 0, 'superseded timers do not fire');
  });

  test('addRateLimited grows per key, capped, and forget resets', () => {
    const clock = new FakeClock();
    const q = new WorkQueue({ clock, backoff: { baseMs: 100, maxMs: 1000, jitter: 0 } });
    const delays = [1, 2, 3, 4, 5, 6].map(() => q.addRateLimited('k'));
    assert.deepEqual(delays, [100, 200, 400, 800, 1000, 1000]);
    assert.equal(q.addRateLimited('other'), 100, 'backoff is per key');
    q.forget('k');
    assert.equal(q.addRateLimited('k'), 100);
  });

  test('dequeue reports the time a key waited', async () => {
    const clock = new FakeClock();
    const waits: number[] = [];
    const q = new WorkQueue({ clock, onDequeue: (_k, ms) => waits.push(ms) });
    q.add('a');
    clock.advance(40);
    await q.get();
    assert.deepEqual(waits, [40]);
  });
});

describe('Backoff', () => {
  const table = [
    { random: 0, expect: [200, 400, 800] },
    { random: 0.999999, expect: [100, 200, 400] },
  ];
  for (const tc of table) {
    test(`jitter bounds with random=${tc.random}`, () => {
      const b = new Backoff({ baseMs: 200, maxMs: 10_000, jitter: 0.5, random: () => tc.random });
      assert.deepEqual(
        [b.next('k'), b.next('k'), b.next('k')].map((x) => Math.round(x)),
        tc.expect,
      );
    });
  }
});
